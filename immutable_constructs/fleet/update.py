"""FleetUpdate: how a new launch template version reaches an :class:`ImmutableFleet`.

Each strategy is a small class that checks its own options and renders its own
``aws_autoscaling.UpdatePolicy`` (as aws-cdk's ``UpdatePolicy`` classes do): the factories
check the options' types (no fleet is known yet), the fleet calls ``_validate`` with what
their ranges depend on (its capacity and signal timeout) and ``_render`` to build the policy.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, ClassVar

from aws_cdk import Duration
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch

from .._private.props import Rule, checked_types, duration_problem
from .._private.validation import Problems
from ._checks import seconds
from ._props import REFRESH_ALARMS
from .health import human

__all__ = ["FleetUpdate"]

_DURATIONS = ("instance_warmup", "checkpoint_delay", "bake_time")
_LISTS = ("suspend_processes", "checkpoint_percentages", "alarms")


class FleetUpdate(ABC):
    """How a change to the launch template (a new image, new user data) reaches the fleet.

    Build one with :meth:`replacing`, :meth:`rolling` or :meth:`instance_refresh`. Every
    strategy replaces instances; none updates them in place.
    """

    #: The strategy: ``"replacing"``, ``"rolling"`` or ``"instance_refresh"``.
    kind: ClassVar[str] = ""
    #: Whether the fleet waits for each new instance's ``cfn-signal`` (an instance refresh does not).
    waits_for_signals: ClassVar[bool] = True

    @property
    def options(self) -> dict[str, Any]:
        """The strategy's options as given (None: the documented default)."""
        return {option.name: getattr(self, option.name) for option in fields(self)} if is_dataclass(self) else {}

    def __repr__(self) -> str:
        given = ", ".join(f"{name}={human(value)!r}" for name, value in self.options.items() if value is not None)
        return f"FleetUpdate.{self.kind}({given})"

    @classmethod
    @checked_types()
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
        return _Replacing()

    @classmethod
    @checked_types(
        # CDK's rolling update checks the percentage at synth (ExpectedPercentage: 0..100): a token cannot pass.
        min_success_percentage=Rule(token=False, fix="pass a literal percentage from 0 to 100, e.g. 100"),
    )
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
        :param min_success_percentage: percentage of new instances that must signal success (not a token).
            Default: 100.
        :param suspend_processes: Auto Scaling processes suspended during the update.
            Default: CDK's (HealthCheck, ReplaceUnhealthy, AZRebalance, AlarmNotification,
            ScheduledActions, InstanceRefresh).

        Each batch waits for its instances' success signals (pause time = the fleet's
        ``signal_timeout``, at most one hour). On failure CloudFormation rolls the stack
        back, which rolls the group back to the previous launch template version the same way.
        """
        return _Rolling._create(
            max_batch_size=max_batch_size,
            min_instances_in_service=min_instances_in_service,
            min_success_percentage=min_success_percentage,
            suspend_processes=suspend_processes,
        )

    @classmethod
    @checked_types(alarms=REFRESH_ALARMS)  # their region is checked by the fleet, which knows its own
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
        :param alarms: more alarms that fail (and so roll back) the refresh, with the fleet's standard
            rollback alarms (unhealthy hosts, 5xx, CPU; not the agent silence alarm), unless
            ``alarm_options=FleetAlarmOptions(rollback=False)``. At most 10 in all. An alarm that treats
            missing data as breaching fails every refresh of a fleet with no instances (rule IMM-DEP7).
            Default: none.

        Health is judged by the group's health checks (ELB when attached to a target
        group) after the warmup, not by ``cfn-signal`` (an instance refresh does not wait
        for signals, so the fleet sets none and refuses ``health_check``). A failed
        refresh fails the stack update and CloudFormation rolls back to the previous
        launch template version, reading the policy from the previous template, so keep
        this policy on the group permanently.
        """
        return _InstanceRefresh._create(
            min_healthy_percentage=min_healthy_percentage,
            max_healthy_percentage=max_healthy_percentage,
            instance_warmup=instance_warmup,
            checkpoint_percentages=checkpoint_percentages,
            checkpoint_delay=checkpoint_delay,
            bake_time=bake_time,
            alarms=alarms,
        )

    # -- what each strategy implements -------------------------------------------------------

    @classmethod
    def _create(cls, **options: Any) -> FleetUpdate:
        """The strategy with these options, once their types are right (raises one ValidationError otherwise).

        Their ranges depend on the fleet, which checks them with ``_validate``. Lists are copied.
        """
        problems = Problems(f"FleetUpdate.{cls.kind}")
        for prop, value in options.items():
            if value is None:
                continue
            if prop in _DURATIONS:
                problems.duration(prop, value)
            elif prop in _LISTS:
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
        return cls(**{k: list(v) if k in _LISTS and v is not None else v for k, v in options.items()})

    def _validate(self, problems: Problems, *, max_capacity: int, in_service: int, signal_timeout: Duration) -> None:
        """Record the problems of the options against the fleet's capacity and signal timeout.

        A strategy whose options do not depend on the fleet (``replacing``) keeps this: nothing to record.
        """
        return None

    @abstractmethod
    def _render(
        self, *, in_service: int, grace_period: Duration, alarms: Sequence[cloudwatch.IAlarm] = ()
    ) -> autoscaling.UpdatePolicy:
        """The group's update policy; ``alarms`` are the fleet's rollback alarms (an instance refresh uses them)."""


