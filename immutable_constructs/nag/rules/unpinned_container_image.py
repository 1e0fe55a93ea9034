"""IMM-IMG5: a container image is pinned: a digest, or a tag that cannot move.

IMM-IMG1 refuses ``latest`` and untagged images. A version tag (``nginx:1.27.2``) is better, but a
registry whose tags are mutable lets the same tag be pushed again: two tasks of one revision can
then run different images. An image is pinned when it is named by digest (``name@sha256:...``), by a
tag of an ECR repository of the app (this template, or another stack that exports it) with
``ImageTagMutability: IMMUTABLE``, or by a CDK image asset (its tag is the asset's content hash, in
the bootstrap repository, whose tags the bootstrap template makes immutable; in the synth, the
repository and tag the cloud assembly's asset manifests name, so a synthesizer's own repository
or the legacy synthesizer's ``aws-cdk/assets`` counts too). Images IMM-IMG1 reports are left to it
(one finding each).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .._intrinsics import UNKNOWN, get, items
from .._model import Offence, Resource, Result, Template
from .container_image_tag import image_problem, image_text
from .ecr_tag_mutability import IMMUTABLE

ID = "IMM-IMG5"
TITLE = "Container image neither a digest nor a tag of an immutable ECR repository"
FIX = (
    "Pin the image by digest (ContainerImage.from_ecr_repository(repo, tag='sha256:...') or registry 'name@sha256:"
    "...'), push it to an ECR repository with image_tag_mutability=IMMUTABLE, or build it as an image asset "
    "(ContainerImage.from_asset); ImmutableService accepts only these."
)
RESOURCE_TYPES = frozenset({"AWS::ECS::TaskDefinition"})
#: A CDK image asset: the bootstrap repository (cdk-<qualifier>-container-assets-...), tagged by content hash.
ASSET = re.compile(r"/cdk-[a-z0-9]+-container-assets-[^/:]*:[0-9a-f]{64}$")


def _names(value: Any) -> tuple[list[str], list[str]]:
    """The logical ids the value names (Ref, Fn::GetAtt) and the export names it imports
    (``Fn::ImportValue`` of a literal name), at any depth, in one pass (no recursion: a CDK ECR
    image URI is a deep Fn::Join, and this runs for every container of every task definition)."""
    references: list[str] = []
    imports: list[str] = []
    pending = [value]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            for name, argument in current.items():
                if name == "Ref" and isinstance(argument, str):
                    references.append(argument)
                elif name == "Fn::GetAtt" and isinstance(argument, list) and argument and isinstance(argument[0], str):
                    references.append(argument[0])
                elif name == "Fn::ImportValue" and isinstance(argument, str):
                    imports.append(argument)
                elif isinstance(argument, (dict, list)):
                    pending.append(argument)
        elif isinstance(current, list):
            pending.extend(item for item in current if isinstance(item, (dict, list)))
    return references, imports


def _exports(assembly: Sequence[Template]) -> dict[str, tuple[Template, Any]]:
    """Export name -> (the template that exports it, the output's value), over every stack of the app."""
    found: dict[str, tuple[Template, Any]] = {}
    for other in assembly:
        for output in other.outputs.values():
            name = get(output, "Export", "Name")
            if isinstance(name, str) and isinstance(output, dict):
                found[name] = (other, output.get("Value"))
    return found


def _repository_mutability(value: Any, template: Template) -> Any:
    """The ImageTagMutability of the ECR repository of the app the image names, or None if none.

    The repository is in this template, or in another stack of the app that exports it (CDK's
    cross-stack references: ``Fn::ImportValue`` of an output whose value names the repository).
    """
    references, imports = _names(value)
    named = [(template, logical_id) for logical_id in references]
    if imports and template.app:
        exports = template.app_memo("imm-img5:exports", _exports)
        for export in imports:
            if export in exports:
                other, exported = exports[export]
                named.extend((other, logical_id) for logical_id in _names(exported)[0])
    for owner, logical_id in named:
        repository = owner.resources.get(logical_id)
        if isinstance(repository, dict) and repository.get("Type") == "AWS::ECR::Repository":
            return get(repository, "Properties", "ImageTagMutability") or "MUTABLE"
    return None


def image_pinned(value: Any, template: Template) -> bool | None:
    """True when pinned, False when not, None when IMM-IMG1 judges it or it is chosen at deploy time."""
    image = image_text(value, template)
    if not image.replace(UNKNOWN, "") or image_problem(image) is not None:
        return None
    last = image.rsplit("/", 1)[-1]
    if "@" in last or ASSET.search(image) or any(image.endswith(f"/{asset}") for asset in template.images):
        return True
    mutability = _repository_mutability(value, template)
    if mutability is not None:
        return (isinstance(mutability, str) and mutability in IMMUTABLE) or isinstance(mutability, dict)
    name, _, tag = last.rpartition(":")
    return None if UNKNOWN in name or UNKNOWN in tag else False


def evaluate(resource: Resource, template: Template) -> Result:
    offences: list[Offence] = []
    for suffix, container in items(resource.properties.get("ContainerDefinitions")):
        if not isinstance(container, dict) or "Image" not in container:
            continue
        if image_pinned(container["Image"], template) is False:
            offences.append(
                Offence(
                    f"Properties.ContainerDefinitions{suffix}.Image",
                    image_text(container["Image"], template).replace(UNKNOWN, "<deploy-time>"),
                    "the tag can be pushed again with another image: tasks of one revision may differ",
                )
            )
    return Result.of(offences)
