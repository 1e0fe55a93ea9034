"""IMM-HYG1: IMDSv2 is required (session tokens, hop limit), so instance credentials cannot be replayed."""

from __future__ import annotations

from typing import Any

from .._intrinsics import get
from .._model import Offence, Resource, Result, Template

#: Resource type -> where its metadata options live.
METADATA_OPTIONS: dict[str, tuple[str, ...]] = {
    "AWS::EC2::LaunchTemplate": ("LaunchTemplateData", "MetadataOptions"),
    "AWS::AutoScaling::LaunchConfiguration": ("MetadataOptions",),
    "AWS::ImageBuilder::InfrastructureConfiguration": ("InstanceMetadataOptions",),
    "AWS::EC2::Instance": ("MetadataOptions",),
}
RESOURCE_TYPES = frozenset(METADATA_OPTIONS)


def _required(options: Any) -> bool:
    tokens = get(options, "HttpTokens")
    # A value known only at deploy time (a parameter, a condition) is not guessed.
    return tokens == "required" or get(options, "HttpEndpoint") == "disabled" or isinstance(tokens, dict)


def evaluate(resource: Resource, template: Template) -> Result:
    keys = METADATA_OPTIONS[resource.type]
    options = get(resource.properties, *keys)
    if _required(options):
        return Result.compliant()
    # An instance's own MetadataOptions win; without them its launch template's apply, and the
    # launch template is judged on its own.
    if (
        resource.type == "AWS::EC2::Instance"
        and resource.properties.get("LaunchTemplate") is not None
        and get(options, "HttpTokens") is None
    ):
        return Result.compliant()
    tokens = get(options, "HttpTokens")
    path = "Properties." + ".".join(keys) + ".HttpTokens"
    return Result.of([Offence(path, tokens if tokens is not None else "optional (default)", "IMDSv1 is allowed")])
