"""IMM-REP6: every fleet's tainted hosts are replaced (a host someone opened a shell on leaves service).

A fleet is an Auto Scaling group carrying the ``immutable-constructs:fleet`` tag (``ImmutableFleet``)
or a blue/green fleet resource naming it (``Custom::ImmutableBlueGreenFleet``, whose groups the
custom resource creates at run time). It is watched when a tainted-host function of the same
app, in any of its stacks (``TaintedHostReplacement``, created by ``SessionManagerAccess.add_fleet``), lists its tag
value in ``FLEET_TAG_VALUES``. Reported: a fleet only in ``TAG_ONLY_FLEET_TAG_VALUES`` (replacement
turned off: ``add_fleet(fleet, replace_tainted_hosts=False)``) and a fleet no function watches.
A break-glass fleet is acknowledged with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..._private.tags import FLEET
from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset({"AWS::AutoScaling::AutoScalingGroup", "Custom::ImmutableBlueGreenFleet"})


@dataclass(frozen=True)
class Watchers:
    """Fleet tag value -> the tainted-host functions (logical ids) replacing / only tagging its hosts."""

    replaced: dict[str, list[str]] = field(default_factory=dict)
    tag_only: dict[str, list[str]] = field(default_factory=dict)


def _values(variables: Mapping[str, Any], name: str) -> list[str]:
    raw = variables.get(name, "[]")
    try:
        values = json.loads(raw) if isinstance(raw, str) else []
    except ValueError:
        return []
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def watchers(template: Template) -> Watchers:
    """Every tainted-host function of the template: a Lambda function whose environment names the fleet
    tag key (``FLEET_TAG_KEY``) and the fleets it watches (``FLEET_TAG_VALUES``)."""
    found = Watchers()
    for logical_id, function in template.of_type("AWS::Lambda::Function"):
        properties = function.get("Properties")
        environment = properties.get("Environment") if isinstance(properties, dict) else None
        variables = environment.get("Variables") if isinstance(environment, dict) else None
        if not isinstance(variables, dict) or variables.get("FLEET_TAG_KEY") != FLEET:
            continue
        if "FLEET_TAG_VALUES" not in variables:
            continue
        for value in _values(variables, "FLEET_TAG_VALUES"):
            found.replaced.setdefault(value, []).append(logical_id)
        for value in _values(variables, "TAG_ONLY_FLEET_TAG_VALUES"):
            found.tag_only.setdefault(value, []).append(logical_id)
    return found


def app_watchers(app: Sequence[Template]) -> Watchers:
    """The tainted-host functions of every stack of the app: a fleet may be watched from another stack."""
    merged = Watchers()
    for template in app:
        found = template.memo("rep6.watchers", watchers)
        for value, functions in found.replaced.items():
            merged.replaced.setdefault(value, []).extend(functions)
        for value, functions in found.tag_only.items():
            merged.tag_only.setdefault(value, []).extend(functions)
    return merged


def _fleet_tag(resource: Resource) -> tuple[str, str] | None:
    """(property path, fleet tag value) of the resource, or None when it is no fleet of ours."""
    properties = resource.properties
    if resource.type == "Custom::ImmutableBlueGreenFleet":
        value = properties.get("FleetTagValue")
        if properties.get("FleetTagKey") == FLEET and isinstance(value, str):
            return "Properties.FleetTagValue", value
        return None
    tags = properties.get("Tags")
    for index, tag in enumerate(tags if isinstance(tags, list) else []):
        if isinstance(tag, dict) and tag.get("Key") == FLEET and isinstance(tag.get("Value"), str):
            return f"Properties.Tags.{index}", str(tag["Value"])
    return None


def evaluate(resource: Resource, template: Template) -> Result:
    tag = _fleet_tag(resource)
    if tag is None:
        return Result.not_applicable()
    path, value = tag
    found = template.app_memo("rep6.watchers", app_watchers)
    if value in found.replaced:
        return Result.compliant()
    if value in found.tag_only:
        functions = ", ".join(sorted(found.tag_only[value]))
        return Result.of(
            [
                Offence(
                    path,
                    value,
                    f"replacement of tainted hosts is turned off for this fleet (tag only in {functions}): a host "
                    "someone opened a session on keeps serving until it is replaced for another reason",
                    "If this is a break-glass fleet, acknowledge IMM-REP6 on it with the reason; otherwise add it "
                    "without replace_tainted_hosts=False (SessionManagerAccess.add_fleet).",
                )
            ]
        )
    return Result.of(
        [
            Offence(
                path,
                value,
                "no tainted-host function of this app watches this fleet: a host someone opened a session "
                "on keeps serving until it is replaced for another reason",
            )
        ]
    )
