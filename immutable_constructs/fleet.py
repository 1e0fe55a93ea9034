"""ImmutableFleet: a launch template plus an Auto Scaling group whose instances are
replaced, never patched.

A new image (or any launch template change) creates a new launch template version,
and the group's update policy replaces the instances. Hosts are also regenerated on a
schedule (maximum instance lifetime), so none lives long enough to drift.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jsii
from aws_cdk import Annotations, CfnParameter, Duration, Names, Stack, Tags
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from ._private.arns import instance_arn
from ._private.fleet_checks import check_fleet, check_health_check, check_update_options
from ._private.kms_grants import allow_autoscaling_service_linked_role
from ._private.limits import iam_description
from ._private.nag import acknowledge_wildcards
from ._private.subnets import select as select_subnets
from ._private.validation import Problems, is_unresolved

__all__ = ["FleetHealthCheck", "FleetUpdate", "ImmutableFleet"]

#: The tag every instance of a fleet carries; SessionManagerAccess scopes operator access with it.
FLEET_TAG_KEY = "immutable-constructs:fleet"

_DEFAULT_MIN_CAPACITY = 2
_DEFAULT_SIGNAL_TIMEOUT = Duration.minutes(15)
_DEFAULT_MAX_INSTANCE_LIFETIME = Duration.days(14)
_DEFAULT_GRACE_PERIOD = Duration.minutes(5)
_DEFAULT_ROOT_VOLUME_GIB = 20
_DEFAULT_ROOT_DEVICE = "/dev/xvda"
_DEFAULT_HEALTH_CHECK_TIMEOUT = Duration.minutes(10)

_RESOLVE_AT_LAUNCH = re.compile(r"^resolve:ssm:")
_UNVERSIONED_DYNAMIC_REF = re.compile(r"\{\{resolve:ssm:[^:}]+\}\}")


def _seconds(value: Duration | None) -> float | None:
    """Seconds in a Duration, or None when it is absent or a deploy-time token."""
    if value is None:
        return None
    try:
        return float(value.to_milliseconds()) / 1000
    except Exception:  # an unresolved token cannot be converted: skip the check
        return None


def _human(value: object) -> object:
    """A Duration as text for a repr (``10 minutes``), anything else as is."""
    if isinstance(value, Duration):
        try:
            return value.to_human_string()
        except Exception:  # a token duration
            return "a Duration token"
    return value


@dataclass(frozen=True)
class FleetUpdate:
    """How a change to the launch template (a new image, new user data) reaches the fleet.

    Build one with :meth:`replacing`, :meth:`rolling` or :meth:`instance_refresh`. Every
    strategy replaces instances; none updates them in place.
    """

    kind: str
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def replacing(cls) -> FleetUpdate:
        """Replace the whole fleet in one batch (the default).

        CloudFormation's ``AutoScalingReplacingUpdate``: a new Auto Scaling group is
        created from the new launch template version next to the old one. When the new
        group's instances have all signalled success (see ``health_check``), traffic and
        ownership move to it and the old group is deleted. If any instance fails its
        health check or the signal timeout passes, the new group is deleted and the old
        one, untouched, keeps serving. In-service capacity never drops below the desired
        capacity; for a while the fleet runs twice its size.
        """
        return cls("replacing")

    @classmethod
    def rolling(
        cls,
        *,
        max_batch_size: int | None = None,
        min_instances_in_service: int | None = None,
        min_success_percentage: int | None = None,
        suspend_processes: Sequence[autoscaling.ScalingProcess] | None = None,
    ) -> FleetUpdate:
        """Replace instances in batches inside the existing group (``AutoScalingRollingUpdate``).

        :param max_batch_size: instances replaced at once. Default: 1.
        :param min_instances_in_service: instances kept in service while a batch is replaced.
            Default: the fleet's desired capacity (or min capacity), so new instances are
            launched before old ones terminate. Must be below max capacity (CloudFormation's rule).
        :param min_success_percentage: percentage of new instances that must signal success.
            Default: 100.
        :param suspend_processes: Auto Scaling processes suspended during the update.
            Default: CDK's (HealthCheck, ReplaceUnhealthy, AZRebalance, AlarmNotification,
            ScheduledActions, InstanceRefresh).

        Each batch waits for its instances' success signals (pause time = the fleet's
        ``signal_timeout``, at most one hour). On failure CloudFormation rolls the stack
        back, which rolls the group back to the previous launch template version the same way.
        """
        check_update_options(
            "rolling",
            max_batch_size=max_batch_size,
            min_instances_in_service=min_instances_in_service,
            min_success_percentage=min_success_percentage,
            suspend_processes=suspend_processes,
        )
        return cls(
            "rolling",
            {
                "max_batch_size": max_batch_size,
                "min_instances_in_service": min_instances_in_service,
                "min_success_percentage": min_success_percentage,
                "suspend_processes": list(suspend_processes) if suspend_processes is not None else None,
            },
        )

    @classmethod
    def instance_refresh(
        cls,
        *,
        min_healthy_percentage: int | None = None,
        max_healthy_percentage: int | None = None,
        instance_warmup: Duration | None = None,
        checkpoint_percentages: Sequence[int] | None = None,
        checkpoint_delay: Duration | None = None,
        bake_time: Duration | None = None,
        alarms: Sequence[cloudwatch.IAlarm] | None = None,
    ) -> FleetUpdate:
        """Replace instances with an EC2 Auto Scaling instance refresh (``AutoScalingInstanceRefresh``).

        Always the ``Rolling`` strategy (``ReplaceRootVolume`` would change instances in place).

        :param min_healthy_percentage: Default: 100, so capacity never drops below desired.
        :param max_healthy_percentage: Default: 200 (launch a full set before terminating).
            ``max - min`` may not exceed 100.
        :param instance_warmup: Default: the fleet's health check grace period.
        :param checkpoint_percentages: ascending, unique, 1..100, last one 100. Default: none.
        :param checkpoint_delay: wait at each checkpoint. Default: 1 hour when checkpoints are set.
        :param bake_time: wait after the refresh before CloudFormation calls it done. Default: 0.
        :param alarms: alarms that fail (and so roll back) the refresh. Default: none.

        Health is judged by the group's health checks (ELB when attached to a target
        group) after the warmup, not by ``cfn-signal`` (an instance refresh does not wait
        for signals, so the fleet sets none and refuses ``health_check``). A failed
        refresh fails the stack update and CloudFormation rolls back to the previous
        launch template version, reading the policy from the previous template, so keep
        this policy on the group permanently.
        """
        check_update_options(
            "instance_refresh",
            min_healthy_percentage=min_healthy_percentage,
            max_healthy_percentage=max_healthy_percentage,
            instance_warmup=instance_warmup,
            checkpoint_percentages=checkpoint_percentages,
            checkpoint_delay=checkpoint_delay,
            bake_time=bake_time,
            alarms=alarms,
        )
        return cls(
            "instance_refresh",
            {
                "min_healthy_percentage": min_healthy_percentage,
                "max_healthy_percentage": max_healthy_percentage,
                "instance_warmup": instance_warmup,
                "checkpoint_percentages": list(checkpoint_percentages) if checkpoint_percentages is not None else None,
                "checkpoint_delay": checkpoint_delay,
                "bake_time": bake_time,
                "alarms": list(alarms) if alarms is not None else None,
            },
        )


@dataclass(frozen=True)
class FleetHealthCheck:
    """The application check an instance must pass before it signals success to CloudFormation.

    Build one with :meth:`http` or :meth:`command`. The check runs at the end of user
    data and is retried every ``interval`` until it passes or ``timeout`` runs out;
    the instance then signals success (exit code 0) or failure.
    """

    kind: str
    target: str
    timeout: Duration
    interval: Duration

    @classmethod
    def http(cls, url: str, *, timeout: Duration | None = None, interval: Duration | None = None) -> FleetHealthCheck:
        """Pass when ``curl -fsS URL`` succeeds (any 2xx/3xx status), e.g. ``http://localhost:8080/health``.

        :param timeout: how long to keep trying. Default: 10 minutes; shorter than the fleet's ``signal_timeout``.
        :param interval: wait between tries. Default: 5 seconds.
        """
        return cls._checked("http", url, timeout, interval)

    @classmethod
    def command(
        cls, command: str, *, timeout: Duration | None = None, interval: Duration | None = None
    ) -> FleetHealthCheck:
        """Pass when the shell command exits 0, e.g. ``systemctl is-active --quiet app``.

        :param timeout: how long to keep trying. Default: 10 minutes; shorter than the fleet's ``signal_timeout``.
        :param interval: wait between tries. Default: 5 seconds.
        """
        return cls._checked("command", command, timeout, interval)

    @classmethod
    def _checked(cls, kind: str, target: str, timeout: Duration | None, interval: Duration | None) -> FleetHealthCheck:
        check = cls(kind, target, timeout or _DEFAULT_HEALTH_CHECK_TIMEOUT, interval or Duration.seconds(5))
        # Wrong types fail here; the URL's or command's value is checked by the fleet, which has a path.
        problems = Problems(f"FleetHealthCheck.{kind}")
        check_health_check(problems, check, prefix="")
        problems.raise_if_any()
        return check

    def __repr__(self) -> str:
        return (
            f"FleetHealthCheck(kind={self.kind!r}, target={self.target!r}, "
            f"timeout={_human(self.timeout)!r}, interval={_human(self.interval)!r})"
        )

    def render(self) -> list[str]:
        """The user data lines that run the check; the script exits 1 (signalling failure) when it never passes.

        When the check passes, the script goes on: commands added to the user data later run
        after the check, and the signal reports the script's final exit code.
        """
        timeout = int(self.timeout.to_seconds())
        interval = int(self.interval.to_seconds())
        if self.kind == "http":
            probe = f"curl -fsS -o /dev/null --max-time 5 {shlex.quote(self.target)}"
        else:
            probe = f"( {self.target} )"
        return [
            "# immutable-constructs: signal success only once the application is healthy",
            f"ic_deadline=$((SECONDS + {timeout}))",
            f"until {probe}; do",
            '  if [ "$SECONDS" -ge "$ic_deadline" ]; then',
            f"    echo {shlex.quote(f'health check failed for {timeout}s: {self.target}')} >&2",
            "    exit 1",
            "  fi",
            f"  sleep {interval}",
            "done",
        ]


@jsii.implements(iam.IGrantable, ec2.IConnectable)
class ImmutableFleet(Construct):
    """A launch template and an Auto Scaling group whose instances are replaced, never patched.

    Secure, documented defaults:

    * **Launch template, never a launch configuration.** IMDSv2 required with a hop
      limit of 1 (``imds_hop_limit`` raises it, e.g. 2 for containers), no key pair (there
      is no prop for one), no public IP address, detailed monitoring, an encrypted gp3
      root volume (``volume_key`` for a customer managed KMS key).
    * **Private subnets.** Default: the VPC's private subnets with egress, else its
      isolated subnets; public subnets are refused.
    * **Instance role** with a scoped Session Manager policy (no ``AmazonSSMManagedInstanceCore``,
      which grants ``ssm:GetParameter*`` on every parameter) and CloudWatch agent
      permissions for the fleet's own log group, which keeps logs ``log_retention`` (one month).
    * **Security group with no ingress rule.** Nobody logs in; use Session Manager.
    * **Update policy** ``FleetUpdate.replacing()``: the whole fleet is replaced in one
      batch, launching before terminating.
    * **Signals**: creation and updates wait until every instance has run its user
      data and passed ``health_check``, for at most ``signal_timeout`` (15 minutes).
    * **Regeneration**: instances live at most ``max_instance_lifetime`` (14 days); the
      group's instance maintenance policy (min 100 %, max 200 % healthy) launches a
      replacement before terminating, so capacity does not drop.
    * **Capacity**: ``min_capacity`` 2, ``max_capacity`` twice the larger of min and
      desired, ``desired_capacity`` unset (the group starts at min and scaling owns it).
    """

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
    ) -> None:
        """Create the fleet.

        :param vpc: the VPC to launch into.
        :param machine_image: the AMI. Prefer :class:`PinnedSsmImage` (or an AMI catalog
            channel) so a new image is an explicit template diff. Images resolved at launch
            time are refused; ``MachineImage.from_ssm_parameter`` gets a warning.
        :param instance_type: the EC2 instance type.
        :param vpc_subnets: where to launch. Default: private subnets with egress, else isolated ones.
        :param min_capacity: Default: 2.
        :param max_capacity: Default: twice the larger of ``min_capacity`` and ``desired_capacity``.
        :param desired_capacity: Default: unset (starts at ``min_capacity``; each deploy
            that sets it resets the group to it).
        :param update: Default: ``FleetUpdate.replacing()``.
        :param health_check: the application check that gates the success signal.
            Default: none; the instance signals when user data finishes (a warning says so).
        :param signal_timeout: how long CloudFormation waits for signals. Default: 15 minutes.
        :param max_instance_lifetime: Default: 14 days (1 to 365 days).
        :param target_groups: ALB target groups to register with; ELB health checks are
            then used with ``health_check_grace_period``. Default: none.
        :param health_check_grace_period: Default: 5 minutes.
        :param imds_hop_limit: IMDSv2 PUT response hop limit, 1-64. Default: 1.
        :param root_volume_size: root volume size in GiB. Default: 20.
        :param root_device_name: the AMI's root device. Default: ``/dev/xvda`` (Amazon Linux);
            Ubuntu and most others use ``/dev/sda1``.
        :param volume_key: KMS key for the root volume. Default: the account's EBS key.
        :param role: an existing instance role. Default: a new one (see class docstring);
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
        """
        super().__init__(scope, id)
        problems = check_fleet(
            self,
            durations=("signal_timeout", "max_instance_lifetime", "health_check_grace_period"),
            flags=("allow_all_outbound",),
            vpc=vpc,
            machine_image=machine_image,
            instance_type=instance_type,
            vpc_subnets=vpc_subnets,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            desired_capacity=desired_capacity,
            health_check=health_check,
            signal_timeout=signal_timeout,
            max_instance_lifetime=max_instance_lifetime,
            target_groups=target_groups,
            health_check_grace_period=health_check_grace_period,
            imds_hop_limit=imds_hop_limit,
            root_volume_size=root_volume_size,
            root_device_name=root_device_name,
            volume_key=volume_key,
            role=role,
            security_group=security_group,
            allow_all_outbound=allow_all_outbound,
            user_data=user_data,
            log_retention=log_retention,
            log_key=log_key,
            notification_topic=notification_topic,
        )
        update = update or FleetUpdate.replacing()
        min_cap = _DEFAULT_MIN_CAPACITY if min_capacity is None else min_capacity
        signal_timeout = signal_timeout or _DEFAULT_SIGNAL_TIMEOUT
        max_instance_lifetime = max_instance_lifetime or _DEFAULT_MAX_INSTANCE_LIFETIME
        grace_period = health_check_grace_period or _DEFAULT_GRACE_PERIOD
        hop_limit = 1 if imds_hop_limit is None else imds_hop_limit
        volume_size = _DEFAULT_ROOT_VOLUME_GIB if root_volume_size is None else root_volume_size
        device_name = root_device_name or _DEFAULT_ROOT_DEVICE

        refresh = isinstance(update, FleetUpdate) and update.kind == "instance_refresh"
        problems.require(
            not (refresh and health_check is not None),
            "health_check",
            health_check,
            "gates cfn-signal, which an instance refresh does not wait for",
            "drop health_check and attach target_groups whose ALB health check judges new instances after "
            "instance_warmup, or use FleetUpdate.replacing()/rolling() to keep signal gating",
        )
        self._validate_capacity(problems, min_cap, max_capacity, desired_capacity)
        problems.require(
            max_capacity is not None or not is_unresolved([min_cap, desired_capacity or 0]),
            "max_capacity",
            max_capacity,
            "cannot default to twice the capacity when min_capacity or desired_capacity is a deploy-time token",
            "pass max_capacity explicitly",
        )
        max_cap = max_capacity if max_capacity is not None else 2 * max(min_cap, desired_capacity or 0)
        in_service = desired_capacity if desired_capacity is not None else min_cap
        self._validate_update(problems, update, max_cap, in_service, signal_timeout)
        self._validate_durations(problems, signal_timeout, max_instance_lifetime, grace_period, health_check)
        problems.require(
            not (security_group is not None and allow_all_outbound is not None),
            "allow_all_outbound",
            allow_all_outbound,
            "only applies to the security group the fleet creates, but security_group was given",
            "configure egress on your security group, or drop security_group",
        )
        subnets = self._select_subnets(problems, vpc, vpc_subnets)
        image_config = self._check_image(problems, machine_image)
        problems.raise_if_any()

        stack = Stack.of(self)
        self.instance_tag: tuple[str, str] = (FLEET_TAG_KEY, Names.unique_id(self)[-255:])
        """(key, value) of the tag every instance carries; used to scope Session Manager access."""

        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=log_retention or logs.RetentionDays.ONE_MONTH,
            encryption_key=log_key,
        )
        """The fleet's log group; the instance role may write to it (CloudWatch agent)."""

        self.role: iam.IRole = role or iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description=iam_description(f"Instance role of the immutable fleet {self.node.path}"),
        )
        self._agent_policy = iam.Policy(
            self,
            "AgentPolicy",
            statements=self._agent_statements(stack),
        )
        self._agent_policy.attach_to_role(self.role)
        acknowledge_wildcards(
            self._agent_policy,
            {
                "*": "ssmmessages channel actions and ec2:DescribeTags/DescribeVolumes support no resource-level "
                "permissions; cloudwatch:PutMetricData is limited to the CWAgent namespace by condition.",
                self._instance_arn(stack): "ssm:UpdateInstanceInformation is scoped to this account's instances: "
                "the instance ids of an Auto Scaling group are not known in advance.",
                f"{self.log_group.log_group_arn}:*": "the CloudWatch agent writes to log streams it creates in the "
                "fleet's own log group, whose names are not known in advance.",
            },
        )

        if security_group is None:
            security_group = ec2.SecurityGroup(
                self,
                "SecurityGroup",
                vpc=vpc,
                description="Immutable fleet: no ingress for access; use Session Manager",
                allow_all_outbound=True if allow_all_outbound is None else allow_all_outbound,
            )
        self.security_group = security_group

        self.user_data: ec2.UserData = user_data or image_config.user_data or ec2.UserData.for_linux()
        """The fleet's user data; it ends with the health check and the success signal."""

        if volume_key is not None:
            # EC2 Auto Scaling launches with its service-linked role, which must be able to use the key
            # (EC2 Auto Scaling User Guide, "Required AWS KMS key policy for use with encrypted volumes").
            grant_volume_key(self, volume_key)
        self.launch_template = ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            machine_image=machine_image,
            instance_type=instance_type,
            role=self.role,
            security_group=security_group,
            user_data=self.user_data,
            require_imdsv2=True,
            http_tokens=ec2.LaunchTemplateHttpTokens.REQUIRED,
            http_put_response_hop_limit=hop_limit,
            http_endpoint=True,
            associate_public_ip_address=False,
            detailed_monitoring=True,
            block_devices=[
                ec2.BlockDevice(
                    device_name=device_name,
                    volume=ec2.BlockDeviceVolume.ebs(
                        volume_size,
                        encrypted=True,
                        kms_key=volume_key,
                        volume_type=ec2.EbsDeviceVolumeType.GP3,
                        delete_on_termination=True,
                    ),
                )
            ],
        )

        self.auto_scaling_group = autoscaling.AutoScalingGroup(
            self,
            "Group",
            vpc=vpc,
            vpc_subnets=subnets,
            launch_template=self.launch_template,
            min_capacity=min_cap,
            max_capacity=max_cap,
            desired_capacity=desired_capacity,
            max_instance_lifetime=max_instance_lifetime,
            min_healthy_percentage=100,
            max_healthy_percentage=200,
            update_policy=self._update_policy(update, in_service, grace_period),
            signals=None if refresh else autoscaling.Signals.wait_for_all(timeout=signal_timeout),
            health_checks=autoscaling.HealthChecks.ec2(grace_period=grace_period),
            group_metrics=[autoscaling.GroupMetrics.all()],
            notifications=(
                [autoscaling.NotificationConfiguration(topic=notification_topic)] if notification_topic else None
            ),
        )
        self._grace_period = grace_period
        Tags.of(self.auto_scaling_group).add(
            self.instance_tag[0], self.instance_tag[1], apply_to_launched_instances=True
        )

        if not refresh:  # an instance refresh judges readiness by health checks after the warmup, not by cfn-signal
            self.user_data.add_signal_on_exit_command(self.auto_scaling_group)
            if health_check is not None:
                self.user_data.add_commands(*health_check.render())
            else:
                Annotations.of(self).add_warning_v2(
                    "immutable-constructs:fleetWithoutHealthCheck",
                    "No health_check: instances signal success as soon as user data finishes, so a release "
                    "whose application never becomes healthy still succeeds. Pass "
                    "health_check=FleetHealthCheck.http('http://localhost:PORT/health') or .command('...').",
                )

        for target_group in target_groups or ():
            self.attach_to_target_group(target_group)

    # -- public API -------------------------------------------------------------

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The instance role, for ``bucket.grant_read(fleet)`` and the like."""
        return self.role

    @property
    def connections(self) -> ec2.Connections:
        """The fleet's security group connections, e.g. ``fleet.connections.allow_from(alb, Port.tcp(80))``."""
        return self.auto_scaling_group.connections

    def attach_to_target_group(self, target_group: elbv2.IApplicationTargetGroup) -> None:
        """Register the fleet with an ALB target group and switch to ELB health checks.

        The load balancer's security group is allowed to reach the fleet on the target
        port; no other ingress is added.
        """
        self.auto_scaling_group.attach_to_application_target_group(target_group)
        cfn_group = self.auto_scaling_group.node.default_child
        assert isinstance(cfn_group, autoscaling.CfnAutoScalingGroup)
        cfn_group.health_check_type = "ELB"
        cfn_group.health_check_grace_period = int(self._grace_period.to_seconds())

    # -- construction helpers ---------------------------------------------------

    @staticmethod
    def _instance_arn(stack: Stack) -> str:
        return instance_arn(stack)

    def _agent_statements(self, stack: Stack) -> list[iam.PolicyStatement]:
        return agent_statements(stack, self.log_group)

    def _select_subnets(
        self, problems: Problems, vpc: ec2.IVpc, selection: ec2.SubnetSelection | None
    ) -> ec2.SubnetSelection | None:
        return select_private_subnets(problems, vpc, selection)

    def _check_image(self, problems: Problems, machine_image: ec2.IMachineImage) -> ec2.MachineImageConfig:
        return check_image(self, problems, machine_image)

    @staticmethod
    def _update_policy(update: FleetUpdate, in_service: int, grace_period: Duration) -> autoscaling.UpdatePolicy:
        o = update.options
        if update.kind == "rolling":
            min_in = o["min_instances_in_service"]
            return autoscaling.UpdatePolicy.rolling_update(
                max_batch_size=o["max_batch_size"] or 1,
                min_instances_in_service=in_service if min_in is None else min_in,
                min_success_percentage=o["min_success_percentage"],
                suspend_processes=o["suspend_processes"],
            )
        if update.kind == "instance_refresh":
            low = o["min_healthy_percentage"]
            high = o["max_healthy_percentage"]
            return autoscaling.UpdatePolicy.instance_refresh(
                strategy=autoscaling.InstanceRefreshStrategy.ROLLING,
                min_healthy_percentage=100 if low is None else low,
                max_healthy_percentage=200 if high is None else high,
                instance_warmup=o["instance_warmup"] or grace_period,
                checkpoint_percentages=o["checkpoint_percentages"],
                checkpoint_delay=o["checkpoint_delay"],
                bake_time=o["bake_time"],
                alarms=o["alarms"],
                skip_matching=True,
            )
        return autoscaling.UpdatePolicy.replacing_update()

    @staticmethod
    def _validate_capacity(problems: Problems, min_cap: int, max_cap: int | None, desired: int | None) -> None:
        fix_order = "keep min_capacity <= desired_capacity <= max_capacity"
        for prop, value in (("min_capacity", min_cap), ("max_capacity", max_cap), ("desired_capacity", desired)):
            if (
                value is not None
                and not is_unresolved(value)
                and (isinstance(value, bool) or not isinstance(value, int))
            ):
                problems.add(prop, value, "must be a whole number", "pass an int")
                return
        problems.require(
            min_cap >= 1,
            "min_capacity",
            min_cap,
            "must be at least 1 (an empty fleet cannot signal, so creation would time out)",
            "use 1 or more; 2 or more spreads the fleet over two availability zones",
        )
        if desired is not None:
            problems.require(
                min_cap <= desired,
                "desired_capacity",
                desired,
                f"is below min_capacity ({min_cap})",
                fix_order,
                depends_on=(min_cap,),
            )
        if max_cap is not None:
            problems.require(
                min_cap <= max_cap,
                "max_capacity",
                max_cap,
                f"is below min_capacity ({min_cap})",
                fix_order,
                depends_on=(min_cap,),
            )
            if desired is not None:
                problems.require(
                    desired <= max_cap,
                    "max_capacity",
                    max_cap,
                    f"is below desired_capacity ({desired})",
                    fix_order,
                    depends_on=(desired,),
                )

    @staticmethod
    def _validate_update(
        problems: Problems, update: object, max_cap: int, in_service: int, signal_timeout: Duration
    ) -> None:
        if not isinstance(update, FleetUpdate):
            problems.add(
                "update",
                update,
                "is not a FleetUpdate",
                "use FleetUpdate.replacing(), FleetUpdate.rolling(...) or FleetUpdate.instance_refresh(...)",
            )
            return
        o = update.options
        if update.kind == "rolling":
            batch = o["max_batch_size"]
            if batch is not None:
                problems.require(
                    isinstance(batch, int) and 1 <= batch <= max_cap,
                    "update.max_batch_size",
                    batch,
                    f"must be from 1 to max_capacity ({max_cap})",
                    "replace between one instance and the whole fleet per batch",
                )
            min_in = o["min_instances_in_service"]
            effective = in_service if min_in is None else min_in
            problems.require(
                isinstance(effective, int) and 0 <= effective < max_cap,
                "update.min_instances_in_service",
                effective,
                f"must be from 0 to below max_capacity ({max_cap}); CloudFormation rejects the update otherwise",
                "raise max_capacity above the desired capacity so new instances can launch before old ones stop",
            )
            pct = o["min_success_percentage"]
            if pct is not None:
                problems.require(
                    isinstance(pct, int) and 0 <= pct <= 100,
                    "update.min_success_percentage",
                    pct,
                    "must be a percentage from 0 to 100",
                    "use e.g. 100",
                )
            seconds = _seconds(signal_timeout)
            if seconds is not None:
                problems.require(
                    seconds <= 3600,
                    "signal_timeout",
                    signal_timeout.to_human_string(),
                    "is longer than one hour, the longest PauseTime a rolling update accepts",
                    "use at most Duration.hours(1) with FleetUpdate.rolling, or FleetUpdate.replacing()",
                )
        elif update.kind == "instance_refresh":
            low = o["min_healthy_percentage"]
            high = o["max_healthy_percentage"]
            low_v = 100 if low is None else low
            high_v = 200 if high is None else high
            problems.require(
                isinstance(low_v, int) and 0 <= low_v <= 100,
                "update.min_healthy_percentage",
                low_v,
                "must be from 0 to 100",
                "use 100 to keep full capacity",
            )
            problems.require(
                isinstance(high_v, int) and 100 <= high_v <= 200,
                "update.max_healthy_percentage",
                high_v,
                "must be from 100 to 200",
                "use 200 to launch before terminating",
            )
            if isinstance(low_v, int) and isinstance(high_v, int) and 0 <= low_v <= 100 <= high_v <= 200:
                problems.require(
                    high_v - low_v <= 100,
                    "update.max_healthy_percentage",
                    high_v,
                    f"minus min_healthy_percentage ({low_v}) exceeds 100",
                    "narrow the range to at most 100 points",
                )
            checkpoints = o["checkpoint_percentages"]
            if checkpoints is not None:
                ok = (
                    len(checkpoints) > 0
                    and all(isinstance(c, int) and 1 <= c <= 100 for c in checkpoints)
                    and list(checkpoints) == sorted(set(checkpoints))
                    and checkpoints[-1] == 100
                )
                problems.require(
                    ok,
                    "update.checkpoint_percentages",
                    checkpoints,
                    "must be unique, ascending, from 1 to 100 and end with 100",
                    "e.g. [20, 50, 100]",
                )
            alarms = o["alarms"]
            if alarms is not None:
                problems.require(
                    len(alarms) <= 10,
                    "update.alarms",
                    f"{len(alarms)} alarms",
                    "at most 10 alarms are allowed",
                    "combine alarms with a CompositeAlarm",
                )
        elif update.kind != "replacing":
            problems.add("update", update.kind, "is not a known strategy", "use the FleetUpdate class methods")

    @staticmethod
    def _validate_durations(
        problems: Problems,
        signal_timeout: Duration,
        lifetime: Duration,
        grace: Duration,
        health_check: object,
    ) -> None:
        ranges = (
            ("signal_timeout", signal_timeout, 60, 12 * 3600,
             "must be from 1 minute to 12 hours (CloudFormation's limit)",
             "set it to how long an instance needs to boot and become healthy"),
            ("max_instance_lifetime", lifetime, 86400, 365 * 86400, "must be from 1 day to 365 days",
             "e.g. Duration.days(14); it cannot be turned off"),
            ("health_check_grace_period", grace, 0, 7200, "must be from 0 to 2 hours",
             "use how long the application needs to start"),
        )  # fmt: skip
        for prop, duration, low, high, reason, fix in ranges:
            seconds = _seconds(duration)
            if seconds is not None:
                problems.require(low <= seconds <= high, prop, duration.to_human_string(), reason, fix)
        signal_s = _seconds(signal_timeout)
        if health_check is not None:
            if not isinstance(health_check, FleetHealthCheck):
                problems.add(
                    "health_check",
                    health_check,
                    "is not a FleetHealthCheck",
                    "use FleetHealthCheck.http(url) or FleetHealthCheck.command(cmd)",
                )
                return
            hc_s = _seconds(health_check.timeout)
            iv_s = _seconds(health_check.interval)
            if hc_s is not None and signal_s is not None:
                problems.require(
                    0 < hc_s < signal_s,
                    "health_check.timeout",
                    health_check.timeout.to_human_string(),
                    f"must be positive and shorter than signal_timeout ({signal_timeout.to_human_string()})",
                    "leave the instance time to boot: lower the health check timeout or raise signal_timeout",
                )
            if iv_s is not None:
                problems.require(
                    iv_s >= 1,
                    "health_check.interval",
                    health_check.interval.to_human_string(),
                    "must be at least 1 second",
                    "e.g. Duration.seconds(5)",
                )