@dataclass(frozen=True, repr=False)
class _Replacing(FleetUpdate):
    kind: ClassVar[str] = "replacing"

    def _render(
        self, *, in_service: int, grace_period: Duration, alarms: Sequence[cloudwatch.IAlarm] = ()
    ) -> autoscaling.UpdatePolicy:
        return autoscaling.UpdatePolicy.replacing_update()


@dataclass(frozen=True, repr=False)
class _Rolling(FleetUpdate):
    kind: ClassVar[str] = "rolling"
    max_batch_size: int | None = None
    min_instances_in_service: int | None = None
    min_success_percentage: int | None = None
    suspend_processes: list[autoscaling.ScalingProcess] | None = None

    def _validate(self, problems: Problems, *, max_capacity: int, in_service: int, signal_timeout: Duration) -> None:
        batch = self.max_batch_size
        if batch is not None:
            problems.require(
                isinstance(batch, int) and 1 <= batch <= max_capacity,
                "update.max_batch_size",
                batch,
                f"must be from 1 to max_capacity ({max_capacity})",
                "replace between one instance and the whole fleet per batch",
            )
        effective = in_service if self.min_instances_in_service is None else self.min_instances_in_service
        problems.require(
            isinstance(effective, int) and 0 <= effective < max_capacity,
            "update.min_instances_in_service",
            effective,
            f"must be from 0 to below max_capacity ({max_capacity}); CloudFormation rejects the update otherwise",
            "raise max_capacity above the desired capacity so new instances can launch before old ones stop",
        )
        pct = self.min_success_percentage
        if pct is not None:
            problems.require(
                isinstance(pct, int) and 0 <= pct <= 100,
                "update.min_success_percentage",
                pct,
                "must be a percentage from 0 to 100",
                "use e.g. 100",
            )
        timeout_s = seconds(signal_timeout)
        if timeout_s is not None:
            problems.require(
                timeout_s <= 3600,
                "signal_timeout",
                signal_timeout.to_human_string(),
                "is longer than one hour, the longest PauseTime a rolling update accepts",
                "use at most Duration.hours(1) with FleetUpdate.rolling, or FleetUpdate.replacing()",
            )

    def _render(
        self, *, in_service: int, grace_period: Duration, alarms: Sequence[cloudwatch.IAlarm] = ()
    ) -> autoscaling.UpdatePolicy:
        return autoscaling.UpdatePolicy.rolling_update(
            max_batch_size=self.max_batch_size or 1,
            min_instances_in_service=in_service
            if self.min_instances_in_service is None
            else self.min_instances_in_service,
            min_success_percentage=self.min_success_percentage,
            suspend_processes=self.suspend_processes,
        )


