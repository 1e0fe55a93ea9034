"""IMM-SEC2: no secrets in Image Builder component documents (they end up in every image's build log)."""

from __future__ import annotations

from .._intrinsics import text
from .._model import Offence, Resource, Result, Template
from .._secrets import find_in_text

RESOURCE_TYPES = frozenset({"AWS::ImageBuilder::Component"})


def evaluate(resource: Resource, template: Template) -> Result:
    data = resource.properties.get("Data")
    if data is None:
        return Result.not_applicable()  # the document comes from S3 (Uri): not in the template
    found = find_in_text(text(data, template))
    return Result.of([Offence("Properties.Data", "<component document>", f"the document contains {w}") for w in found])