def agent_statements(stack: Stack, log_group: logs.ILogGroup) -> list[iam.PolicyStatement]:
    """The scoped Session Manager and CloudWatch agent permissions of a fleet's instance role."""
    instance_arn_ = instance_arn(stack)
    return [
        iam.PolicyStatement(
            sid="SessionManagerAgentRegistration",
            actions=["ssm:UpdateInstanceInformation"],
            resources=[instance_arn_],
        ),
        iam.PolicyStatement(
            sid="SessionManagerAgentChannels",
            actions=[
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ],
            resources=["*"],
        ),
        iam.PolicyStatement(
            sid="CloudWatchAgentLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources=[log_group.log_group_arn, f"{log_group.log_group_arn}:*"],
        ),
        iam.PolicyStatement(
            sid="CloudWatchAgentMetrics",
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": "CWAgent"}},
        ),
        iam.PolicyStatement(
            sid="CloudWatchAgentDimensions",
            actions=["ec2:DescribeTags", "ec2:DescribeVolumes"],
            resources=["*"],
        ),
    ]


def select_private_subnets(
    problems: Problems, vpc: ec2.IVpc, selection: ec2.SubnetSelection | None
) -> ec2.SubnetSelection | None:
    """The fleet's subnets: the selection (public subnets refused), else private with egress, else isolated."""
    if selection is not None:
        public_ids = {s.subnet_id for s in vpc.public_subnets}
        chosen = select_subnets(vpc, selection)
        # A subnet's id is the same string (token or literal) wherever it is read.
        if public_ids.intersection(chosen.subnet_ids):
            problems.add(
                "vpc_subnets",
                "public subnets",
                "would give instances a route from the internet",
                "launch into private subnets (the default) and put a load balancer in front",
            )
        return selection
    if vpc.private_subnets:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    if vpc.isolated_subnets:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    problems.add(
        "vpc",
        vpc.node.path,
        "has no private or isolated subnets",
        "add private subnets to the VPC or pass vpc_subnets selecting them",
    )
    return None


