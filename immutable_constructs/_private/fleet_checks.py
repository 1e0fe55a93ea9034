"""The checks ImmutableFleet and BlueGreenFleet share: one set, so the two fleets agree.

Each fleet calls :func:`check_fleet` first thing in its constructor. It checks the type of
every prop (so no wrong type reaches jsii or the arithmetic below it) and the values both
fleets share: capacity, image, volumes, health check, IMDS, lifetime, target groups. It
raises one ValidationError listing every problem; the fleet's own checks (update policy,
signal timeout, CodeDeploy limits...) run after it, on well-typed values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from .validation import Problems, is_unresolved

ROOT_DEVICE = r"/dev/[a-z0-9]+"
HEALTH_CHECK_URL = r"https?://[^\s/?#]+[^\s]*"

_CAPACITY_FIX = "pass a whole number, e.g. 2"
_TYPE_FIXES: dict[str, tuple[Any, str, str]] = {
    # prop: (jsii interface or Python class, what it must be, fix)
    "vpc": (ec2.IVpc, "a VPC (ec2.IVpc)", "pass an ec2.Vpc or ec2.Vpc.from_lookup(...)"),
    "machine_image": (
        ec2.IMachineImage,
        "a machine image (ec2.IMachineImage)",
        "pass PinnedSsmImage('/images/web/stable', version=N) or an ec2.MachineImage; an AMI id string "
        "becomes ec2.MachineImage.generic_linux({region: 'ami-...'})",
    ),
    "volume_key": (kms.IKey, "a KMS key (kms.IKey)", "pass a kms.Key, or leave it unset"),
    "log_key": (kms.IKey, "a KMS key (kms.IKey)", "pass a kms.Key, or leave it unset"),
    "role": (iam.IRole, "an IAM role (iam.IRole)", "pass an iam.Role, or leave it unset"),
    "security_group": (ec2.ISecurityGroup, "a security group (ec2.ISecurityGroup)", "pass an ec2.SecurityGroup"),
    "deployment_config": (
        codedeploy.IServerDeploymentConfig,
        "a CodeDeploy server deployment config",
        "use e.g. codedeploy.ServerDeploymentConfig.ONE_AT_A_TIME",
    ),
    "application": (codedeploy.IServerApplication, "a CodeDeploy server application", "pass one, or leave it unset"),
    "notification_topic": (sns.ITopic, "an SNS topic (sns.ITopic)", "pass an sns.Topic, or leave it unset"),
}
_CLASS_FIXES: dict[str, tuple[Any, str, str]] = {
    "instance_type": (ec2.InstanceType, "an ec2.InstanceType", "use e.g. ec2.InstanceType('t3.small')"),
    "vpc_subnets": (
        ec2.SubnetSelection,
        "an ec2.SubnetSelection",
        "use e.g. ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)",
    ),
    "user_data": (ec2.UserData, "an ec2.UserData", "use e.g. ec2.UserData.for_linux()"),
    "log_retention": (logs.RetentionDays, "a logs.RetentionDays", "use e.g. logs.RetentionDays.ONE_MONTH"),
}


def check_fleet(scope: Construct, *, durations: Sequence[str], flags: Sequence[str], **props: Any) -> Problems:
    """Check the props both fleets share and return the Problems the fleet goes on adding to.

    Wrong types raise one ValidationError at once (nothing below could use them); value
    problems are returned, so the fleet reports them together with its own.
    ``durations`` and ``flags`` name the fleet's own Duration and bool props (in ``props``);
    ``target_groups``/``target_group`` and ``alarms`` are checked when present.
    """
    from ..fleet import FleetHealthCheck  # the fleet module imports this one

    problems = Problems(scope)
    for prop, (kind, what, fix) in _TYPE_FIXES.items():
        if prop in props and (props[prop] is not None or prop in ("vpc", "machine_image")):
            problems.implements(prop, props[prop], kind, what=what, fix=fix)
    for prop, (kind, what, fix) in _CLASS_FIXES.items():
        if props.get(prop) is not None or prop == "instance_type":
            problems.instance(prop, props.get(prop), kind, what=what, fix=fix)
    for prop in durations:
        if props.get(prop) is not None:
            problems.duration(prop, props[prop])
    for prop in flags:
        if props.get(prop) is not None:
            problems.flag(prop, props[prop])
    for prop in ("min_capacity", "max_capacity", "desired_capacity", "imds_hop_limit", "root_volume_size"):
        if props.get(prop) is not None:
            problems.whole_number(prop, props[prop], fix=_CAPACITY_FIX if "capacity" in prop else "pass an int")
    if props.get("root_device_name") is not None:
        problems.instance("root_device_name", props["root_device_name"], str, what="a string", fix="e.g. '/dev/xvda'")
    health_check = props.get("health_check")
    if health_check is not None and problems.instance(
        "health_check",
        health_check,
        FleetHealthCheck,
        what="a FleetHealthCheck",
        fix="use FleetHealthCheck.http(url) or FleetHealthCheck.command(cmd)",
    ):
        check_health_check(problems, health_check, prefix="health_check.")
    for prop in ("target_groups", "alarms"):
        if props.get(prop) is not None and problems.sequence(prop, props[prop], item=prop.replace("_", " ")):
            kind, what = (
                (elbv2.IApplicationTargetGroup, "an ALB target group (elbv2.IApplicationTargetGroup)")
                if prop == "target_groups"
                else (cloudwatch.IAlarm, "a CloudWatch alarm (cloudwatch.IAlarm)")
            )
            for index, item in enumerate(props[prop]):
                problems.implements(f"{prop}[{index}]", item, kind, what=what, fix=f"pass {what.split(' (')[0]}s")
    listed = props.get("target_groups")
    groups = [(f"target_groups[{i}]", g) for i, g in enumerate(listed)] if isinstance(listed, (list, tuple)) else []
    if "target_group" in props:
        groups = [("target_group", props["target_group"])]
        problems.implements(
            "target_group",
            props["target_group"],
            elbv2.IApplicationTargetGroup,
            what="an ALB target group (elbv2.IApplicationTargetGroup)",
            fix="pass an elbv2.ApplicationTargetGroup attached to a load balancer",
        )
    problems.raise_if_any()

    # Values, on well-typed props.
    problems.whole_number(
        "imds_hop_limit",
        1 if props.get("imds_hop_limit") is None else props["imds_hop_limit"],
        low=1,
        high=64,
        reason="must be an integer from 1 to 64",
        fix="use 1 (the default) for hosts, 2 when containers on the host call IMDS",
    )
    if props.get("root_volume_size") is not None:
        problems.whole_number(
            "root_volume_size",
            props["root_volume_size"],
            low=1,
            high=16384,
            reason="must be a whole number of GiB from 1 to 16384",
            fix="pass the size in GiB, at least the AMI's snapshot size",
        )
    if props.get("root_device_name") is not None:
        problems.text(
            "root_device_name",
            props["root_device_name"],
            pattern=ROOT_DEVICE,
            what="a device name",
            fix="use the AMI's root device name, e.g. '/dev/xvda' (Amazon Linux) or '/dev/sda1' (Ubuntu)",
        )
    if health_check is not None:
        check_health_check_values(problems, health_check, prefix="health_check.")
    _check_target_group_vpcs(scope, problems, props["vpc"], groups)
    return problems


def check_health_check(problems: Problems, health_check: Any, *, prefix: str) -> None:
    """The types of a FleetHealthCheck's target, timeout and interval."""
    problems.instance(
        f"{prefix}{_target_prop(health_check)}", health_check.target, str, what="a string", fix="pass a string"
    )
    problems.duration(f"{prefix}timeout", health_check.timeout)
    problems.duration(f"{prefix}interval", health_check.interval, fix="use e.g. Duration.seconds(5)")


