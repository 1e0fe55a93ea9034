"""The build steps both fleets share, and the props that flow through them.

Each fleet's constructor is spec (its ``@checked`` signature) -> checks -> a few named steps. The
arguments are gathered once into a frozen props object (:class:`FleetProps`, extended by each fleet);
the checks resolve the defaults into a :class:`Plan`; the steps read both instead of re-listing the
props. :func:`open_checks` and :func:`close_checks` bracket each fleet's own checks, so problems are
reported in one order; :func:`build_fleet_launch` makes the launch kit (launch.py) from the props.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Self

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from .._private.validation import Problems
from ._checks import check_fleet
from .alarms import FleetAlarmOptions, check_observability
from .health import FleetHealthCheck
from .launch import (
    DEFAULT_GRACE_PERIOD,
    DEFAULT_MAX_INSTANCE_LIFETIME,
    Launch,
    build_launch,
    check_image,
    select_private_subnets,
)

if TYPE_CHECKING:  # an app with only ImmutableFleet does not load aws_codedeploy
    from aws_cdk import aws_cloudwatch as cloudwatch
    from aws_cdk import aws_codedeploy as codedeploy

    from .update import FleetUpdate

_NOT_PROPS = ("self", "scope", "id", "__class__")


@dataclass(frozen=True, kw_only=True)
class FleetProps:
    """The props both fleets share, as the caller gave them (the spec has checked their types)."""

    vpc: ec2.IVpc
    machine_image: ec2.IMachineImage
    instance_type: ec2.InstanceType
    vpc_subnets: ec2.SubnetSelection | None = None
    min_capacity: int | None = None
    max_capacity: int | None = None
    desired_capacity: int | None = None
    health_check: FleetHealthCheck | None = None
    max_instance_lifetime: Duration | None = None
    health_check_grace_period: Duration | None = None
    imds_hop_limit: int | None = None
    root_volume_size: int | None = None
    root_device_name: str | None = None
    volume_key: kms.IKey | None = None
    role: iam.IRole | None = None
    security_group: ec2.ISecurityGroup | None = None
    user_data: ec2.UserData | None = None
    log_retention: logs.RetentionDays | None = None
    log_paths: Sequence[str] | None = None
    metrics_namespace: str | None = None
    alarm_options: FleetAlarmOptions | None = None
    dashboard: bool | None = None

    @classmethod
    def of(cls, arguments: Mapping[str, Any]) -> Self:
        """The props from a constructor's ``locals()`` (its keyword arguments)."""
        return cls(**{name: value for name, value in arguments.items() if name not in _NOT_PROPS})

    def given(self) -> dict[str, Any]:
        """Every prop by name, for the checks that look props up by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, kw_only=True)
class ImmutableFleetProps(FleetProps):
    """ImmutableFleet's props: the shared ones, an update policy, signals, target groups."""

    update: FleetUpdate | None = None
    signal_timeout: Duration | None = None
    target_groups: Sequence[elbv2.IApplicationTargetGroup] | None = None
    allow_all_outbound: bool | None = None
    log_key: kms.IKey | None = None
    notification_topic: sns.ITopic | None = None


@dataclass(frozen=True, kw_only=True)
class BlueGreenFleetProps(FleetProps):
    """BlueGreenFleet's props: the shared ones, one target group, CodeDeploy's settings."""

    target_group: elbv2.IApplicationTargetGroup
    deployment_config: codedeploy.IServerDeploymentConfig | None = None
    termination_wait: Duration | None = None
    keep_old_fleet: bool | None = None
    manual_reroute_wait: Duration | None = None
    alarms: Sequence[cloudwatch.IAlarm] | None = None
    deployment_timeout: Duration | None = None
    application: codedeploy.IServerApplication | None = None


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What the checks resolved, for the build steps: defaults applied, subnets and image checked."""

    min_capacity: int
    max_capacity: int
    lifetime: Duration
    grace_period: Duration
    subnets: ec2.SubnetSelection
    image_config: ec2.MachineImageConfig
    alarm_options: FleetAlarmOptions


def open_checks(
    scope: Construct,
    props: FleetProps,
    *,
    durations: Sequence[str],
    flags: Sequence[str],
    types: Mapping[str, tuple[Any, str, str]] | None = None,
) -> tuple[Problems, FleetAlarmOptions]:
    """The checks both fleets start with (types raise at once); the problems and the alarm options to use."""
    problems = check_fleet(scope, durations=durations, flags=flags, types=types, **props.given())
    alarm_options = check_observability(
        problems,
        log_paths=props.log_paths,
        metrics_namespace=props.metrics_namespace,
        alarm_options=props.alarm_options,
        dashboard=props.dashboard,
    )
    return problems, alarm_options


def lifetime_and_grace(props: FleetProps) -> tuple[Duration, Duration]:
    """``max_instance_lifetime`` and ``health_check_grace_period``, defaults applied."""
    return (
        props.max_instance_lifetime or DEFAULT_MAX_INSTANCE_LIFETIME,
        props.health_check_grace_period or DEFAULT_GRACE_PERIOD,
    )


def close_checks(
    scope: Construct, problems: Problems, props: FleetProps
) -> tuple[ec2.SubnetSelection, ec2.MachineImageConfig]:
    """The checks both fleets end with (where they launch, what they launch); raise every problem."""
    subnets = select_private_subnets(problems, props.vpc, props.vpc_subnets)
    image_config = check_image(scope, problems, props.machine_image)
    problems.raise_if_any()
    assert subnets is not None
    return subnets, image_config


def build_fleet_launch(
    scope: Construct,
    props: FleetProps,
    plan: Plan,
    *,
    what: str,
    security_group_description: str,
    allow_all_outbound: bool,
    log_key: kms.IKey | None,
    extra_system_logs: Sequence[str] = (),
    extra_statements: Sequence[iam.PolicyStatement] = (),
) -> Launch:
    """The fleet's launch kit (log group, role, agent, security group, user data, launch template)."""
    return build_launch(
        scope,
        what=what,
        vpc=props.vpc,
        machine_image=props.machine_image,
        image_config=plan.image_config,
        instance_type=props.instance_type,
        role=props.role,
        security_group=props.security_group,
        security_group_description=security_group_description,
        allow_all_outbound=allow_all_outbound,
        user_data=props.user_data,
        log_retention=props.log_retention,
        log_key=log_key,
        imds_hop_limit=props.imds_hop_limit,
        root_volume_size=props.root_volume_size,
        root_device_name=props.root_device_name,
        volume_key=props.volume_key,
        log_paths=props.log_paths,
        metrics_namespace=props.metrics_namespace,
        extra_system_logs=extra_system_logs,
        extra_statements=extra_statements,
    )