@dataclass(frozen=True, repr=False)
class _InstanceRefresh(FleetUpdate):
    kind: ClassVar[str] = "instance_refresh"
    waits_for_signals: ClassVar[bool] = False
    min_healthy_percentage: int | None = None
    max_healthy_percentage: int | None = None
    instance_warmup: Duration | None = None
    checkpoint_percentages: list[int] | None = None
    checkpoint_delay: Duration | None = None
    bake_time: Duration | None = None
    alarms: list[cloudwatch.IAlarm] | None = None

    @property
    def _low(self) -> int:
        return 100 if self.min_healthy_percentage is None else self.min_healthy_percentage

    @property
    def _high(self) -> int:
        return 200 if self.max_healthy_percentage is None else self.max_healthy_percentage

    def _validate(self, problems: Problems, *, max_capacity: int, in_service: int, signal_timeout: Duration) -> None:
        low, high = self._low, self._high
        problems.require(
            isinstance(low, int) and 0 <= low <= 100,
            "update.min_healthy_percentage",
            low,
            "must be from 0 to 100",
            "use 100 to keep full capacity",
        )
        problems.require(
            isinstance(high, int) and 100 <= high <= 200,
            "update.max_healthy_percentage",
            high,
            "must be from 100 to 200",
            "use 200 to launch before terminating",
        )
        if isinstance(low, int) and isinstance(high, int) and 0 <= low <= 100 <= high <= 200:
            problems.require(
                high - low <= 100,
                "update.max_healthy_percentage",
                high,
                f"minus min_healthy_percentage ({low}) exceeds 100",
                "narrow the range to at most 100 points",
            )
        checkpoints = self.checkpoint_percentages
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
        # EC2 Auto Scaling counts whole seconds; a checkpoint delay or bake time is at most 2 days (172800 s).
        limits: tuple[tuple[str, Duration | None, float | None], ...] = (
            ("instance_warmup", self.instance_warmup, None),
            ("checkpoint_delay", self.checkpoint_delay, 172800),
            ("bake_time", self.bake_time, 172800),
        )
        for name, value, most in limits:
            problem = None if value is None else duration_problem(value, Rule(low=0, high=most))
            if problem is not None:
                fix = "use whole seconds" + (", at most 2 days" if most else "") + ", e.g. Duration.minutes(10)"
                problems.add(f"update.{name}", value, problem, fix)
        problems.require(
            self.checkpoint_delay is None or checkpoints is not None,
            "update.checkpoint_delay",
            self.checkpoint_delay,
            "is a wait at each checkpoint, but no checkpoint_percentages are set",
            "add checkpoint_percentages, e.g. [20, 50, 100], or drop checkpoint_delay",
        )
        if self.alarms is not None:
            problems.require(
                len(self.alarms) <= 10,
                "update.alarms",
                f"{len(self.alarms)} alarms",
                "at most 10 alarms are allowed",
                "combine alarms with a CompositeAlarm",
            )

    def _render(
        self, *, in_service: int, grace_period: Duration, alarms: Sequence[cloudwatch.IAlarm] = ()
    ) -> autoscaling.UpdatePolicy:
        # The fleet's standard alarms first, then the strategy's own: any of them fails (and rolls back) the refresh.
        all_alarms = [*alarms, *(a for a in self.alarms or () if a not in alarms)]
        return autoscaling.UpdatePolicy.instance_refresh(
            strategy=autoscaling.InstanceRefreshStrategy.ROLLING,
            min_healthy_percentage=self._low,
            max_healthy_percentage=self._high,
            instance_warmup=self.instance_warmup or grace_period,
            checkpoint_percentages=self.checkpoint_percentages,
            checkpoint_delay=self.checkpoint_delay,
            bake_time=self.bake_time,
            alarms=all_alarms or None,
            skip_matching=True,
        )
