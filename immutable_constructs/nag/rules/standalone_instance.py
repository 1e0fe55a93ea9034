"""IMM-REP2: no standalone EC2 instances (pets); run instances in an Auto Scaling group."""

from __future__ import annotations

from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset({"AWS::EC2::Instance"})


def evaluate(resource: Resource, template: Template) -> Result:
    image = resource.properties.get("ImageId")
    return Result.of(
        [Offence("Type", "AWS::EC2::Instance", f"a standalone instance (image {image!s}) is patched, not replaced")]
    )
