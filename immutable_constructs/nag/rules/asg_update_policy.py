"""IMM-REP1: every Auto Scaling group has an update policy that replaces instances."""

from __future__ import annotations

from .._intrinsics import boolean, get
from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset({"AWS::AutoScaling::AutoScalingGroup"})


def evaluate(resource: Resource, template: Template) -> Result:
    policy = resource.body.get("UpdatePolicy")
    if not isinstance(policy, dict):
        policy = {}
    if "AutoScalingRollingUpdate" in policy or "AutoScalingInstanceRefresh" in policy:
        return Result.compliant()
    will_replace = get(policy, "AutoScalingReplacingUpdate", "WillReplace")
    if boolean(will_replace) is True:
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
    properties = resource.properties
    if properties.get("LaunchConfigurationName") is not None:
        what = "a new image makes a new launch configuration, and running instances stay on the old one"
    elif properties.get("LaunchTemplate") is not None or properties.get("MixedInstancesPolicy") is not None:
        what = "a new image makes a new launch template version, and running instances stay on the old one"
    else:
        what = "a new image leaves running instances on the old one"
    # Only the replacing policies matter here; a scheduled-action policy (AutoScalingScheduledAction) is not shown.
    return Result.of(
        [
            Offence(
                "UpdatePolicy",
                None,
                f"{what} (no AutoScalingRollingUpdate, AutoScalingReplacingUpdate or AutoScalingInstanceRefresh)",
            )
        ]
    )
