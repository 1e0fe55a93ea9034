"""IMM-IMG1: container images are named by a version tag or digest, never ``latest`` or untagged."""

from __future__ import annotations

import re
from typing import Any

from .._intrinsics import UNKNOWN, items, text
from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset({"AWS::ECS::TaskDefinition"})
#: ``latest`` as a word of the tag (``latest-arm64v8``, ``alpine-latest``): a variant of latest that moves with it.
_LATEST_WORD = re.compile(r"(?:^|[-_.])latest(?:$|[-_.])")


def image_problem(image: str) -> str | None:
    """Why an image reference is not versioned, or None when it is (or is only known at deploy time).

    ``image`` is flattened text in which :data:`UNKNOWN` marks deploy-time parts: an image
    that is entirely unknown (a parameter without a default) is the deployer's choice, and a
    tag that is partly unknown (``v${Version}``) is taken as a version.
    """
    if image.strip() == UNKNOWN or not image:
        return None
    if "@" in image.rsplit("/", 1)[-1]:
        return None  # pinned by digest (name@sha256:...)
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "the image has no tag, so it means whatever `latest` is when a task starts"
    tag = last.rsplit(":", 1)[1]
    if tag.lower() == "latest":
        return "the `latest` tag moves: two tasks of one revision can run different images"
    if _LATEST_WORD.search(tag.lower()):
        return f"`{tag}` is a variant of `latest` and moves with it: two tasks of one revision can run different images"
    if not tag:
        return "the image tag is empty"
    return None


def evaluate(resource: Resource, template: Template) -> Result:
    offences: list[Offence] = []
    containers: Any = resource.properties.get("ContainerDefinitions")
    for suffix, container in items(containers):
        if not isinstance(container, dict) or "Image" not in container:
            continue
        problem = image_problem(text(container["Image"], template))
        if problem:
            offences.append(
                Offence(
                    f"Properties.ContainerDefinitions{suffix}.Image",
                    text(container["Image"], template).replace(UNKNOWN, "<deploy-time>"),
                    problem,
                )
            )
    return Result.of(offences)
