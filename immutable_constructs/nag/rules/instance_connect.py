"""IMM-SSH3: no EC2 Instance Connect endpoints (SSH/RDP tunnels into private subnets)."""

from __future__ import annotations

from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset({"AWS::EC2::InstanceConnectEndpoint"})


def evaluate(resource: Resource, template: Template) -> Result:
    subnet = resource.properties.get("SubnetId")
    return Result.of([Offence("Properties.SubnetId", subnet, "an EC2 Instance Connect endpoint opens SSH/RDP tunnels")])
