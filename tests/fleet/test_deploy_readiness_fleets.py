"""What AWS needs at run time for a fleet's first launch and a blue/green release.

- EC2 Auto Scaling's service-linked role may use a fleet's ``volume_key`` (EC2 Auto Scaling User
  Guide, "Required AWS KMS key policy for use with encrypted volumes"), or every launch fails.
- The blue/green ValidateService hook waits for cloud-init and fails when a configured check is absent.
- The custom resource's waiter gives up before CloudFormation's 1 hour custom-resource limit.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Annotations, Match, Template

from immutable_constructs import BlueGreenFleet, FleetHealthCheck, ImmutableFleet, PinnedSsmImage, ValidationError
from immutable_constructs.fleet._revision import HEALTH_CHECK_SCRIPT, validate_script

from .test_blue_green import network

SLR = "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


def key_statements(template: Template) -> list[dict[str, Any]]:
    (key,) = [k for i, k in template.find_resources("AWS::KMS::Key").items() if not i.startswith("ImmutableAlarmTopic")]
    return list(key["Properties"]["KeyPolicy"]["Statement"])


def assert_autoscaling_may_use(statements: list[dict[str, Any]]) -> None:
    use = [s for s in statements if s.get("Sid") == "AutoScalingUsesKey"]
    grant = [s for s in statements if s.get("Sid") == "AutoScalingGrantsForVolumes"]
    assert len(use) == 1 and len(grant) == 1, "the grant is added once, however many fleets use the key"
    assert sorted(use[0]["Action"]) == sorted(USE_ACTIONS)
    assert grant[0]["Action"] == "kms:CreateGrant"
    assert grant[0]["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    for statement in (use[0], grant[0]):
        # No principal naming the role itself: KMS would reject the policy before the role exists.
        assert statement["Principal"] == {"AWS": "*"}
        assert statement["Effect"] == "Allow"
        arn = json.dumps(statement["Condition"]["ArnEquals"]["aws:PrincipalArn"])
        assert SLR in arn
        assert statement["Condition"]["StringEquals"]["aws:PrincipalAccount"] == {"Ref": "AWS::AccountId"}


def test_immutable_fleet_volume_key_lets_auto_scaling_launch() -> None:
    stack = Stack(App(), "Fleet")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    key = kms.Key(stack, "VolumeKey", enable_key_rotation=True)
    for name in ("A", "B"):
        ImmutableFleet(
            stack,
            name,
            vpc=vpc,
            machine_image=PinnedSsmImage("/images/web/stable", version=3),
            instance_type=ec2.InstanceType("t3.micro"),
            volume_key=key,
        )
    template = Template.from_stack(stack)
    assert_autoscaling_may_use(key_statements(template))
    (key_resource,) = [
        k for i, k in template.find_resources("AWS::KMS::Key").items() if not i.startswith("ImmutableAlarmTopic")
    ]
    assert "CKV_AWS_33" in json.dumps(key_resource["Metadata"]["checkov"])


def test_blue_green_volume_key_lets_auto_scaling_launch_green_groups() -> None:
    stack = Stack(App(), "BlueGreen")
    vpc, target_group = network(stack)
    key = kms.Key(stack, "VolumeKey", enable_key_rotation=True)
    BlueGreenFleet(
        stack,
        "Api",
        vpc=vpc,
        machine_image=PinnedSsmImage("/images/api/stable", version=3),
        instance_type=ec2.InstanceType("t3.small"),
        target_group=target_group,
        health_check=FleetHealthCheck.http("http://localhost:8080/health"),
        volume_key=key,
    )
    assert_autoscaling_may_use(key_statements(Template.from_stack(stack)))


def test_without_volume_key_no_key_policy_is_touched() -> None:
    stack = Stack(App(), "NoKey")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    ImmutableFleet(
        stack,
        "Web",
        vpc=vpc,
        machine_image=PinnedSsmImage("/images/web/stable", version=3),
        instance_type=ec2.InstanceType("t3.micro"),
    )
    keys = Template.from_stack(stack).find_resources("AWS::KMS::Key")
    assert [i for i in keys if not i.startswith("ImmutableAlarmTopic")] == []  # the alarm topic's key aside


def test_imported_volume_key_warns_what_to_add() -> None:
    stack = Stack(App(), "Imported")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    key = kms.Key.from_key_arn(
        stack, "Shared", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    ImmutableFleet(
        stack,
        "Web",
        vpc=vpc,
        machine_image=PinnedSsmImage("/images/web/stable", version=3),
        instance_type=ec2.InstanceType("t3.micro"),
        volume_key=key,
    )
    Annotations.from_stack(stack).has_warning(
        "/Imported/Web",
        Match.string_like_regexp(r"volume_key .* is imported.*AWSServiceRoleForAutoScaling.*kms:CreateGrant"),
    )


# -- the ValidateService hook, run with bash against fake commands ------------------------------


def run_validate(
    tmp_path: Path, *, require_check: bool, cloud_init_status: int | None, check: str | None
) -> tuple[int, str]:
    """Run validate.sh with the health check moved into tmp_path and a fake ``cloud-init`` on PATH."""
    check_path = tmp_path / "health-check.sh"
    script = validate_script(require_check=require_check).replace(HEALTH_CHECK_SCRIPT, str(check_path))
    (tmp_path / "validate.sh").write_text(script)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "cloud-init.log"
    if cloud_init_status is not None:
        fake = bin_dir / "cloud-init"
        fake.write_text(f'#!/bin/bash\necho "$@" >> {log}\nexit {cloud_init_status}\n')
        fake.chmod(0o755)
    if check is not None:
        check_path.write_text(f"#!/bin/bash\n{check}\n")
        check_path.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    done = subprocess.run(
        ["bash", str(tmp_path / "validate.sh")], env=env, capture_output=True, text=True, check=False, timeout=30
    )
    waited = log.read_text() if log.exists() else ""
    return done.returncode, done.stderr + waited


def test_validate_waits_for_cloud_init_then_runs_the_check(tmp_path: Path) -> None:
    code, output = run_validate(tmp_path, require_check=True, cloud_init_status=0, check="exit 0")
    assert code == 0
    assert "status --wait" in output


def test_validate_fails_when_the_check_fails(tmp_path: Path) -> None:
    code, _ = run_validate(tmp_path, require_check=True, cloud_init_status=0, check="exit 3")
    assert code == 3


def test_validate_fails_when_a_configured_check_is_missing(tmp_path: Path) -> None:
    code, output = run_validate(tmp_path, require_check=True, cloud_init_status=0, check=None)
    assert code == 1
    assert "configured but" in output


def test_validate_passes_without_a_configured_check(tmp_path: Path) -> None:
    code, output = run_validate(tmp_path, require_check=False, cloud_init_status=0, check=None)
    assert code == 0
    assert "no health check configured" in output


def test_validate_fails_when_user_data_failed(tmp_path: Path) -> None:
    code, output = run_validate(tmp_path, require_check=True, cloud_init_status=1, check="exit 0")
    assert code == 1
    assert "cloud-init did not finish cleanly" in output


def test_validate_accepts_recoverable_cloud_init_errors(tmp_path: Path) -> None:
    code, _ = run_validate(tmp_path, require_check=True, cloud_init_status=2, check="exit 0")
    assert code == 0


def test_fleets_with_and_without_check_get_their_own_bundle() -> None:
    from immutable_constructs.fleet._revision import revision_directory

    with_check = Path(revision_directory(True)) / "validate.sh"
    without = Path(revision_directory(False)) / "validate.sh"
    assert 'REQUIRE_CHECK="1"' in with_check.read_text()
    assert 'REQUIRE_CHECK="0"' in without.read_text()
    assert os.access(with_check, os.X_OK)


# -- the custom resource's waiter and CloudFormation's 1 hour limit ------------------------------


@pytest.fixture(scope="module")
def scratch() -> tuple[Stack, ec2.Vpc, elbv2.ApplicationTargetGroup]:
    stack = Stack(App(), "Waits")
    vpc, target_group = network(stack)
    return stack, vpc, target_group


def make(scratch: tuple[Stack, ec2.Vpc, elbv2.ApplicationTargetGroup], name: str, **props: Any) -> BlueGreenFleet:
    stack, vpc, target_group = scratch
    return BlueGreenFleet(
        stack,
        name,
        vpc=vpc,
        machine_image=PinnedSsmImage("/images/api/stable", version=1),
        instance_type=ec2.InstanceType("t3.small"),
        target_group=target_group,
        health_check=FleetHealthCheck.http("http://localhost:8080/health"),
        **props,
    )


def test_the_default_waiter_stops_before_cloudformation_does() -> None:
    stack = Stack(App(), "Default")
    vpc, target_group = network(stack)
    BlueGreenFleet(
        stack,
        "Api",
        vpc=vpc,
        machine_image=PinnedSsmImage("/images/api/stable", version=1),
        instance_type=ec2.InstanceType("t3.small"),
        target_group=target_group,
    )
    (machine,) = Template.from_stack(stack).find_resources("AWS::StepFunctions::StateMachine").values()
    definition = json.dumps(machine["Properties"]["DefinitionString"])
    attempts = int(definition.split('\\"MaxAttempts\\":')[1].split(",")[0].split("}")[0])
    interval = int(definition.split('\\"IntervalSeconds\\":')[1].split(",")[0].split("}")[0])
    assert attempts * interval <= 3000 < 3600


def test_a_timeout_at_cloudformations_limit_is_refused(scratch: Any) -> None:
    with pytest.raises(ValidationError, match=r"deployment_timeout='1 hour': must be from 5 to 50 minutes"):
        make(scratch, "AtLimit", deployment_timeout=Duration.hours(1))


def test_both_waits_together_must_fit(scratch: Any) -> None:
    # Each fits alone (20 + 20 <= 50) but one deployment runs both: 20 + 20 + 20 = 60 > 50 minutes.
    with pytest.raises(
        ValidationError, match=r"termination_wait='20 minutes': plus manual_reroute_wait .* is 60 minutes"
    ):
        make(scratch, "BothWaits", termination_wait=Duration.minutes(20), manual_reroute_wait=Duration.minutes(20))


def test_waits_that_fit_are_accepted(scratch: Any) -> None:
    make(scratch, "Fits", termination_wait=Duration.minutes(10), manual_reroute_wait=Duration.minutes(15))
