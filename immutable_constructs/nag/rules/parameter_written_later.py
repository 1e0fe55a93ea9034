"""IMM-DEP4: no dynamic reference to an SSM parameter that the same template's image pipeline writes.

CloudFormation resolves ``{{resolve:ssm:NAME:V}}`` when it deploys the resource, and the
deploy fails when that parameter (or version) does not exist yet (CloudFormation User Guide,
"Get values stored in other services using dynamic references"). A parameter that an Image
Builder distribution of the same template writes, or that a role of the same template is
allowed to write (a promotion function), exists only after a build ran: the stack can never
deploy in a fresh account. Put the images in their own stack, deployed first.

Judged across the whole app: a parameter another stack writes is reported too, unless the
referencing stack is deployed after the writing one (a stack dependency, direct or through
others): without it, ``cdk deploy --all`` may deploy the service stack first or in parallel.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
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


def _app_writers(app: Sequence[Template]) -> list[tuple[str, str, str]]:
    """(stack, parameter name pattern, who writes it) for every template of the app."""
    return [(t.stack, pattern, who) for t in app for pattern, who in t.memo("dep4.writers", _writers)]


def _in_other_stacks(template: Template, name: str) -> list[Offence]:
    found: dict[str, set[str]] = {}
    for stack, pattern, who in template.app_memo("dep4.writers", _app_writers):
        if stack != template.stack and stack not in template.after and matches(pattern, name):
            found.setdefault(stack, set()).add(who)
    return [
        Offence(
            "",
            stack,
            f"SSM parameter /{name} is written by {', '.join(sorted(who))} of stack {stack} only after an image "
            f"build, and stack {template.stack} is not deployed after {stack}: `cdk deploy --all` may deploy it "
            "first, and the reference cannot resolve",
            f"Make the stack depend on {stack} (stack.add_dependency(images_stack)), deploy {stack} and run a build "
            "before this stack's first deploy.",
        )
        for stack, who in sorted(found.items())
    ]


def _has_references(template: Template) -> bool:
    """Whether any resource of the template has a dynamic SSM reference (one scan, not one per resource)."""
    return "{{resolve:ssm:" in json.dumps(template.resources, default=str)


def _app_wide(template: Template) -> bool:
    """Whether another template of the app writes a parameter (so a reference may name it)."""
    return len(template.assembly) > 1 and bool(template.app_memo("dep4.writers", _app_writers))


def _applies(template: Template) -> bool:
    """Whether some resource of the template may offend: a parameter is written (here or in another
    stack) and the template has a dynamic reference. Once per template: the rule sees every resource."""
    writers = template.memo("dep4.writers", _writers)
    return bool(writers or _app_wide(template)) and template.memo("dep4.references", _has_references)


def evaluate(resource: Resource, template: Template) -> Result:
    if not template.memo("dep4.applies", _applies):
        return Result.not_applicable()
    writers = template.memo("dep4.writers", _writers)
    app_wide = _app_wide(template)
    offences: list[Offence] = []
    for path, value in _strings(resource.properties, "Properties"):
        for reference in _DYNAMIC_REFERENCE.finditer(value):
            name = parameter_name(reference.group("name"))
            by = sorted({who for pattern, who in writers if matches(pattern, name)})
            if not by and app_wide:
                offences.extend(
                    Offence(path, reference.group(0), o.detail, o.fix) for o in _in_other_stacks(template, name)
                )
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
