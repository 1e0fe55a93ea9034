"""IMM-HYG2: every EBS volume is encrypted, Image Builder recipes' volumes (the AMI's snapshots) included."""

from __future__ import annotations

from typing import Any

from .._intrinsics import boolean, get, items
from .._launch_templates import launch_template_of
from .._model import Offence, Resource, Result, Template

#: Resource type -> where its block device mappings live.
MAPPINGS: dict[str, tuple[str, ...]] = {
    "AWS::EC2::LaunchTemplate": ("LaunchTemplateData", "BlockDeviceMappings"),
    "AWS::EC2::Instance": ("BlockDeviceMappings",),
    "AWS::AutoScaling::LaunchConfiguration": ("BlockDeviceMappings",),
    "AWS::ImageBuilder::ImageRecipe": ("BlockDeviceMappings",),
}
RESOURCE_TYPES = frozenset({*MAPPINGS, "AWS::EC2::Volume"})

_LEFT_TO_AMI = "the root volume's encryption is left to the AMI and account default"


def _encrypted(value: Any) -> bool:
    return boolean(value) is True or isinstance(value, dict)


def _unmapped(resource: Resource, template: Template) -> str | None:
    """Why a resource without block device mappings is reported, or None when it is not."""
    properties = resource.properties
    if resource.type == "AWS::ImageBuilder::ImageRecipe":
        # The parent image's mappings apply; a recipe building on an encrypted golden image is fine,
        # and the distribution can encrypt the output: not judged without mappings.
        return None
    if resource.type == "AWS::EC2::LaunchTemplate" and get(properties, "LaunchTemplateData", "ImageId") is None:
        # No image: whoever launches from it names the image and the volumes (ec2.Instance's
        # helper template that only carries MetadataOptions); that resource is judged.
        return None
    if resource.type == "AWS::EC2::Instance" and properties.get("LaunchTemplate") is not None:
        named = launch_template_of(properties["LaunchTemplate"], template)
        if named is None:
            return None  # imported or named at deploy time: not guessed
        if get(named[1], "Properties", "LaunchTemplateData", "BlockDeviceMappings") is not None:
            return None  # the launch template's mappings apply and are judged on their own
        return f"{_LEFT_TO_AMI} (its launch template {named[0]} maps no volume either)"
    return _LEFT_TO_AMI


def evaluate(resource: Resource, template: Template) -> Result:
    if resource.type == "AWS::EC2::Volume":
        value = resource.properties.get("Encrypted")
        if _encrypted(value):
            return Result.compliant()
        return Result.of([Offence("Properties.Encrypted", value, "the volume is not encrypted")])
    keys = MAPPINGS[resource.type]
    path = "Properties." + ".".join(keys)
    mappings = get(resource.properties, *keys)
    if mappings is None:
        why = _unmapped(resource, template)
        return Result.of([Offence(path, None, why)]) if why else Result.compliant()
    recipe = resource.type == "AWS::ImageBuilder::ImageRecipe"
    detail = "the AMI's snapshot of this volume is not encrypted" if recipe else "the volume is not encrypted"
    fix = (
        "Map the recipe's volumes with Ebs.Encrypted: true (and a KmsKeyId the fleets' Auto Scaling role may use)."
        if recipe
        else ""
    )
    offences: list[Offence] = []
    for suffix, mapping in items(mappings):
        ebs = get(mapping, "Ebs")
        if isinstance(ebs, dict) and not _encrypted(ebs.get("Encrypted")):
            offences.append(Offence(f"{path}{suffix}.Ebs.Encrypted", ebs.get("Encrypted"), detail, fix))
    return Result.of(offences)
