"""IMM-IMG1: container images are named by a version tag or digest, never ``latest`` or untagged.

An image that CloudFormation fills in at deploy time, from a template parameter of an SSM type or a
dynamic reference (``{{resolve:ssm:/name:7}}``), is the deployer's choice and not judged by its text,
except when the SSM parameter itself is named like ``latest`` (``/aws/service/aws-for-fluent-bit/latest``,
the FireLens log router's default): it moves to each new release and every deploy reads it again.
"""

from __future__ import annotations

import re
from typing import Any

from .._intrinsics import UNKNOWN, items, text
from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset({"AWS::ECS::TaskDefinition"})
#: ``latest`` as a word of the tag (``latest-arm64v8``, ``alpine-latest``): a variant of latest that moves with it.
_LATEST_WORD = re.compile(r"(?:^|[-_.])latest(?:$|[-_.])")
#: A dynamic reference: CloudFormation puts the value in when it deploys the resource.
_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:[^}]*\}\}")
_SSM_REFERENCE = re.compile(r"^\{\{resolve:ssm:(?P<name>[^}]+?)(?::(?P<version>\d+))?\}\}$")


def image_text(value: Any, template: Template) -> str:
    """The image as text, every part filled in at deploy time (dynamic references too) as :data:`UNKNOWN`."""
    return _DYNAMIC_REFERENCE.sub(UNKNOWN, text(value, template))


def latest_parameter(value: Any, template: Template) -> str | None:
    """The SSM parameter the whole image is read from at every deploy, when it is named like ``latest``."""
    name: Any = None
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("Ref"), str):
        parameter = template.parameters.get(value["Ref"], {})
        if str(parameter.get("Type", "")).startswith("AWS::SSM::Parameter::Value<"):
            name = parameter.get("Default")
    elif isinstance(value, str) and (match := _SSM_REFERENCE.match(value)) and match.group("version") is None:
        name = match.group("name")
    if isinstance(name, str) and _LATEST_WORD.search(name.rsplit("/", 1)[-1].lower()):
        return name
    return None


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
        image = image_text(container["Image"], template)
        parameter = latest_parameter(container["Image"], template)
        problem = image_problem(image)
        if parameter is not None:
            image = f"SSM parameter {parameter}"
            problem = "every deploy reads the image from this parameter again, and it moves to each new release"
        if problem:
            path = f"Properties.ContainerDefinitions{suffix}.Image"
            offences.append(Offence(path, image.replace(UNKNOWN, "<deploy-time>"), problem))
    return Result.of(offences)
