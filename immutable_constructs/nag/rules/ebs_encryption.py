"""IMM-HYG2: every EBS volume is encrypted."""

from __future__ import annotations

from typing import Any

from .._intrinsics import get, items
from .._model import Offence, Resource, Result, Template

#: Resource type -> where its block device mappings live.
MAPPINGS: dict[str, tuple[str, ...]] = {
    "AWS::EC2::LaunchTemplate": ("LaunchTemplateData", "BlockDeviceMappings"),
    "AWS::EC2::Instance": ("BlockDeviceMappings",),
    "AWS::AutoScaling::LaunchConfiguration": ("BlockDeviceMappings",),
}
RESOURCE_TYPES = frozenset({*MAPPINGS, "AWS::EC2::Volume"})


def _encrypted(value: Any) -> bool:
    return value is True or value == "true" or isinstance(value, dict)


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
        if resource.type == "AWS::EC2::Instance" and resource.properties.get("LaunchTemplate") is not None:
            return Result.compliant()  # the launch template's mappings are judged on their own
        return Result.of([Offence(path, None, "the root volume's encryption is left to the AMI and account default")])
    offences: list[Offence] = []
    for suffix, mapping in items(mappings):
        ebs = get(mapping, "Ebs")
        if isinstance(ebs, dict) and not _encrypted(ebs.get("Encrypted")):
            offences.append(
                Offence(f"{path}{suffix}.Ebs.Encrypted", ebs.get("Encrypted"), "the volume is not encrypted")
            )
    return Result.of(offences)
