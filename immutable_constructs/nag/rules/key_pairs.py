"""IMM-SSH2: no EC2 key pairs on launch templates, instances, launch configurations, Image Builder, EKS node groups."""

from __future__ import annotations

from .._intrinsics import get
from .._model import Offence, Resource, Result, Template

#: Resource type -> where its key pair name lives (None: the resource is a key pair).
KEY_PROPERTIES: dict[str, tuple[str, ...] | None] = {
    "AWS::EC2::LaunchTemplate": ("LaunchTemplateData", "KeyName"),
    "AWS::EC2::Instance": ("KeyName",),
    "AWS::AutoScaling::LaunchConfiguration": ("KeyName",),
    "AWS::ImageBuilder::InfrastructureConfiguration": ("KeyPair",),
    "AWS::EKS::Nodegroup": ("RemoteAccess", "Ec2SshKey"),
    "AWS::EC2::KeyPair": None,
}
RESOURCE_TYPES = frozenset(KEY_PROPERTIES)


def evaluate(resource: Resource, template: Template) -> Result:
    keys = KEY_PROPERTIES[resource.type]
    if keys is None:
        name = resource.properties.get("KeyName")
        return Result.of([Offence("Properties.KeyName", name, "an EC2 key pair is created for SSH/RDP logins")])
    value = get(resource.properties, *keys)
    if value is None or value == {"Ref": "AWS::NoValue"} or value == "":
        return Result.compliant()
    return Result.of([Offence("Properties." + ".".join(keys), value, "instances launch with an SSH key pair")])
