"""IMM-IMG2: ECR repositories keep tags immutable (CloudFormation's default is MUTABLE)."""

from __future__ import annotations

from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset({"AWS::ECR::Repository"})
IMMUTABLE = frozenset({"IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"})


def evaluate(resource: Resource, template: Template) -> Result:
    value = resource.properties.get("ImageTagMutability")
    if (isinstance(value, str) and value in IMMUTABLE) or isinstance(value, dict):
        return Result.compliant()
    return Result.of(
        [
            Offence(
                "Properties.ImageTagMutability",
                value if value is not None else "MUTABLE (default)",
                "a pushed tag can later point at a different image",
            )
        ]
    )
