"""The checks ImmutableFleet and BlueGreenFleet share: one set, so the two fleets agree.

Each fleet calls :func:`check_fleet` first thing in its constructor. It checks the type of
every prop (so no wrong type reaches jsii or the arithmetic below it) and the values both
fleets share: image, volumes, health check, IMDS, target groups. It raises one
ValidationError listing every wrong type; value problems are collected, and the fleet adds
:func:`check_capacity`'s, :func:`check_lifetime`'s and its own (update policy, signal
timeout, CodeDeploy limits...) before raising them together.

No CodeDeploy import here: the blue/green fleet passes its own prop types (``types``), so an
app with only ImmutableFleet does not load aws_codedeploy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from .._private.validation import Problems, is_unresolved
from .health import FleetHealthCheck

ROOT_DEVICE = r"/dev/[a-z0-9]+"

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


def seconds(value: Duration | None) -> float | None:
    """Seconds in a Duration, or None when it is absent or a deploy-time token."""
    if value is None:
        return None
    try:
        return float(value.to_milliseconds()) / 1000
    except Exception:  # an unresolved token cannot be converted: skip the check
        return None


def check_fleet(
    scope: Construct,
    *,
    durations: Sequence[str],
    flags: Sequence[str],
    types: Mapping[str, tuple[Any, str, str]] | None = None,
    **props: Any,
) -> Problems:
    """Check the props both fleets share and return the Problems the fleet goes on adding to.

    Wrong types raise one ValidationError at once (nothing below could use them); value
    problems are returned, so the fleet reports them together with its own.
    ``durations`` and ``flags`` name the fleet's own Duration and bool props (in ``props``),
    ``types`` its own jsii-interface props (prop -> (interface, what it must be, fix));
    ``target_groups``/``target_group`` and ``alarms`` are checked when present.
    """
    problems = Problems(scope)
    groups = _check_types(problems, props, durations, flags, types)
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
    health_check = props.get("health_check")
    if health_check is not None:
        health_check._check_values(problems, prefix="health_check.")
    _check_target_group_vpcs(scope, problems, props["vpc"], groups)
    return problems


def _check_types(
    problems: Problems,
    props: Mapping[str, Any],
    durations: Sequence[str],
    flags: Sequence[str],
    types: Mapping[str, tuple[Any, str, str]] | None,
) -> list[tuple[str, Any]]:
    """The type of every prop both fleets share (and the fleet's own ``durations``, ``flags`` and ``types``);
    the target groups, by prop, for the VPC check."""
    for prop, (kind, what, fix) in {**_TYPE_FIXES, **(types or {})}.items():
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
        health_check._check_types(problems, prefix="health_check.")
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
    return groups


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


def check_capacity(
    problems: Problems, *, min_capacity: int, max_capacity: int | None, desired: int | None, why_one: str
) -> int:
    """Record the problems of min <= desired <= max and return max_capacity (default: twice min or desired).

    ``why_one`` says why the fleet needs at least one instance (its own reason).
    """
    fix_order = "keep min_capacity <= desired_capacity <= max_capacity"
    problems.require(
        min_capacity >= 1,
        "min_capacity",
        min_capacity,
        f"must be at least 1 ({why_one})",
        "use 1 or more; 2 or more spreads the fleet over two availability zones",
    )
    if desired is not None:
        problems.require(
            min_capacity <= desired,
            "desired_capacity",
            desired,
            f"is below min_capacity ({min_capacity})",
            fix_order,
            depends_on=(min_capacity,),
        )
    if max_capacity is not None:
        problems.require(
            min_capacity <= max_capacity,
            "max_capacity",
            max_capacity,
            f"is below min_capacity ({min_capacity})",
            fix_order,
            depends_on=(min_capacity,),
        )
        if desired is not None:
            problems.require(
                desired <= max_capacity,
                "max_capacity",
                max_capacity,
                f"is below desired_capacity ({desired})",
                fix_order,
                depends_on=(desired,),
            )
        return max_capacity
    problems.require(
        not is_unresolved([min_capacity, desired or 0]),
        "max_capacity",
        max_capacity,
        "cannot default to twice the capacity when min_capacity or desired_capacity is a deploy-time token",
        "pass max_capacity explicitly",
    )
    return 2 * max(min_capacity, desired or 0)


def check_lifetime(problems: Problems, *, max_instance_lifetime: Duration, grace_period: Duration) -> None:
    """Record the problems of the durations both fleets give their Auto Scaling groups."""
    ranges = (
        ("max_instance_lifetime", max_instance_lifetime, 86400, 365 * 86400, "must be from 1 day to 365 days",
         "e.g. Duration.days(14); it cannot be turned off"),
        ("health_check_grace_period", grace_period, 0, 7200, "must be from 0 to 2 hours",
         "use how long the application needs to start"),
    )  # fmt: skip
    for prop, duration, low, high, reason, fix in ranges:
        value = seconds(duration)
        if value is not None:
            problems.require(low <= value <= high, prop, duration.to_human_string(), reason, fix)
