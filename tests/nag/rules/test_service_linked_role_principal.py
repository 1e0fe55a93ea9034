"""IMM-DEP2: a key policy naming a service-linked role as principal is reported; the condition form passes."""

from __future__ import annotations

from typing import Any

from ..helpers import reported

ROLE = "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def key(statement: dict[str, Any]) -> dict[str, Any]:
    return {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [statement]}}}


def test_service_linked_role_as_principal_is_reported() -> None:
    statement = {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Decrypt", "Resource": "*"}
    assert reported({"Key": key(statement)}, "IMM-DEP2") == {"Key"}


def test_principal_arn_condition_passes() -> None:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
                 "Condition": {"ArnEquals": {"aws:PrincipalArn": ROLE}}}  # fmt: skip
    assert reported({"Key": key(statement)}, "IMM-DEP2") == set()
