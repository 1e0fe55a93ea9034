"""The checks :class:`TaintedHostReplacement` (and ``SessionManagerAccess``) make on fleets and periods."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration

from .._private.tags import FLEET as FLEET_TAG_KEY
from .._private.validation import Problems, _describe

MAX_GRACE_PERIOD = Duration.days(7)


def check_fleet(problems: Problems, prop: str, fleet: object) -> bool:
    tag: Any = getattr(fleet, "instance_tag", None)
    ok = (
        isinstance(tag, tuple)
        and len(tag) == 2
        and tag[0] == FLEET_TAG_KEY
        and isinstance(tag[1], str)
        and bool(tag[1])
    )
    if not ok:
        problems.add(
            prop,
            _describe(fleet),
            f"is not an ImmutableFleet or BlueGreenFleet (it needs instance_tag = ('{FLEET_TAG_KEY}', <value>), "
            "carried by its instances and its Auto Scaling groups)",
            "pass the fleet construct itself, e.g. fleets=[web_fleet, api_fleet]",
        )
    return ok


def check_grace_period(problems: Problems, prop: str, grace: object) -> None:
    """A ``Duration`` of whole seconds from 0 to 7 days (``SessionManagerAccess`` checks its prop with it too)."""
    if problems.duration(prop, grace, fix="use e.g. Duration.hours(1)"):
        assert isinstance(grace, Duration)
        seconds = seconds_of(grace)
        problems.require(
            seconds is None or (0 <= seconds <= MAX_GRACE_PERIOD.to_seconds() and seconds == int(seconds)),
            prop,
            grace.to_human_string(),
            "must be whole seconds from 0 to 7 days (hosts are regenerated every 14 days by default anyway)",
            "use e.g. Duration.hours(1)",
        )


def check_session_deadline(problems: Problems, prop: str, deadline: object) -> None:
    """A ``Duration`` of whole seconds from 5 minutes to 7 days."""
    if problems.duration(prop, deadline, fix="use e.g. Duration.hours(8)"):
        assert isinstance(deadline, Duration)
        seconds = seconds_of(deadline)
        problems.require(
            seconds is None or (300 <= seconds <= MAX_GRACE_PERIOD.to_seconds() and seconds == int(seconds)),
            prop,
            deadline.to_human_string(),
            "must be whole seconds from 5 minutes to 7 days (a shorter one would cut off the first session)",
            "use e.g. Duration.hours(8)",
        )


def fleet_path(fleet: object) -> str:
    node = getattr(fleet, "node", None)
    return str(node.path) if node is not None else repr(fleet)


def seconds_of(value: Duration) -> float | None:
    try:
        return float(value.to_milliseconds()) / 1000
    except Exception:  # a token duration: CloudFormation judges it
        return None