def check_health_check_values(problems: Problems, health_check: Any, *, prefix: str) -> None:
    """The URL (full match, with a scheme) or the command (not blank) of a FleetHealthCheck."""
    if health_check.kind == "http":
        problems.text(
            f"{prefix}url",
            health_check.target,
            pattern=HEALTH_CHECK_URL,
            what="an http(s) URL",
            fix="use e.g. 'http://localhost:8080/health'",
        )
    else:
        problems.text(
            f"{prefix}command",
            health_check.target,
            what="a shell command",
            fix="pass a shell command that exits 0 when the application is healthy",
        )


def _target_prop(health_check: Any) -> str:
    return "url" if health_check.kind == "http" else "command"


def _check_target_group_vpcs(
    scope: Construct, problems: Problems, vpc: ec2.IVpc, groups: Sequence[tuple[str, Any]]
) -> None:
    """A target group created in the app must be in the fleet's VPC (imported ones cannot be checked)."""
    for prop, target_group in groups:
        cfn = getattr(getattr(target_group, "node", None), "default_child", None)
        if not isinstance(cfn, elbv2.CfnTargetGroup) or cfn.vpc_id is None:
            continue
        stack = Stack.of(scope)
        if Stack.of(cfn) is not stack:
            continue
        group_vpc = stack.resolve(cfn.vpc_id)
        fleet_vpc = stack.resolve(vpc.vpc_id)
        if group_vpc != fleet_vpc and not (is_unresolved(cfn.vpc_id) ^ is_unresolved(vpc.vpc_id)):
            problems.add(
                prop,
                target_group.node.path,
                f"is in another VPC ({group_vpc}) than the fleet ({fleet_vpc}): instances could not register",
                "create the target group with vpc=<the fleet's VPC>",
            )


def check_update_options(kind: str, **options: Any) -> None:
    """The types of a FleetUpdate factory's options (their ranges depend on the fleet, which checks them)."""
    problems = Problems(f"FleetUpdate.{kind}")
    for prop, value in options.items():
        if value is None:
            continue
        if prop in ("instance_warmup", "checkpoint_delay", "bake_time"):
            problems.duration(prop, value)
        elif prop in ("suspend_processes", "checkpoint_percentages", "alarms"):
            if problems.sequence(prop, value) and prop == "checkpoint_percentages":
                for index, item in enumerate(value):
                    problems.whole_number(f"{prop}[{index}]", item, low=1, high=100, fix="e.g. [20, 50, 100]")
            elif prop == "alarms" and isinstance(value, (list, tuple)):
                for index, item in enumerate(value):
                    problems.implements(
                        f"alarms[{index}]", item, cloudwatch.IAlarm, what="a CloudWatch alarm", fix="pass IAlarms"
                    )
        else:
            problems.whole_number(prop, value, fix="pass an int, e.g. 1 or 100")
    problems.raise_if_any()
