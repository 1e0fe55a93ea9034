"""IMM-SEC3: no secrets in plain container or function environment variables (use ``Secrets``)."""

from __future__ import annotations

from typing import Any

from .._intrinsics import is_literal, items
from .._model import Offence, Resource, Result, Template
from .._secrets import secret_variable

RESOURCE_TYPES = frozenset({"AWS::ECS::TaskDefinition", "AWS::Lambda::Function"})


def _check(path: str, name: Any, value: Any) -> list[Offence]:
    if not isinstance(name, str) or not is_literal(value):
        return []
    problem = secret_variable(name, str(value))
    return [Offence(path, f"{name}=<masked>", problem)] if problem else []


def evaluate(resource: Resource, template: Template) -> Result:
    offences: list[Offence] = []
    if resource.type == "AWS::Lambda::Function":
        variables = resource.properties.get("Environment", {}).get("Variables")
        if not isinstance(variables, dict):
            return Result.not_applicable()
        for name, value in variables.items():
            offences.extend(_check(f"Properties.Environment.Variables.{name}", name, value))
        return Result.of(offences)
    for suffix, container in items(resource.properties.get("ContainerDefinitions")):
        if not isinstance(container, dict):
            continue
        for env_suffix, variable in items(container.get("Environment")):
            if isinstance(variable, dict):
                path = f"Properties.ContainerDefinitions{suffix}.Environment{env_suffix}.Value"
                offences.extend(_check(path, variable.get("Name"), variable.get("Value")))
    return Result.of(offences)
