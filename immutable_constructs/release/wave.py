"""One wave of a release: the environments (account x region) deployed in parallel, then baked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import Duration, Environment

from .._private.props import checked_class

__all__ = ["ReleaseWave"]


def _one_hour() -> Duration:
    return Duration.hours(1)


@checked_class()
@dataclass(frozen=True)
class ReleaseWave:
    """A wave of a :class:`ReleasePipeline`: every environment of it deploys in parallel, and the next wave
    starts only after this one baked without an alarm.

    :param name: the wave's name, which names its CodePipeline stage (``canary``, ``europe``, ``production``):
        letters, digits and ``.@-_``. Default: none, required.
    :param environments: the environments of the wave, each with a literal ``account`` and ``region``
        (``Environment(account="111111111111", region="eu-west-1")``). Default: none, required.
    :param bake_time: how long the fleets' alarms of the wave are watched after it deployed (the
        ``WaitTime`` of the stage's ``CloudWatchAlarm`` rules); an alarm in ALARM during it rolls the wave
        back and stops the release. Whole minutes, 1 minute to 1 day. Default: 1 hour.
    :param approval: whether a person approves (a manual approval action) before the wave deploys.
        Default: False.
    :param window_cron: a ``DeploymentWindow`` rule: the wave's stage is entered only at times this cron
        expression allows (CodePipeline's six or seven field form, e.g. ``"* 8-16 ? * MON-THU *"``); outside
        it, entering the stage fails and the release stops there. Default: no window.
    :param window_time_zone: the IANA time zone of ``window_cron`` (``"Europe/Paris"``). Default: UTC.
    """

    name: str
    environments: Sequence[Environment]
    bake_time: Duration = field(default_factory=_one_hour)
    approval: bool = False
    window_cron: str | None = None
    window_time_zone: str | None = None
