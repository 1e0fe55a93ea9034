"""IMM-SEC3: no secrets in plain container or function (Lambda, SAM) environment variables (use ``Secrets``)."""

from __future__ import annotations

from typing import Any

from .._intrinsics import get, is_literal, items
from .._model import Offence, Resource, Result, Template
from .._secrets import secret_variable

RESOURCE_TYPES = frozenset({"AWS::ECS::TaskDefinition", "AWS::Lambda::Function", "AWS::Serverless::Function"})


def _check(path: str, name: Any, value: Any) -> list[Offence]:
    if not isinstance(name, str) or not is_literal(value):
        return []
    problem = secret_variable(name, str(value))
    return [Offence(path, f"{name}=<masked>", problem)] if problem else []


def evaluate(resource: Resource, template: Template) -> Result:
    offences: list[Offence] = []
    if resource.type in ("AWS::Lambda::Function", "AWS::Serverless::Function"):
        variables: dict[str, tuple[str, Any]] = {}
        if resource.type == "AWS::Serverless::Function":
            # SAM merges Globals.Function.Environment.Variables into each function's own.
            inherited = get(template.body, "Globals", "Function", "Environment", "Variables")
            if isinstance(inherited, dict):
                variables.update({n: (f"Globals.Function.Environment.Variables.{n}", v) for n, v in inherited.items()})
        own = get(resource.properties, "Environment", "Variables")
        if isinstance(own, dict):
            variables.update({n: (f"Properties.Environment.Variables.{n}", v) for n, v in own.items()})
        if not variables:
            return Result.not_applicable()
        for name, (path, value) in variables.items():
            offences.extend(_check(path, name, value))
        return Result.of(offences)
    for suffix, container in items(resource.properties.get("ContainerDefinitions")):
        if not isinstance(container, dict):
            continue
        for env_suffix, variable in items(container.get("Environment")):
            if isinstance(variable, dict):
                path = f"Properties.ContainerDefinitions{suffix}.Environment{env_suffix}.Value"
                offences.extend(_check(path, variable.get("Name"), variable.get("Value")))
    return Result.of(offences)
