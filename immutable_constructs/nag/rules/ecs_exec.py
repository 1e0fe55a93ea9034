"""IMM-REP5: no ECS Exec (``docker exec`` into running tasks).

Judged where a task can be started with ECS Exec: an ECS service (``EnableExecuteCommand``), and the
tasks that EventBridge rules, EventBridge Scheduler schedules and pipes start (their targets'
``EcsParameters.EnableExecuteCommand``, or a pipe's ``TargetParameters.EcsTaskParameters``): people can
exec into a task a rule started as into one a service runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .._intrinsics import boolean, get, items
from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset({"AWS::ECS::Service", "AWS::Events::Rule", "AWS::Scheduler::Schedule", "AWS::Pipes::Pipe"})


def _settings(resource: Resource) -> Iterator[tuple[str, Any]]:
    """(path, value) of each EnableExecuteCommand the resource sets."""
    p = resource.properties
    if resource.type == "AWS::ECS::Service":
        yield "Properties.EnableExecuteCommand", p.get("EnableExecuteCommand")
    elif resource.type == "AWS::Events::Rule":
        for suffix, target in items(p.get("Targets")):
            path = f"Properties.Targets{suffix}.EcsParameters.EnableExecuteCommand"
            yield path, get(target, "EcsParameters", "EnableExecuteCommand")
    elif resource.type == "AWS::Scheduler::Schedule":
        yield (
            "Properties.Target.EcsParameters.EnableExecuteCommand",
            get(p, "Target", "EcsParameters", "EnableExecuteCommand"),
        )
    else:
        path = "Properties.TargetParameters.EcsTaskParameters.EnableExecuteCommand"
        yield path, get(p, "TargetParameters", "EcsTaskParameters", "EnableExecuteCommand")


def evaluate(resource: Resource, template: Template) -> Result:
    offences = [
        Offence(path, value, "ECS Exec lets people change running containers")
        for path, value in _settings(resource)
        if boolean(value) is True
    ]
    if resource.type != "AWS::ECS::Service" and not offences:
        return Result.not_applicable()  # a rule, schedule or pipe that starts no task with ECS Exec
    return Result.of(offences)
