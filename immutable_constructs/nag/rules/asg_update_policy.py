"""IMM-REP1: every Auto Scaling group has an update policy that replaces instances."""

from __future__ import annotations

from .._intrinsics import get
from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset({"AWS::AutoScaling::AutoScalingGroup"})


def evaluate(resource: Resource, template: Template) -> Result:
    policy = resource.body.get("UpdatePolicy")
    if not isinstance(policy, dict):
        policy = {}
    if "AutoScalingRollingUpdate" in policy or "AutoScalingInstanceRefresh" in policy:
        return Result.compliant()
    will_replace = get(policy, "AutoScalingReplacingUpdate", "WillReplace")
    if will_replace is True or will_replace == "true":
        return Result.compliant()
    if "AutoScalingReplacingUpdate" in policy:
        return Result.of(
            [
                Offence(
                    "UpdatePolicy.AutoScalingReplacingUpdate.WillReplace",
                    will_replace,
                    "the replacing update policy does not replace the group (WillReplace is not true)",
                )
            ]
        )
    return Result.of(
        [
            Offence(
                "UpdatePolicy",
                resource.body.get("UpdatePolicy"),
                "a new launch template version leaves running instances on the old one "
                "(no AutoScalingRollingUpdate, AutoScalingReplacingUpdate or AutoScalingInstanceRefresh)",
            )
        ]
    )
