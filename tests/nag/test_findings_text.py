"""Findings read as short human sentences, in the cases that used to be noisy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Acknowledgment, App, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr

from immutable_constructs import __version__
from immutable_constructs.nag import ImmutableInfrastructureChecks


def violations(outdir: Path) -> list[dict[str, Any]]:
    report = json.loads((outdir / "validation-report.json").read_text())
    (plugin,) = [p for p in report["pluginReports"] if p["pluginName"] == "ImmutableInfrastructureChecks"]
    found: list[dict[str, Any]] = plugin["violations"]
    return found


@pytest.fixture(scope="module")
def pet(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """One ec2.Instance with a key pair and the latest Amazon Linux: the new user's first try."""
    outdir = tmp_path_factory.mktemp("pet")
    app = App(outdir=str(outdir))
    stack = Stack(app, "Pet")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0, subnet_configuration=[])
    ec2.Instance(
        stack,
        "Server",
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnets=[]),
        instance_type=ec2.InstanceType("t3.micro"),
        machine_image=ec2.MachineImage.latest_amazon_linux2023(),
        key_pair=ec2.KeyPair.from_key_pair_name(stack, "Key", "ops"),
    )
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    return violations(outdir)


def test_values_are_short_and_human(pet: list[dict[str, Any]]) -> None:
    assert pet
    for v in pet:
        text = v["description"]
        assert "= null" not in text and "{'" not in text, text
        assert "SsmParameterValue" not in text, text  # the generated 100-character parameter name
        assert len(text) < 300, text


def test_one_root_cause_one_finding(pet: list[dict[str, Any]]) -> None:
    # The unpinned image is IMM-IMG3's finding only; IMM-REP2 does not repeat it.
    by_rule = {v["ruleName"]: v for v in pet}
    assert "SSM parameter" not in by_rule["IMM-REP2"]["description"]
    assert by_rule["IMM-IMG3"]["description"].count("/aws/service/ami-amazon-linux-latest/") == 1
    assert len([v for v in pet if v["ruleName"] == "IMM-IMG3"]) == 1


def test_unpinned_image_fix_names_the_users_parameter(pet: list[dict[str, Any]]) -> None:
    (img3,) = [v for v in pet if v["ruleName"] == "IMM-IMG3"]
    # AWS's public parameter: build your own image from it, or pin today's AMI id (issue 22).
    assert "GoldenImagePipeline with ParentImage.from_ssm_parameter" in img3["suggestedFix"]
    assert (
        "`aws ssm get-parameter --name /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-" in img3["suggestedFix"]
    )
    assert "/images/web/stable" not in img3["suggestedFix"]


def test_unset_property_reads_is_not_set(pet: list[dict[str, Any]]) -> None:
    (hyg1,) = [v for v in pet if v["ruleName"] == "IMM-HYG1"]
    # An instance has MetadataOptions of its own (issue 22): the finding names them.
    assert "Properties.MetadataOptions.HttpTokens = optional (default):" in hyg1["description"]


def test_a_bare_rule_id_acknowledgement_is_reported(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Bare")
    repository = ecr.Repository(stack, "Repo")
    Validations.of(repository).acknowledge(
        Acknowledgment(id="IMM-IMG2", reason="Tags are rewritten by the legacy release script for now.")
    )
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    app.synth()  # IMM-IMG2 is a warning: synth passes, and the acknowledgement never matched
    found = violations(tmp_path)
    (bare,) = [v for v in found if v["ruleName"] == "IMM-ACK3"]
    assert '"IMM-IMG2" at Bare/Repo' in bare["description"]
    assert 'Acknowledgment(id="ImmutableInfrastructureChecks::IMM-IMG2"' in bare["suggestedFix"]
    assert [v["ruleName"] for v in found if v["ruleName"] == "IMM-IMG2"] == ["IMM-IMG2"]  # still reported


def test_synth_prints_the_sentences_and_not_the_structured_fields(tmp_path: Path) -> None:
    # What `cdk synth` and a failing `python app.py` show: the CDK prints description, suggested fix and
    # acknowledgement id; the rule's title, fix and link travel in ruleMetadata, which it does not print.
    app = App(outdir=str(tmp_path))
    ecr.Repository(Stack(app, "Warn"), "Mutable")
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks(strict=True))
    with pytest.raises(RuntimeError) as failed:
        app.synth()
    docs = f"https://github.com/immutable-constructs/immutable-constructs/blob/v{__version__}/docs/rules.md#imm-img2"
    block = [line.rstrip() for line in str(failed.value).splitlines()[:4]]
    assert block == [
        "ValidationFailed: ERROR ECR repository with mutable tags: Properties.ImageTagMutability = MUTABLE (default): "
        "a pushed tag can later point at a different image. (ImmutableInfrastructureChecks)",
        "   Warn/Mutable/Resource (MutableDAE6963B) aws-cdk-lib.aws_ecr.CfnRepository",
        f"   Suggested fix: Set image_tag_mutability=ecr.TagMutability.IMMUTABLE. See {docs}",
        "   Acknowledge with 'ImmutableInfrastructureChecks::IMM-IMG2'",
    ]
    (img2,) = violations(tmp_path)
    assert img2["ruleMetadata"]["title"] == "ECR repository with mutable tags"
    assert "ruleSeverity" not in str(failed.value) and "documentation" not in str(failed.value)