def grant_volume_key(scope: Construct, key: kms.IKey) -> None:
    """Let EC2 Auto Scaling's service-linked role launch instances whose volumes ``key`` encrypts.

    EC2 Auto Scaling User Guide, "Required AWS KMS key policy for use with encrypted volumes". An
    imported key's policy cannot be edited here: warn with what its owner must add.
    """
    if not allow_autoscaling_service_linked_role(key):
        Annotations.of(scope).add_warning_v2(
            "immutable-constructs:volumeKeyPolicy",
            f"volume_key {key.key_arn} is imported, so its key policy cannot be edited here. EC2 Auto Scaling "
            "launches instances with its service-linked role AWSServiceRoleForAutoScaling, which must be allowed "
            "kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey and kms:CreateGrant "
            "(with kms:GrantIsForAWSResource=true) on it, or every launch fails. Add those statements to the key's "
            "policy (EC2 Auto Scaling User Guide, 'Required AWS KMS key policy for use with encrypted volumes'; "
            "docs/deploying.md shows them).",
        )


def check_image(scope: Construct, problems: Problems, machine_image: ec2.IMachineImage) -> ec2.MachineImageConfig:
    """Refuse images resolved at launch and Windows; warn about unpinned SSM images."""
    config = machine_image.get_image(scope)
    image_id = config.image_id
    if config.os_type == ec2.OperatingSystemType.WINDOWS:
        problems.add(
            "machine_image",
            "a Windows image",
            "is not supported yet: the health check and signal are Linux shell",
            "use a Linux image",
        )
    if isinstance(image_id, str) and not is_unresolved(image_id) and _RESOLVE_AT_LAUNCH.match(image_id):
        problems.add(
            "machine_image",
            image_id,
            "is resolved from SSM when each instance launches, so instances of one fleet can run different images",
            "pin the version in the template: machine_image=PinnedSsmImage(name, version=N)",
        )
    elif isinstance(image_id, str) and _UNVERSIONED_DYNAMIC_REF.search(image_id):
        Annotations.of(scope).add_warning_v2(
            "immutable-constructs:unpinnedImage",
            f"machine_image {image_id} has no parameter version, so every deploy may pick a new AMI. "
            "Pin it: PinnedSsmImage(name, version=N).",
        )
    elif isinstance(image_id, str) and is_unresolved(image_id):
        resolved = Stack.of(scope).resolve(image_id)
        ref = resolved.get("Ref") if isinstance(resolved, dict) else None
        if isinstance(ref, str) and ref.startswith("SsmParameterValue"):
            stack = Stack.of(scope)
            name = next(
                (
                    child.default
                    for child in stack.node.children
                    if isinstance(child, CfnParameter) and stack.resolve(child.logical_id) == ref
                ),
                None,
            )
            shown = f"SSM parameter {name}" if isinstance(name, str) else "an SSM parameter"
            pin = f"PinnedSsmImage({name!r}, version=N)" if isinstance(name, str) else "PinnedSsmImage(name, version=N)"
            Annotations.of(scope).add_warning_v2(
                "immutable-constructs:unpinnedImage",
                f"machine_image reads the newest version of {shown} on every deploy "
                "(what MachineImage.latest_amazon_linux2023() and from_ssm_parameter() do), so any deploy "
                f"can roll the fleet to a different AMI. Pin a version in the template: {pin}.",
            )
    return config
