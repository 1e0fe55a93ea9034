"""IMM-REP7: every Auto Scaling group replaces its instances within 365 days (MaxInstanceLifetime).

An instance that lives forever drifts: hand changes, old packages, a long-running process's state.
``MaxInstanceLifetime`` makes Auto Scaling replace each instance before it reaches that age
(EC2 Auto Scaling User Guide, "Replace Auto Scaling instances based on maximum instance lifetime":
0, or 86,400 to 31,536,000 seconds). Reported: a group without it (or 0, which turns it off), and a
value above 365 days, which the Auto Scaling API rejects at deploy although synth passes (an
escape-hatch override). A blue/green fleet's groups exist only at run time; its custom resource's
``MaxInstanceLifetime`` is checked the same way.
"""

from __future__ import annotations

from .._intrinsics import integer
from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset({"AWS::AutoScaling::AutoScalingGroup", "Custom::ImmutableBlueGreenFleet"})

DAY = 86_400
MAXIMUM = 365 * DAY
_DRIFT = ": an instance keeps running (and drifting) until it fails"


def evaluate(resource: Resource, template: Template) -> Result:
    path = "Properties.MaxInstanceLifetime"
    value = resource.properties.get("MaxInstanceLifetime")
    if value is None or value == {"Ref": "AWS::NoValue"}:
        return Result.of([Offence(path, None, f"instances are never replaced for their age{_DRIFT}")])
    seconds = integer(value)
    if seconds is None:
        return Result.compliant()  # known only at deploy time: not guessed
    if seconds == 0:
        return Result.of([Offence(path, value, f"0 turns the maximum instance lifetime off{_DRIFT}")])
    if seconds > MAXIMUM:
        return Result.of(
            [
                Offence(
                    path,
                    value,
                    f"{seconds / DAY:g} days is above the maximum of 365 days (31,536,000 s): Auto Scaling rejects "
                    "it and the deploy fails",
                    "Set max_instance_lifetime to at most Duration.days(365) (ImmutableFleet's default is 14 days).",
                )
            ]
        )
    if seconds < DAY:
        return Result.of(
            [Offence(path, value, "below the minimum of 1 day (86,400 s): Auto Scaling rejects it, the deploy fails")]
        )
    return Result.compliant()
