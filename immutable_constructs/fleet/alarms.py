"""The standard alarms of a fleet (thresholds: :class:`FleetAlarmOptions`) and its opt-in dashboard.

Every fleet gets, with the thresholds of :class:`FleetAlarmOptions`:

* ``UnhealthyHostsAlarm``: a target of the fleet's target group is unhealthy (per target group);
* ``ServerErrorsAlarm``: the fleet's targets answer HTTP 5xx (per target group);
* ``CpuAlarm``: the fleet's average CPU use (the CloudWatch agent's ``cpu_usage_active``) is high;
* ``AgentSilenceAlarm``: no CloudWatch agent metric arrived for some minutes (missing data breaches),
  so a fleet whose hosts cannot ship logs and metrics is noticed.

The blue/green fleet's CodeDeploy deployment group (``AlarmConfiguration``) and an
:class:`ImmutableFleet`'s instance refresh (``AlarmSpecification``) stop and roll back a release
when one of the *rollback alarms* goes into ALARM (``rollback=True``, the default): unhealthy hosts,
5xx and CPU, which all treat missing data as not breaching. ``AgentSilenceAlarm`` is not one of them:
missing data is what it watches, and a fleet has no data whenever it has no instance (a
``min_capacity`` of 0, a scheduled scale-in to zero) and right after it is first created, before any
agent reported. As a rollback alarm it would sit in ALARM through those windows, and a release fails
and rolls back as soon as one of its alarms is in ALARM (EC2 Auto Scaling User Guide, "Undo changes
with a manual or auto rollback": "if any CloudWatch alarms you specify go into the ALARM state";
CodeDeploy User Guide, "Monitoring deployments with CloudWatch alarms in CodeDeploy"; that an alarm
already in ALARM stops a release at its start is this project's reading, not a sentence of those
guides). A release is judged by what its instances serve; a silent agent
pages (the alarm's actions) without blocking a release or its rollback. The alarms read metrics that
survive a release: the target group's, and the fleet namespace's rolled-up agent metrics (no
Auto Scaling group dimension, which changes with every blue/green release).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Annotations, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

from .._private.alarm_topic import notify
from .._private.limits import alarm_description
from .._private.props import checked_class
from .._private.validation import Problems
from ._agent import CPU_METRIC, DISK_METRIC, MEMORY_METRIC, check_log_paths, check_namespace

__all__ = ["FleetAlarmOptions"]


@checked_class()
@dataclass(frozen=True)
class FleetAlarmOptions:
    """Thresholds and periods of a fleet's standard alarms, and whether releases roll back on them.

    Each alarm evaluates one-minute periods and goes into ALARM when every one of the last
    ``*_minutes`` periods breaches.

    :param unhealthy_hosts: unhealthy targets (the target group's ``UnHealthyHostCount``, maximum) that
        breach. Default: 1.
    :param unhealthy_minutes: Default: 3.
    :param server_errors: target 5xx responses per minute (``HTTPCode_Target_5XX_Count``, sum) that breach.
        Default: 10.
    :param server_error_minutes: Default: 2.
    :param cpu_percent: the fleet's average ``cpu_usage_active`` (CloudWatch agent) that breaches. Default: 90.
    :param cpu_minutes: Default: 10.
    :param agent_silent_minutes: minutes without any agent metric (``mem_used_percent`` sample count
        below 1; missing data breaches) before ``AgentSilenceAlarm`` goes into ALARM. Default: 5.
    :param rollback: a release (CodeDeploy blue/green deployment, or an ImmutableFleet's instance
        refresh) stops and rolls back when the unhealthy hosts, 5xx or CPU alarm goes into ALARM (not the
        agent silence alarm, which is in ALARM whenever the fleet has no instance). Default: True.
    """

    unhealthy_hosts: int = 1
    unhealthy_minutes: int = 3
    server_errors: int = 10
    server_error_minutes: int = 2
    cpu_percent: int = 90
    cpu_minutes: int = 10
    agent_silent_minutes: int = 5
    rollback: bool = True

    def _check(self, problems: Problems) -> None:
        for name, low, high in (
            ("unhealthy_hosts", 1, 10_000),
            ("unhealthy_minutes", 1, 60),
            ("server_errors", 1, 1_000_000),
            ("server_error_minutes", 1, 60),
            ("cpu_percent", 1, 100),
            ("cpu_minutes", 1, 60),
            ("agent_silent_minutes", 1, 60),
        ):
            problems.whole_number(f"alarm_options.{name}", getattr(self, name), low=low, high=high)
        problems.flag("alarm_options.rollback", self.rollback)


def check_observability(
    problems: Problems, *, log_paths: object, metrics_namespace: object, alarm_options: object, dashboard: object
) -> FleetAlarmOptions:
    """Check the logs-and-metrics props both fleets share; the alarm options to use (the defaults after a problem)."""
    check_log_paths(problems, log_paths)
    check_namespace(problems, metrics_namespace)
    if dashboard is not None:
        problems.flag("dashboard", dashboard)
    check_alarm_options(problems, alarm_options)
    return alarm_options if isinstance(alarm_options, FleetAlarmOptions) else FleetAlarmOptions()


def check_alarm_options(problems: Problems, options: object) -> None:
    """``alarm_options``: a FleetAlarmOptions with sane numbers."""
    if options is None:
        return
    if problems.instance(
        "alarm_options",
        options,
        FleetAlarmOptions,
        what="a FleetAlarmOptions",
        fix="use e.g. FleetAlarmOptions(cpu_percent=80)",
    ):
        assert isinstance(options, FleetAlarmOptions)
        options._check(problems)


@dataclass(frozen=True)
class FleetAlarms:
    """What :func:`build_alarms` made; ``all`` in the order the fleet exposes them."""

    unhealthy_hosts: list[cloudwatch.Alarm]
    server_errors: list[cloudwatch.Alarm]
    cpu: cloudwatch.Alarm
    agent_silence: cloudwatch.Alarm

    @property
    def all(self) -> list[cloudwatch.Alarm]:
        return [*self.unhealthy_hosts, *self.server_errors, self.cpu, self.agent_silence]

    @property
    def rollback(self) -> list[cloudwatch.Alarm]:
        """The alarms a release rolls back on: every one but the agent silence (missing data never breaches them)."""
        return [*self.unhealthy_hosts, *self.server_errors, self.cpu]

    @property
    def first_target_group(self) -> tuple[cloudwatch.Alarm | None, cloudwatch.Alarm | None]:
        """The first target group's unhealthy hosts and 5xx alarms (None without one attached to a load balancer)."""
        return (next(iter(self.unhealthy_hosts), None), next(iter(self.server_errors), None))


def agent_metric(namespace: str, name: str, statistic: str = "Average") -> cloudwatch.Metric:
    """A rolled-up (dimensionless) agent metric of the fleet's namespace, per minute."""
    return cloudwatch.Metric(namespace=namespace, metric_name=name, statistic=statistic, period=Duration.minutes(1))


def release_effect(update_kind: str, *, rollback: bool) -> str:
    """What an ImmutableFleet's unhealthy-hosts and 5xx alarms do to a release, for their descriptions:
    only an instance refresh reads alarms (``AlarmSpecification``); rolling and replacing updates are
    gated by each host's cfn-signal and never look at them."""
    if rollback and update_kind == "instance_refresh":
        return "rolls an instance refresh back"
    return f"notifies only: a {update_kind} update does not watch alarms (FleetUpdate.instance_refresh does)"


def build_alarms(
    scope: Construct,
    *,
    namespace: str,
    target_groups: Sequence[elbv2.IApplicationTargetGroup],
    options: FleetAlarmOptions,
    release: str,
) -> FleetAlarms:
    """The standard alarms; the target group alarms of the n-th (n > 0) group get the id suffix ``n``.

    ``release`` says what the unhealthy-hosts and 5xx alarms do to a release (the fleet knows: an
    instance refresh or a blue/green deployment rolls back on them, a rolling or replacing update
    does not watch alarms). Every alarm notifies the stack's alarm topic (_private/alarm_topic.py).
    """
    path = scope.node.path
    unhealthy: list[cloudwatch.Alarm] = []
    server_errors: list[cloudwatch.Alarm] = []
    for index, group in enumerate(target_groups):
        suffix = str(index) if index else ""
        try:
            group.metrics.unhealthy_host_count()
        except Exception:  # jsii: a target group not (yet) attached to a load balancer has no metrics
            Annotations.of(scope).add_warning_v2(
                "immutable-constructs:targetGroupWithoutAlarms",
                f"target group {group.node.path} is not attached to a load balancer (or was imported without "
                "its load balancer), so it has no metrics: the fleet has no unhealthy-hosts or 5xx alarm for it "
                "and releases do not roll back on them. Attach it to a listener before creating the fleet.",
            )
            continue
        unhealthy.append(
            cloudwatch.Alarm(
                scope,
                f"UnhealthyHostsAlarm{suffix}",
                alarm_description=alarm_description(f"{path}: a target of the fleet is unhealthy; {release}"),
                metric=group.metrics.unhealthy_host_count(period=Duration.minutes(1), statistic="Maximum"),
                threshold=options.unhealthy_hosts,
                evaluation_periods=options.unhealthy_minutes,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
        server_errors.append(
            cloudwatch.Alarm(
                scope,
                f"ServerErrorsAlarm{suffix}",
                alarm_description=alarm_description(f"{path}: the fleet answers 5xx; {release}"),
                metric=group.metrics.http_code_target(
                    elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=Duration.minutes(1), statistic="Sum"
                ),
                threshold=options.server_errors,
                evaluation_periods=options.server_error_minutes,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
    cpu = cloudwatch.Alarm(
        scope,
        "CpuAlarm",
        alarm_description=alarm_description(
            f"{path}: the fleet's average CPU use is at or above {options.cpu_percent}% "
            f"for {options.cpu_minutes} minutes"
        ),
        metric=agent_metric(namespace, CPU_METRIC),
        threshold=options.cpu_percent,
        evaluation_periods=options.cpu_minutes,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        # No data is the agent silence alarm's business.
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    silence = cloudwatch.Alarm(
        scope,
        "AgentSilenceAlarm",
        alarm_description=alarm_description(
            f"{path}: no CloudWatch agent metric for {options.agent_silent_minutes} minutes: the hosts do not "
            "ship logs and metrics (agent missing or stopped, no route to CloudWatch, or no host running)"
        ),
        metric=agent_metric(namespace, MEMORY_METRIC, statistic="SampleCount"),
        threshold=1,
        evaluation_periods=options.agent_silent_minutes,
        comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
    )
    alarms = FleetAlarms(unhealthy, server_errors, cpu, silence)
    notify(scope, *alarms.all)
    return alarms


def observe(
    scope: Construct,
    namespace: str,
    target_groups: Sequence[elbv2.IApplicationTargetGroup],
    options: FleetAlarmOptions,
    dashboard: bool | None,
    release: str,
) -> tuple[FleetAlarms, cloudwatch.Dashboard | None]:
    """The fleet's standard alarms, and its dashboard when ``dashboard`` is true."""
    alarms = build_alarms(scope, namespace=namespace, target_groups=target_groups, options=options, release=release)
    return alarms, (build_dashboard(scope, namespace=namespace, alarms=alarms) if dashboard else None)


def build_dashboard(scope: Construct, *, namespace: str, alarms: FleetAlarms) -> cloudwatch.Dashboard:
    """The fleet's dashboard (id Dashboard): the alarms' state and metrics, then the agent metrics."""
    dashboard = cloudwatch.Dashboard(scope, "Dashboard")
    dashboard.add_widgets(
        cloudwatch.AlarmStatusWidget(title=f"{scope.node.path}: alarms", alarms=alarms.all, width=24, height=4)
    )
    dashboard.add_widgets(
        *(cloudwatch.AlarmWidget(alarm=alarm, title=alarm.node.id, width=8, height=6) for alarm in alarms.all)
    )
    dashboard.add_widgets(
        cloudwatch.GraphWidget(
            title="Memory and disk used (%)",
            left=[agent_metric(namespace, MEMORY_METRIC), agent_metric(namespace, DISK_METRIC)],
            left_y_axis=cloudwatch.YAxisProps(min=0, max=100),
            width=12,
            height=6,
        ),
        cloudwatch.GraphWidget(
            title="CPU used (%) and reporting hosts",
            left=[agent_metric(namespace, CPU_METRIC)],
            right=[agent_metric(namespace, MEMORY_METRIC, statistic="SampleCount")],
            left_y_axis=cloudwatch.YAxisProps(min=0, max=100),
            width=12,
            height=6,
        ),
    )
    return dashboard
