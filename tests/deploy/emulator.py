"""Start ministack (the pinned version) on 127.0.0.1 with test-only CloudFormation handlers.

Run with the emulator's own interpreter (``.tools/emulator/bin/python tests/deploy/emulator.py``):
ministack keeps its CloudFormation resource handlers in the private table
``ministack.services.cloudformation.provisioners._RESOURCE_HANDLERS``; version 1.5.33 has none for
three types the library's stacks use. They are registered here, in the tests, never in the library:

- ``AWS::EC2::EIP`` and ``AWS::EC2::NatGateway`` go through the emulator's own EC2 API functions
  (AllocateAddress/ReleaseAddress, CreateNatGateway/DeleteNatGateway), so the addresses and NAT
  gateways really exist in its EC2 state and a destroy can be checked to remove them.
- ``AWS::SSM::Document``: ministack's SSM has no document API at all (no CreateDocument), so the
  handler only records the name (the template's ``Name`` or a generated one) and returns it.

One handler it has is completed: ``AWS::EC2::VPC`` returns no ``CidrBlock`` attribute (CloudFormation
documents ``CidrBlock``, ``CidrBlockAssociations`` and ``Ipv6CidrBlocks``), so ``Fn::GetAtt`` of it, which
CDK renders for every interface endpoint's security group (HTTPS from the VPC's CIDR), fails the deploy.
The wrapper adds them from the emulator's VPC record.

The private table and the functions' request shape are why the version is pinned
(tools/emulator/requirements.txt) and checked here.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import version
from typing import Any

PINNED = "1.5.33"


def _ec2_params(**values: str) -> dict[str, list[str]]:
    return {key: [value] for key, value in values.items() if value}


def _eip_create(logical_id: str, props: dict[str, Any], stack_name: str) -> tuple[str, dict[str, str]]:
    from ministack.services import ec2

    ec2._allocate_address(_ec2_params(Domain=props.get("Domain") or "vpc"))
    allocation_id = list(ec2._addresses.keys())[-1]
    record = ec2._addresses[allocation_id]
    # Ref of an EIP is its public IP; GetAtt AllocationId/PublicIp.
    return record["PublicIp"], {"AllocationId": allocation_id, "PublicIp": record["PublicIp"]}


def _eip_delete(physical_id: str, props: dict[str, Any]) -> None:
    from ministack.services import ec2

    for allocation_id, record in list(ec2._addresses.items()):
        if record["PublicIp"] == physical_id:
            ec2._release_address(_ec2_params(AllocationId=allocation_id))


def _nat_create(logical_id: str, props: dict[str, Any], stack_name: str) -> tuple[str, dict[str, str]]:
    from ministack.services import ec2

    before = set(ec2._nat_gateways.keys())
    ec2._create_nat_gateway(_ec2_params(SubnetId=props.get("SubnetId", ""), AllocationId=props.get("AllocationId", "")))
    (nat_id,) = set(ec2._nat_gateways.keys()) - before
    return nat_id, {}


def _nat_delete(physical_id: str, props: dict[str, Any]) -> None:
    from ministack.services import ec2

    if physical_id in ec2._nat_gateways:
        ec2._delete_nat_gateway(_ec2_params(NatGatewayId=physical_id))


def _document_create(logical_id: str, props: dict[str, Any], stack_name: str) -> tuple[str, dict[str, str]]:
    return props.get("Name") or f"{stack_name}-{logical_id}", {}


def _document_delete(physical_id: str, props: dict[str, Any]) -> None:
    return None


def _with_vpc_attributes(handler: Any) -> Any:
    def wrapped(*args: Any, **kwargs: Any) -> tuple[str, dict[str, Any]]:
        from ministack.services import ec2

        physical_id, attributes = handler(*args, **kwargs)
        vpc = ec2._vpcs.get(physical_id) or {}
        cidr = vpc.get("CidrBlock", "")
        return physical_id, {
            **attributes,
            "CidrBlock": cidr,
            "CidrBlockAssociations": [f"vpc-cidr-assoc-{physical_id[4:]}"],
            "Ipv6CidrBlocks": [],
        }

    return wrapped


def register() -> None:
    installed = version("ministack")
    if installed != PINNED:
        sys.exit(f"ministack {installed} is installed; these handlers are written against {PINNED}")
    from ministack.services.cloudformation import provisioners

    stubs = {
        "AWS::EC2::EIP": {"create": _eip_create, "delete": _eip_delete},
        "AWS::EC2::NatGateway": {"create": _nat_create, "delete": _nat_delete},
        "AWS::SSM::Document": {"create": _document_create, "delete": _document_delete},
    }
    for resource_type, handler in stubs.items():
        if resource_type in provisioners._RESOURCE_HANDLERS:
            sys.exit(f"ministack {installed} now has a handler for {resource_type}: drop the test stub")
        provisioners._RESOURCE_HANDLERS[resource_type] = handler
    vpc = provisioners._RESOURCE_HANDLERS["AWS::EC2::VPC"]
    vpc["create"] = _with_vpc_attributes(vpc["create"])
    vpc["update"] = _with_vpc_attributes(vpc["update"])


def main() -> None:
    # Loopback only, never every interface (ministack's default BIND_HOST is 0.0.0.0).
    os.environ["BIND_HOST"] = "127.0.0.1"
    register()
    from ministack.app import main as serve

    sys.argv = sys.argv[:1]
    serve()


if __name__ == "__main__":
    main()
