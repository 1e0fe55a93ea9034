"""ImmutableFleet: a launch template plus an Auto Scaling group whose instances are
replaced, never patched.

A new image (or any launch template change) creates a new launch template version,
and the group's update policy (:class:`FleetUpdate`) replaces the instances. Hosts are
also regenerated on a schedule (maximum instance lifetime), so none lives long enough to drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jsii
from aws_cdk import Annotations, Duration, Tags
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from .._private.origin import record_origin
from .._private.props import check_value, checked
from .._private.props_text import whole
from .._private.validation import Problems
from ._checks import check_capacity, check_lifetime, seconds
from ._props import IMMUTABLE_FLEET, REFRESH_ALARMS, TARGET_GROUP
from ._steps import ImmutableFleetProps, Plan, build_fleet_launch, close_checks, lifetime_and_grace, open_checks
from .alarms import FleetAlarmOptions, observe, release_effect
from .health import FleetHealthCheck
from .launch import DEFAULT_MIN_CAPACITY, fleet_tag
from .update import FleetUpdate

__all__ = ["ImmutableFleet"]

_DEFAULT_SIGNAL_TIMEOUT = Duration.minutes(15)


@jsii.implements(iam.IGrantable, ec2.IConnectable)
class ImmutableFleet(Construct):
    """A launch template and an Auto Scaling group whose instances are replaced, never patched.

    What no prop turns off: a launch template (never a launch configuration) with IMDSv2
    required, no key pair, no public IP address, detailed monitoring and an encrypted gp3
    root volume; private subnets only; an instance role with a scoped Session Manager policy
    (not ``AmazonSSMManagedInstanceCore``, which grants ``ssm:GetParameter*`` on every
    parameter) and CloudWatch agent permissions for the fleet's own log group, namespace and
    agent configuration, which user data starts the agent from (the AMI must contain it); a new
    security group has no ingress rule (nobody logs in: use Session Manager). Creation and
    updates wait for every new instance's signal, sent once user data ran and
    ``health_check`` passed. Instances are regenerated after ``max_instance_lifetime`` by
    the group's instance maintenance policy (min 100 %, max 200 % healthy), which launches a
    replacement before terminating, so capacity does not drop. Each prop's default is
    described with the prop below.
    """

    @checked(**IMMUTABLE_FLEET)
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        machine_image: ec2.IMachineImage,
        instance_type: ec2.InstanceType,
        vpc_subnets: ec2.SubnetSelection | None = None,
        min_capacity: int | None = None,
        max_capacity: int | None = None,
        desired_capacity: int | None = None,
        update: FleetUpdate | None = None,
        health_check: FleetHealthCheck | None = None,
        signal_timeout: Duration | None = None,
        max_instance_lifetime: Duration | None = None,
        target_groups: Sequence[elbv2.IApplicationTargetGroup] | None = None,
        health_check_grace_period: Duration | None = None,
        imds_hop_limit: int | None = None,
        root_volume_size: int | None = None,
        root_device_name: str | None = None,
        volume_key: kms.IKey | None = None,
        role: iam.IRole | None = None,
        security_group: ec2.ISecurityGroup | None = None,
        allow_all_outbound: bool | None = None,
        user_data: ec2.UserData | None = None,
        log_retention: logs.RetentionDays | None = None,
        log_key: kms.IKey | None = None,
        notification_topic: sns.ITopic | None = None,
        log_paths: Sequence[str] | None = None,
        metrics_namespace: str | None = None,
        alarm_options: FleetAlarmOptions | None = None,
        dashboard: bool | None = None,
    ) -> None:
        """Create the fleet.

        :param vpc: the VPC to launch into.
        :param machine_image: the AMI. Prefer :class:`PinnedSsmImage` (or an AMI catalog
            channel) so a new image is an explicit template diff. Images resolved at launch
            time are refused; ``MachineImage.from_ssm_parameter`` and ``latest_amazon_linux2023()`` are
            re-resolved on every deploy: a construct warning, and an error of the rule pack (IMM-IMG3).
            No image yet: :class:`TrialImage` (the agent installed at boot; IMM-IMG4 warns).
        :param instance_type: the EC2 instance type.
        :param vpc_subnets: where to launch; public subnets are refused. Default: the VPC's
            private subnets with egress, else its isolated ones.
        :param min_capacity: Default: 2.
        :param max_capacity: Default: twice the larger of ``min_capacity`` and ``desired_capacity``.
        :param desired_capacity: Default: unset (starts at ``min_capacity``; each deploy
            that sets it resets the group to it).
        :param update: how a new launch template version replaces the instances. Default:
            ``FleetUpdate.replacing()`` (the whole fleet in one batch, launching before terminating).
        :param health_check: the application check that gates the success signal.
            Default: none; the instance signals when user data finishes (a warning says so).
        :param signal_timeout: how long CloudFormation waits for signals (not a token). Default: 15 minutes.
        :param max_instance_lifetime: Default: 14 days (1 to 365 days).
        :param target_groups: ALB target groups to register with; ELB health checks are
            then used with ``health_check_grace_period``. Default: none.
        :param health_check_grace_period: Default: 5 minutes.
        :param imds_hop_limit: IMDSv2 PUT response hop limit, 1-64 (2 for containers that call IMDS).
            Default: 1.
        :param root_volume_size: root volume size in GiB. Default: 20.
        :param root_device_name: the AMI's root device. Default: ``/dev/xvda`` (Amazon Linux);
            Ubuntu and most others use ``/dev/sda1``.
        :param volume_key: KMS key for the root volume; its key policy is extended so EC2 Auto
            Scaling can use it. Default: the account's EBS key.
        :param role: an existing instance role. Default: a new one;
            the agent and log permissions are added to either.
        :param security_group: an existing security group. Default: a new one with no ingress.
        :param allow_all_outbound: for the new security group. Default: true.
        :param user_data: user data to start from; its commands run before the health
            check (commands added after the fleet is created run after it, before the
            signal). Default: empty Linux user data.
        :param log_retention: retention of the fleet's log group. Default: one month.
        :param log_key: KMS key for the fleet's log group. Default: CloudWatch Logs' own encryption.
        :param notification_topic: SNS topic that receives every scaling event (launch,
            terminate, and their errors), so replacements are visible. Default: none.
        :param log_paths: application log files (absolute paths, ``*`` globs allowed) the CloudWatch agent
            ships to the fleet's log group, one stream per instance and file, next to the system logs.
            Default: none (system logs only: ``/var/log/messages``, cloud-init's, the SSM and CloudWatch agents').
        :param metrics_namespace: the CloudWatch namespace of the agent's memory, disk and CPU metrics; the
            instance role may put metrics into this namespace only. Default: ``ImmutableConstructs/<the
            fleet's unique id>``.
        :param alarm_options: thresholds of the standard alarms (``fleet.alarms``) and whether an instance
            refresh rolls back on them. Default: ``FleetAlarmOptions()`` (see its defaults).
        :param dashboard: create a CloudWatch dashboard of the alarms and agent metrics (``fleet.dashboard``).
            Default: false.
        """
        super().__init__(scope, id)
        record_origin(self)  # the user's line that created it, for the SARIF report
        props = ImmutableFleetProps.of(locals())
        plan = self._check(props)

        self.instance_tag: tuple[str, str] = fleet_tag(self)
        """(key, value) of the tag every instance carries; used to scope Session Manager access."""
        launch = build_fleet_launch(
            self,
            props,
            plan,
            what="immutable fleet",
            security_group_description="Immutable fleet: no ingress for access; use Session Manager",
            allow_all_outbound=True if props.allow_all_outbound is None else props.allow_all_outbound,
            log_key=props.log_key,
        )
        self.log_group = launch.log_group
        """The fleet's log group; the instance role may write to it (CloudWatch agent)."""
        self.role: iam.IRole = launch.role
        """The instance role (the one given as ``role``, or the fleet's own)."""
        self._agent_policy = launch.agent_policy
        self.security_group = launch.security_group
        """The fleet's security group (the one given as ``security_group``, or the fleet's own)."""
        self.user_data: ec2.UserData = launch.user_data
        """The fleet's user data; it ends with the health check and the success signal."""
        self.launch_template = launch.launch_template
        """The launch template; each change makes a new version, which the update policy rolls out."""
        self.agent_config = launch.agent_config
        """The SSM parameter with the CloudWatch agent configuration the hosts start their agent from."""
        self.metrics_namespace: str = launch.metrics_namespace
        """The CloudWatch namespace of the agent's metrics (memory, disk, CPU)."""

        release = release_effect(plan.update.kind, rollback=plan.alarm_options.rollback)
        groups = list(props.target_groups or ())
        standard, self.dashboard = observe(
            self, self.metrics_namespace, groups, plan.alarm_options, props.dashboard, release
        )
        self.alarms: list[cloudwatch.Alarm] = standard.all
        """The standard alarms: unhealthy hosts and 5xx per target group, CPU, agent silence."""
        self.auto_scaling_group = self._build_group(
            props, plan, standard.rollback if plan.alarm_options.rollback else []
        )
        """The Auto Scaling group."""
        self._grace_period = plan.grace_period
        self._wire_signal(props, plan)
        for target_group in groups:
            self.attach_to_target_group(target_group)

    # -- the build steps --------------------------------------------------------

    def _check(self, props: ImmutableFleetProps) -> _RefreshPlan:
        """Every check of the props, in one ValidationError; the plan the build steps follow."""
        problems, alarm_options = open_checks(
            self,
            props,
            durations=("signal_timeout", "max_instance_lifetime", "health_check_grace_period"),
            flags=("allow_all_outbound",),
        )
        update = props.update or FleetUpdate.replacing()
        min_cap = DEFAULT_MIN_CAPACITY if props.min_capacity is None else props.min_capacity
        signal_timeout = props.signal_timeout or _DEFAULT_SIGNAL_TIMEOUT
        lifetime, grace_period = lifetime_and_grace(props)
        signals = not isinstance(update, FleetUpdate) or update.waits_for_signals
        problems.require(
            signals or props.health_check is None,
            "health_check",
            props.health_check,
            "gates cfn-signal, which an instance refresh does not wait for",
            "drop health_check and attach target_groups whose ALB health check judges new instances after "
            "instance_warmup, or use FleetUpdate.replacing()/rolling() to keep signal gating",
        )
        max_cap = check_capacity(
            problems,
            min_capacity=min_cap,
            max_capacity=props.max_capacity,
            desired=props.desired_capacity,
            why_one="an empty fleet cannot signal, so creation would time out",
        )
        in_service = props.desired_capacity if props.desired_capacity is not None else min_cap
        _check_update(problems, update, max_capacity=max_cap, in_service=in_service, signal_timeout=signal_timeout)
        _check_durations(problems, signal_timeout, lifetime, grace_period, props.health_check)
        _check_own(self, problems, props, update, alarm_options)
        subnets, image_config = close_checks(self, problems, props)
        return _RefreshPlan(
            min_capacity=min_cap,
            max_capacity=max_cap,
            lifetime=lifetime,
            grace_period=grace_period,
            subnets=subnets,
            image_config=image_config,
            alarm_options=alarm_options,
            update=update,
            signal_timeout=signal_timeout,
            signals=signals,
            in_service=in_service,
        )

    def _build_group(
        self, props: ImmutableFleetProps, plan: _RefreshPlan, rollback_alarms: Sequence[cloudwatch.IAlarm]
    ) -> autoscaling.AutoScalingGroup:
        """The Auto Scaling group (id Group), with its update policy and signals; instances carry the fleet tag."""
        group = autoscaling.AutoScalingGroup(
            self,
            "Group",
            vpc=props.vpc,
            vpc_subnets=plan.subnets,
            launch_template=self.launch_template,
            min_capacity=plan.min_capacity,
            max_capacity=plan.max_capacity,
            desired_capacity=props.desired_capacity,
            max_instance_lifetime=plan.lifetime,
            min_healthy_percentage=100,
            max_healthy_percentage=200,
            update_policy=plan.update._render(
                in_service=plan.in_service, grace_period=plan.grace_period, alarms=list(rollback_alarms)
            ),
            signals=autoscaling.Signals.wait_for_all(timeout=plan.signal_timeout) if plan.signals else None,
            health_checks=autoscaling.HealthChecks.ec2(grace_period=plan.grace_period),
            group_metrics=[autoscaling.GroupMetrics.all()],
            notifications=(
                [autoscaling.NotificationConfiguration(topic=props.notification_topic)]
                if props.notification_topic
                else None
            ),
        )
        Tags.of(group).add(self.instance_tag[0], self.instance_tag[1], apply_to_launched_instances=True)
        return group

    def _wire_signal(self, props: ImmutableFleetProps, plan: _RefreshPlan) -> None:
        """User data ends with the health check and cfn-signal (not for an instance refresh, which judges
        readiness by health checks after the warmup)."""
        if not plan.signals:
            return
        self.user_data.add_signal_on_exit_command(self.auto_scaling_group)
        if props.health_check is not None:
            self.user_data.add_commands(*props.health_check.render())
        else:
            Annotations.of(self).add_warning_v2(
                "immutable-constructs:fleetWithoutHealthCheck",
                "No health_check: instances signal success as soon as user data finishes, so a release "
                "whose application never becomes healthy still succeeds. Pass "
                "health_check=FleetHealthCheck.http('http://localhost:PORT/health') or .command('...').",
            )

    # -- public API -------------------------------------------------------------

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The instance role, for ``bucket.grant_read(fleet)`` and the like."""
        return self.role

    @property
    def connections(self) -> ec2.Connections:
        """The fleet's security group connections, e.g. ``fleet.connections.allow_from(alb, Port.tcp(80))``."""
        return self.auto_scaling_group.connections

    @checked(target_group=TARGET_GROUP)
    def attach_to_target_group(self, target_group: elbv2.IApplicationTargetGroup) -> None:
        """Register the fleet with an ALB target group and switch to ELB health checks.

        The load balancer's security group is allowed to reach the fleet on the target
        port; no other ingress is added. The standard alarms (``alarms``) cover the target
        groups given as ``target_groups`` only.
        """
        self.auto_scaling_group.attach_to_application_target_group(target_group)
        cfn_group = self.auto_scaling_group.node.default_child
        assert isinstance(cfn_group, autoscaling.CfnAutoScalingGroup)
        cfn_group.health_check_type = "ELB"
        cfn_group.health_check_grace_period = whole(self._grace_period)


