"""The checks :class:`TaintedHostReplacement` (and ``SessionManagerAccess``) make on fleets and periods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._private.tags import FLEET as FLEET_TAG_KEY
from .._private.validation import Problems, _describe


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


def check_fleet_lists(problems: Problems, fleets: Sequence[object], tag_only_fleets: Sequence[object]) -> None:
    """Each listed fleet is ours, at least one is listed, and none is in both lists (replaced or not: one choice)."""
    lists = [problems.sequence(prop, given, item="fleets (ImmutableFleet or BlueGreenFleet)")
             for prop, given in (("fleets", fleets), ("tag_only_fleets", tag_only_fleets))]  # fmt: skip
    if not all(lists):
        return  # the constructor stops here: nothing is built from a value that is not a list
    for prop, given in (("fleets", fleets), ("tag_only_fleets", tag_only_fleets)):
        for index, fleet in enumerate(given):
            check_fleet(problems, f"{prop}[{index}]", fleet)
    if not fleets and not tag_only_fleets:
        problems.add("fleets", list(fleets), "is empty", "pass at least one fleet, e.g. fleets=[web_fleet]")
    for index, fleet in enumerate(tag_only_fleets):
        if any(fleet is other for other in fleets):
            problems.add(
                f"tag_only_fleets[{index}]",
                fleet_path(fleet),
                "is also in fleets: a fleet's tainted hosts are either replaced or only tagged",
                "list the fleet in fleets (replaced) or in tag_only_fleets (tagged and counted), not both",
            )


def fleet_path(fleet: object) -> str:
    node = getattr(fleet, "node", None)
    return str(node.path) if node is not None else repr(fleet)
