"""IMM-FAIL1: what the library knows makes a deploy or every launch fail is a finding, not only a warning.

Constructs of this library record such a warning twice: as a CDK warning (its id unchanged, e.g.
``immutable-constructs:stockImageWithoutAgent``) and as construct metadata
``immutable-constructs:predictedFailure`` (``_private/warnings.py``). The pack reads the metadata
from the cloud assembly and reports one error per record on the construct that made it; a team
that knows the prediction does not hold (the imported key's policy already has the statements)
acknowledges IMM-FAIL1 there with the reason. Acknowledging the CDK warning alone does not remove
the finding. Plain templates carry no construct metadata: ``check_template`` cannot see these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..._private.markers import PREDICTED_FAILURE
from .._model import Resource, Result, Template

#: Judged from construct metadata, not from resources.
RESOURCE_TYPES: frozenset[str] = frozenset()


def evaluate(resource: Resource, template: Template) -> Result:
    return Result.not_applicable()


def predictions(entries: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    """(warning id, "deploy"/"launch", message) of each predicted failure among a construct's metadata."""
    found: list[tuple[str, str, str]] = []
    for entry in entries:
        data = entry.get("data")
        if entry.get("type") != PREDICTED_FAILURE or not isinstance(data, dict):
            continue
        found.append((str(data.get("warning", "")), str(data.get("fails", "launch")), str(data.get("message", ""))))
    return found