# -- the checks only this fleet has ---------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _RefreshPlan(Plan):
    """The shared plan, plus the update policy and whether instances signal."""

    update: FleetUpdate
    signal_timeout: Duration
    signals: bool
    in_service: int


def _check_own(
    scope: Construct, problems: Problems, props: ImmutableFleetProps, update: object, options: FleetAlarmOptions
) -> None:
    if isinstance(update, FleetUpdate) and update.kind == "instance_refresh":
        alarms = update.options.get("alarms")
        check_value(problems, "update.alarms", alarms, Sequence[cloudwatch.IAlarm] | None, REFRESH_ALARMS, scope)
    problems.require(
        not (props.security_group is not None and props.allow_all_outbound is not None),
        "allow_all_outbound",
        props.allow_all_outbound,
        "only applies to the security group the fleet creates, but security_group was given",
        "configure egress on your security group, or drop security_group",
    )
    if options.rollback and isinstance(update, FleetUpdate) and update.kind == "instance_refresh":
        own = len(update.options.get("alarms") or [])
        standard_count = 2 * len(props.target_groups or ()) + 1  # unhealthy hosts and 5xx per group, CPU
        problems.require(
            own + standard_count <= 10,
            "update.alarms",
            f"{own} alarms",
            f"plus the fleet's {standard_count} standard alarms exceed the instance refresh's limit of 10",
            "combine alarms with a CompositeAlarm, or pass alarm_options=FleetAlarmOptions(rollback=False)",
        )


