"""TaintedHostReplacement: a host someone opened a shell on does not stay in service.

A scheduled function reads the Session Manager session list (no CloudTrail trail needed), tags
every instance of the watched fleets that a session was opened on (who, when), and once its
sessions have ended and the grace period has passed, tells its Auto Scaling group the instance is
unhealthy: the group's instance maintenance policy launches the replacement before terminating it.
See docs/operations.md ("Tainted hosts") for what an operator sees.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import jsii
from aws_cdk import (
    Duration,
    IStableListProducer,
    IStableStringProducer,
    Lazy,
    Names,
    Stack,
)
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .._private.alarm_topic import notify
from .._private.handler_function import handler_code, handler_function, handler_log_group, handler_role
from .._private.limits import alarm_description, iam_description, lambda_description
from .._private.nag import acknowledge_wildcards
from .._private.origin import record_origin
from .._private.props import Rule, checked
from .._private.props_text import whole_text
from .._private.tags import FLEET as FLEET_TAG_KEY
from .._private.validation import Problems
from ._tainted_hosts_checks import check_fleet, check_fleet_lists, fleet_path
from ._tainted_hosts_policy import NAMESPACE, group_arns, instance_arns, replace_statement, statements

__all__ = ["TaintableFleet", "TaintedHostReplacement"]

_HANDLER_DIR = Path(__file__).resolve().parent / "tainted_hosts_handler"
_DEFAULT_GRACE_PERIOD = Duration.hours(1)
_DEFAULT_SESSION_DEADLINE = Duration.hours(8)
_DEFAULT_SCHEDULE_MINUTES = 5
#: How long after its grace period a tainted host may still be there before the alarm fires: the group
#: launches the replacement, waits for it to pass its health checks, then terminates the host.
_REPLACEMENT_MARGIN = Duration.minutes(30)
#: The function tags and replaces instances of its own account and region (EC2 and Auto Scaling APIs are regional).
_FLEET = Rule(
    same_region=True,
    same_account=True,
    fix="pass ImmutableFleets or BlueGreenFleets of this construct's account and region",
)
_WEEK = 7 * 86400


@runtime_checkable
class TaintableFleet(Protocol):
    """What a fleet must provide to be watched: ``ImmutableFleet`` and ``BlueGreenFleet`` do.

    Every instance of the fleet AND every Auto Scaling group of it carry ``instance_tag``, whose key
    is ``immutable-constructs:fleet``: instances are found by it, and replacement
    (``autoscaling:SetInstanceHealth``) is allowed only on groups carrying it.
    """

    @property
    def instance_tag(self) -> tuple[str, str]:
        """``(key, value)`` carried by every instance and Auto Scaling group of the fleet."""
        ...


@jsii.implements(IStableStringProducer)
class _Text:
    def __init__(self, produce: Callable[[], str]) -> None:
        self._produce = produce

    def produce(self) -> str:
        return self._produce()


@jsii.implements(IStableListProducer)
class _Values:
    def __init__(self, produce: Callable[[], list[str]]) -> None:
        self._produce = produce

    def produce(self) -> list[str]:
        return self._produce()


class TaintedHostReplacement(Construct):
    """Replace every host of the given fleets on which someone opened a Session Manager session.

    Every ``schedule`` (5 minutes) a function lists the fleets' instances and the account's Session
    Manager sessions (active, and the history since the oldest instance launched). An instance a
    session was opened on is tagged ``immutable-constructs:tainted-by`` (the first session's owner)
    and ``immutable-constructs:tainted-at`` (its start). Once none of its sessions is active and
    ``grace_period`` (1 hour) has passed since the last one ended, its Auto Scaling group is told it
    is unhealthy; the fleet's instance maintenance policy (min 100 %, max 200 % healthy) launches the
    replacement first, then terminates the host. Works for ``ImmutableFleet`` and ``BlueGreenFleet``
    (whose groups its custom resource owns: both tag their groups with the fleet tag).

    Fleets in ``tag_only_fleets`` (replacement turned off, e.g. a break-glass fleet) are watched the
    same way, tagged and counted in ``TaintedHosts``, but never reported unhealthy (the function may
    not: ``SetInstanceHealth`` is allowed only on the replaced fleets' groups) and never overdue. The
    rule pack reports such a fleet (``IMM-REP6``, a warning to acknowledge with a reason).

    Secure, documented defaults:

    * The function may tag only instances of the watched fleets, and only with the two taint tags
      (``aws:ResourceTag`` and ``aws:TagKeys`` conditions), report unhealthy only instances of groups
      carrying a watched fleet tag (``autoscaling:ResourceTag``), and publish metrics only in its
      namespace (``cloudwatch:namespace``); it cannot start, end or read the content of sessions.
    * Metrics (namespace ``ImmutableConstructs/TaintedHosts``, dimension ``Watcher``):
      ``TaintedHosts``, ``OverdueTaintedHosts`` (due for replacement for more than 30 minutes and
      still there) and ``ReplacementsRequested``, every run.
    * :attr:`alarm`: a host is still there 30 minutes after its grace period. :attr:`errors_alarm`:
      a run failed (e.g. throttling outlasted the retries, a permission is missing). Neither has an
      action beyond the stack's alarm topic (``AlarmTopic.of(stack)``, which it notifies): add one
      (``alarm.add_alarm_action(SnsAction(topic))``).
    * The function's log group keeps one year of decisions (which host, whose session, when).

    ``SessionManagerAccess`` creates one (``.tainted_hosts``) with its first fleet and adds each further
    one with :meth:`add_fleet`; the fleet lists in the function's environment and in its policy's
    conditions are resolved at synth, so fleets added later are watched too.
    """

    @checked(
        fleets=_FLEET,
        tag_only_fleets=_FLEET,
        grace_period=Rule(low=0, high=_WEEK, fix="use whole seconds from 0 to 7 days, e.g. Duration.hours(1)"),
        session_deadline=Rule(low=300, high=_WEEK, fix="whole seconds, 5 minutes to 7 days: e.g. Duration.hours(8)"),
    )
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        fleets: Sequence[TaintableFleet] = (),
        tag_only_fleets: Sequence[TaintableFleet] = (),
        grace_period: Duration | None = None,
        schedule: events.Schedule | None = None,
        log_retention: logs.RetentionDays | None = None,
        session_deadline: Duration | None = None,
    ) -> None:
        """Create the function, its schedule, its permissions, metrics and alarms.

        :param fleets: the fleets to watch and replace tainted hosts of (``ImmutableFleet``,
            ``BlueGreenFleet``). More can be added with :meth:`add_fleet`. Default: none (then
            ``tag_only_fleets`` must name one).
        :param tag_only_fleets: fleets whose tainted hosts are tagged and counted but never replaced
            (break-glass fleets; the rule pack warns, IMM-REP6). Default: none. At least one fleet
            in all.
        :param grace_period: how long a tainted host stays after its last session ended, so the
            operator can finish looking (e.g. reconnect). Default: 1 hour (0 to 7 days).
        :param schedule: how often sessions are read. Default: every 5 minutes.
        :param log_retention: retention of the function's log group. Default: one year.
        :param session_deadline: how long after its first session a tainted host is replaced (and counted
            overdue 30 minutes later) even while sessions are active, so an operator who keeps opening
            sessions cannot keep a touched host in service (issue 28). Default: 8 hours (5 minutes to 7 days);
            an active session ends when the host is terminated.
        """
        super().__init__(scope, id)
        record_origin(self)  # the user's line that created it, for the SARIF report
        self._fleets: dict[str, TaintableFleet] = {}
        self._tag_only: dict[str, TaintableFleet] = {}
        problems = Problems(self)
        check_fleet_lists(problems, fleets, tag_only_fleets)
        problems.raise_if_any()
        self.grace_period = _DEFAULT_GRACE_PERIOD if grace_period is None else grace_period
        """How long a tainted host stays after its last session ended."""
        self.session_deadline = _DEFAULT_SESSION_DEADLINE if session_deadline is None else session_deadline
        """How long after its first session a tainted host is replaced, sessions active or not."""
        self.watcher = Names.unique_id(self)[-255:]
        """The value of the ``Watcher`` dimension of this construct's metrics."""
        self._stack = Stack.of(self)
        self._replace_values = Lazy.list(_Values(self._tag_values))

        self.log_group = handler_log_group(self, "Logs", log_retention or logs.RetentionDays.ONE_YEAR)
        """The function's log group: one JSON line per decision (which host, whose session, when)."""
        role = handler_role(
            self, "Role", iam_description(f"Tags and replaces hosts with Session Manager sessions: {self.node.path}")
        )
        # SetInstanceHealth is granted once a fleet is replaced (an empty list of groups is no condition).
        self._replacing = bool(fleets)
        self.policy = _build_policy(self, role)
        """The function's permissions (one customer managed policy of this construct)."""
        self.function = _build_function(self, role)
        """The scheduled function (``.function.metric_errors()`` and the like)."""
        self.function.node.add_dependency(self.policy)
        self.rule = events.Rule(
            self,
            "Schedule",
            description=f"Tainted-host replacement {self.node.path}",
            schedule=schedule or events.Schedule.rate(Duration.minutes(_DEFAULT_SCHEDULE_MINUTES)),
            targets=[targets.LambdaFunction(self.function, retry_attempts=0)],
        )
        """The EventBridge rule that runs the function on ``schedule``."""

        self.tainted_hosts_metric = self._metric("TaintedHosts")
        """Hosts of the watched fleets carrying a taint (maximum over 5 minutes)."""
        self.overdue_hosts_metric = self._metric("OverdueTaintedHosts")
        """Tainted hosts still there more than 30 minutes after their grace period."""
        self.replacements_metric = self._metric("ReplacementsRequested", statistic="Sum")
        """Replacements the function asked for (sum over 5 minutes)."""
        self.alarm = _build_overdue_alarm(self)
        """In alarm when a tainted host is not replaced within the grace period plus 30 minutes."""
        self.errors_alarm = _build_errors_alarm(self)
        """In alarm when a run of the function failed."""
        notify(self, self.alarm, self.errors_alarm)  # the stack's alarm topic (_private/alarm_topic.py)
        for fleet in fleets:  # checked above, with the constructor's path
            self._add_fleet(fleet, replace=True)
        for fleet in tag_only_fleets:
            self._add_fleet(fleet, replace=False)

    # -- public API -------------------------------------------------------------

    @checked(fleet=_FLEET)
    def add_fleet(self, fleet: TaintableFleet, *, replace: bool = True) -> None:
        """Watch ``fleet`` too; with ``replace=False`` its tainted hosts are tagged and counted, never replaced.

        Adding the same fleet again with the same ``replace`` does nothing; with the other one it is a
        ``ValidationError`` (the choice is made once per fleet).

        :param fleet: the fleet to watch (``ImmutableFleet`` or ``BlueGreenFleet``).
        :param replace: whether its tainted hosts are replaced. Default: ``True``.
        """
        self._add_fleet(fleet, replace=replace)

    def _add_fleet(self, fleet: TaintableFleet, *, replace: bool) -> None:
        problems = Problems(self)
        if check_fleet(problems, "fleet", fleet):
            value = fleet.instance_tag[1]
            mine, other = (self._fleets, self._tag_only) if replace else (self._tag_only, self._fleets)
            problems.require(
                value not in other,
                "replace",
                replace,
                f"{fleet_path(fleet)} is already watched with replace={not replace}",
                "choose once per fleet: add it only with replace=False (tagged, never replaced) or only with "
                "replace=True (the default)",
            )
            if not problems:
                mine[value] = fleet
                if replace and not self._replacing:
                    self._replacing = True
                    self.policy.add_statements(replace_statement(self._stack, self._replace_values))
        problems.raise_if_any()

    @property
    def fleets(self) -> list[TaintableFleet]:
        """The watched fleets whose tainted hosts are replaced."""
        return list(self._fleets.values())

    @property
    def tag_only_fleets(self) -> list[TaintableFleet]:
        """The watched fleets whose tainted hosts are only tagged and counted (replacement off)."""
        return list(self._tag_only.values())

    @checked(fleet=Rule(any_region="a question: a fleet it does not watch, of any region, is not replaced"))
    def replaces(self, fleet: TaintableFleet) -> bool | None:
        """Whether ``fleet``'s tainted hosts are replaced (``None``: the fleet is not watched)."""
        value = fleet.instance_tag[1]
        if value in self._fleets:
            return True
        return False if value in self._tag_only else None

    # -- helpers ------------------------------------------------------------------

    def _metric(self, name: str, *, statistic: str = "Maximum", period: Duration | None = None) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=name,
            dimensions_map={"Watcher": self.watcher},
            statistic=statistic,
            period=period or Duration.minutes(5),
        )

    def _tag_values(self) -> list[str]:
        return sorted(self._fleets)

    def _watched_values(self) -> list[str]:
        return sorted({*self._fleets, *self._tag_only})


# -- the build steps ------------------------------------------------------------------------


def _build_policy(replacement: TaintedHostReplacement, role: iam.IRole) -> iam.Policy:
    """The function's one policy: read sessions, tag watched instances, replace watched groups' hosts."""
    stack = replacement._stack
    watched = Lazy.list(_Values(replacement._watched_values))
    replace = replace_statement(stack, replacement._replace_values) if replacement._replacing else None
    policy = iam.Policy(
        replacement, "Policy", roles=[role], statements=statements(stack, watched, replace, replacement.log_group)
    )
    acknowledge_wildcards(
        policy,
        {
            "*": "ec2:DescribeInstances, ssm:DescribeSessions and autoscaling:DescribeAutoScalingInstances support "
            "no resource-level permissions; cloudwatch:PutMetricData is limited to this construct's namespace "
            "by a cloudwatch:namespace condition.",
            instance_arns(stack): "The instance ids of Auto Scaling groups are not known in advance: "
            "ec2:CreateTags is limited to instances carrying a watched fleet tag (aws:ResourceTag) and to the "
            "two taint tag keys (aws:TagKeys).",
            group_arns(stack): "The fleets' Auto Scaling group names are generated (CloudFormation, "
            "or the blue/green custom resource and CodeDeploy at every release): SetInstanceHealth is limited "
            "to groups carrying a watched fleet tag (autoscaling:ResourceTag).",
            f"{replacement.log_group.log_group_arn}:*": "The function writes log streams Lambda names at run time "
            "into its own log group.",
        },
    )
    return policy


def _build_function(replacement: TaintedHostReplacement, role: iam.IRole) -> lambda_.Function:
    """The scheduled function; its fleet lists are resolved at synth, so fleets added later are watched."""
    return handler_function(
        replacement,
        "Function",
        code=handler_code(_HANDLER_DIR),
        entry="handler",
        role=role,
        log_group=replacement.log_group,
        timeout=Duration.minutes(3),
        # The next scheduled run is the retry; a failed run raises the errors alarm.
        retry_attempts=0,
        description=lambda_description(f"Tainted-host replacement {replacement.node.path}: tag, then replace"),
        environment={
            "FLEET_TAG_KEY": FLEET_TAG_KEY,
            "FLEET_TAG_VALUES": Lazy.string(_Text(lambda: json.dumps(replacement._tag_values()))),
            "TAG_ONLY_FLEET_TAG_VALUES": Lazy.string(_Text(lambda: json.dumps(sorted(replacement._tag_only)))),
            "GRACE_SECONDS": whole_text(replacement.grace_period),
            "DEADLINE_SECONDS": whole_text(replacement.session_deadline),
            "MARGIN_SECONDS": str(int(_REPLACEMENT_MARGIN.to_seconds())),
            "NAMESPACE": NAMESPACE,
            "WATCHER": replacement.watcher,
        },
        no_dead_letter_queue="A scheduled function with no payload: the next run is the retry, and a failed "
        "run raises the construct's errors alarm; a dead-letter queue would only hold empty schedule events.",
        checkov={
            "CKV_AWS_45": "The environment holds fleet tag values and construct ids (generated names with a "
            "hash suffix), which checkov's entropy test takes for secrets; no secret is ever put there "
            "(rule IMM-SEC3).",
        },
    )


def _build_overdue_alarm(replacement: TaintedHostReplacement) -> cloudwatch.Alarm:
    """A host someone opened a session on is still there 30 minutes after its grace period."""
    return cloudwatch.Alarm(
        replacement,
        "OverdueAlarm",
        alarm_description=alarm_description(
            f"{replacement.node.path}: a host someone opened a session on is still in service "
            f"{_REPLACEMENT_MARGIN.to_human_string()} after its grace period "
            f"({replacement.grace_period.to_human_string()}); "
            "see the function's log and docs/operations.md (Tainted hosts)"
        ),
        metric=replacement._metric("OverdueTaintedHosts", period=Duration.minutes(15)),
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )


def _build_errors_alarm(replacement: TaintedHostReplacement) -> cloudwatch.Alarm:
    """A run of the function failed."""
    return cloudwatch.Alarm(
        replacement,
        "ErrorsAlarm",
        alarm_description=alarm_description(
            f"{replacement.node.path}: the tainted-host function failed (throttling that outlasted its retries, a "
            "missing permission); tainted hosts may not be replaced. See its log group."
        ),
        metric=replacement.function.metric_errors(period=Duration.minutes(15), statistic="Sum"),
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
