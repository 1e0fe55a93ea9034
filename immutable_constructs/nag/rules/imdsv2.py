"""IMM-HYG1: IMDSv2 is required (session tokens, hop limit), so instance credentials cannot be replayed."""

from __future__ import annotations

from .._intrinsics import get
from .._model import Offence, Resource, Result, Template

#: Resource type -> where its metadata options live.
METADATA_OPTIONS: dict[str, tuple[str, ...]] = {
    "AWS::EC2::LaunchTemplate": ("LaunchTemplateData", "MetadataOptions"),
    "AWS::AutoScaling::LaunchConfiguration": ("MetadataOptions",),
    "AWS::ImageBuilder::InfrastructureConfiguration": ("InstanceMetadataOptions",),
    "AWS::EC2::Instance": ("LaunchTemplate",),
}
RESOURCE_TYPES = frozenset(METADATA_OPTIONS)


def evaluate(resource: Resource, template: Template) -> Result:
    keys = METADATA_OPTIONS[resource.type]
    if resource.type == "AWS::EC2::Instance":
        # An instance has no metadata options of its own; its launch template (judged on its own) does.
        if resource.properties.get("LaunchTemplate") is not None:
            return Result.compliant()
        return Result.of([Offence("Properties.LaunchTemplate", None, "no launch template requires IMDSv2")])
    options = get(resource.properties, *keys)
    tokens = get(options, "HttpTokens")
    if tokens == "required" or get(options, "HttpEndpoint") == "disabled" or isinstance(tokens, dict):
        return Result.compliant()
    path = "Properties." + ".".join(keys) + ".HttpTokens"
    return Result.of([Offence(path, tokens if tokens is not None else "optional (default)", "IMDSv1 is allowed")])
