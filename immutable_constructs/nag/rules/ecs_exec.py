"""IMM-REP5: no ECS Exec (``docker exec`` into running tasks)."""

from __future__ import annotations

from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset({"AWS::ECS::Service"})


def evaluate(resource: Resource, template: Template) -> Result:
    value = resource.properties.get("EnableExecuteCommand")
    if value is True or value == "true":
        return Result.of(
            [Offence("Properties.EnableExecuteCommand", value, "ECS Exec lets people change running containers")]
        )
    return Result.compliant()