def _check_update(
    problems: Problems, update: object, *, max_capacity: int, in_service: int, signal_timeout: Duration
) -> None:
    if not isinstance(update, FleetUpdate):
        problems.add(
            "update",
            update,
            "is not a FleetUpdate",
            "use FleetUpdate.replacing(), FleetUpdate.rolling(...) or FleetUpdate.instance_refresh(...)",
        )
    elif not update.kind:
        problems.add("update", update, "is not a known strategy", "use the FleetUpdate class methods")
    else:
        update._validate(problems, max_capacity=max_capacity, in_service=in_service, signal_timeout=signal_timeout)


def _check_durations(
    problems: Problems, signal_timeout: Duration, lifetime: Duration, grace_period: Duration, health_check: object
) -> None:
    signal_s = seconds(signal_timeout)
    if signal_s is not None:
        problems.require(
            60 <= signal_s <= 12 * 3600,
            "signal_timeout",
            signal_timeout.to_human_string(),
            "must be from 1 minute to 12 hours (CloudFormation's limit)",
            "set it to how long an instance needs to boot and become healthy",
        )
    check_lifetime(problems, max_instance_lifetime=lifetime, grace_period=grace_period)
    if not isinstance(health_check, FleetHealthCheck):
        return  # none, or a wrong type that check_fleet reported
    hc_s = seconds(health_check.timeout)
    if hc_s is not None and signal_s is not None:
        problems.require(
            0 < hc_s < signal_s,
            "health_check.timeout",
            health_check.timeout.to_human_string(),
            f"must be positive and shorter than signal_timeout ({signal_timeout.to_human_string()})",
            "leave the instance time to boot: lower the health check timeout or raise signal_timeout",
        )
