"""IMM-IMG2: a repository with mutable tags (CloudFormation's default) is reported; IMMUTABLE passes."""

from __future__ import annotations

from ..helpers import reported


def test_mutable_tags_are_reported() -> None:
    mutable = {"Type": "AWS::ECR::Repository", "Properties": {"ImageTagMutability": "MUTABLE"}}
    resources = {"Default": {"Type": "AWS::ECR::Repository", "Properties": {}}, "Mutable": mutable}
    assert reported(resources, "IMM-IMG2") == {"Default", "Mutable"}


def test_immutable_tags_pass() -> None:
    repository = {"Type": "AWS::ECR::Repository", "Properties": {"ImageTagMutability": "IMMUTABLE"}}
    assert reported({"R": repository}, "IMM-IMG2") == set()
