"""Tainted-host replacement for the fleets added to a ``SessionManagerAccess`` (on by default).

A host someone opened a session on is replaced once the session ended and the grace period passed
(``immutable_constructs.drift.TaintedHostReplacement``, created once, on the first fleet). Only the
library's fleets (``ImmutableFleet``, ``BlueGreenFleet``: instance tag key ``immutable-constructs:fleet``,
carried by their instances and Auto Scaling groups) can be watched; another ``SessionTarget`` is not,
and a warning says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import Duration
from constructs import Construct

from .._private import tags
from .._private.validation import Problems
from .._private.warnings import warn

if TYPE_CHECKING:
    from ..drift.tainted_hosts import TaintedHostReplacement

#: The construct id of the TaintedHostReplacement a SessionManagerAccess creates.
TAINTED_HOSTS_ID = "TaintedHosts"


def watchable(fleet: Any) -> bool:
    """Whether ``fleet`` is one of the library's fleets (its instance tag key is the fleet tag key)."""
    tag = getattr(fleet, "instance_tag", None)
    return isinstance(tag, tuple) and len(tag) == 2 and tag[0] == tags.FLEET


def watch(
    access: Construct,
    current: TaintedHostReplacement | None,
    fleet: Any,
    *,
    replace: bool,
    grace_period: Duration | None,
) -> TaintedHostReplacement | None:
    """Watch ``fleet`` (``replace=False``: tag and count only); returns the construct, created on first use."""
    if not watchable(fleet):
        warn(
            access,
            "immutable-constructs:sessionTargetNotWatched",
            f"{fleet.node.path} is not an ImmutableFleet or BlueGreenFleet (its instance tag key is not "
            f"{tags.FLEET}): hosts someone opens a session on are NOT replaced. Replace them yourself, or run "
            "the servers in an ImmutableFleet.",
        )
        return current
    if current is None:
        from ..drift.tainted_hosts import TaintedHostReplacement  # imported on first use: a Lambda function

        return TaintedHostReplacement(
            access,
            TAINTED_HOSTS_ID,
            fleets=[fleet] if replace else [],
            tag_only_fleets=[] if replace else [fleet],
            grace_period=grace_period,
        )
    current.add_fleet(fleet, replace=replace)
    return current


def check_added_again(
    problems: Problems, tainted_hosts: TaintedHostReplacement | None, fleet: object, path: str, *, replace: bool
) -> None:
    """A fleet added again keeps its first choice; turning replacement off after it was on is refused."""
    replaced = tainted_hosts is not None and tainted_hosts.replaces(fleet) is True  # type: ignore[arg-type]
    problems.require(
        replace or not replaced,
        "replace_tainted_hosts",
        replace,
        f"{path} was already added with tainted-host replacement on (add_fleet, or "
        "grant_start_session(fleet=...), which adds it)",
        "call add_fleet(fleet, replace_tainted_hosts=False) before any other add_fleet or grant_start_session "
        "for this fleet",
    )
    problems.raise_if_any()
