"""IMM-DEP4: no dynamic reference to an SSM parameter that the same template's image pipeline writes.

CloudFormation resolves ``{{resolve:ssm:NAME:V}}`` when it deploys the resource, and the
deploy fails when that parameter (or version) does not exist yet (CloudFormation User Guide,
"Get values stored in other services using dynamic references"). A parameter that an Image
Builder distribution of the same template writes, or that a role of the same template is
allowed to write (a promotion function), exists only after a build ran: the stack can never
deploy in a fresh account. Put the images in their own stack, deployed first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .._intrinsics import text
from .._model import Offence, Resource, Result, Template
from .._policies import (
    allowed,
    allows_action,
    identity_documents,
    matches,
    parameter_name,
    parameter_path,
    statements,
    strings,
)
from .image_builder_parameter_writer import written_parameters

#: Every resource type: a dynamic reference can sit in any property.
RESOURCE_TYPES = frozenset({"*"})

_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:ssm:(?P<name>[^}]+?)(?::(?P<version>\d+))?\}\}")


def _writers(template: Template) -> list[tuple[str, str]]:
    """(parameter name pattern, who writes it) for every parameter the template writes after deploy."""
    found: list[tuple[str, str]] = []
    for logical_id, distribution in template.of_type("AWS::ImageBuilder::DistributionConfiguration"):
        found.extend(
            (name, f"Image Builder distribution {logical_id}") for name in written_parameters(distribution, template)
        )
    for logical_id, document in identity_documents(template):
        for _, statement in statements(document):
            if not allowed(statement) or not allows_action(statement, "ssm:PutParameter"):
                continue
            for resource in strings(statement.get("Resource")):
                path = parameter_path(text(resource, template))
                if path is not None and path.replace("\x00", "*").strip("*/") != "":
                    found.append((path, f"{logical_id} (ssm:PutParameter)"))
    return found


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        if "{{resolve:ssm:" in value:
            yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}")


def evaluate(resource: Resource, template: Template) -> Result:
    writers = template.memo("dep4.writers", _writers)
    if not writers:
        return Result.not_applicable()
    offences: list[Offence] = []
    for path, value in _strings(resource.properties, "Properties"):
        for reference in _DYNAMIC_REFERENCE.finditer(value):
            name = parameter_name(reference.group("name"))
            by = sorted({who for pattern, who in writers if matches(pattern, name)})
            if by:
                offences.append(
                    Offence(
                        path,
                        reference.group(0),
                        f"SSM parameter /{name} is written by {', '.join(by)} of the same template only after "
                        "an image build, so the first deploy cannot resolve it",
                    )
                )
    return Result.of(offences)
