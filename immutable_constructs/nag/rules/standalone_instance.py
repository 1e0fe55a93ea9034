"""IMM-REP2: no standalone EC2 instances (pets); run instances in an Auto Scaling group."""

from __future__ import annotations

from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset({"AWS::EC2::Instance"})


def evaluate(resource: Resource, template: Template) -> Result:
    # The image itself is IMM-IMG3's business: one root cause, one finding.
    return Result.of([Offence("Type", "AWS::EC2::Instance", "a standalone instance is patched, not replaced")])
