"""cdk-fck-nat: NAT instances from the fck-nat AMI as the VPC's NAT provider."""

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2

ORIGIN = {
    "kind": "pypi",
    "package": "cdk-fck-nat==1.6.22",
    "source": "https://github.com/AndrewGuenther/cdk-fck-nat",
    "author": "Andrew Guenther",
}


def build(app: App) -> None:
    from cdk_fck_nat import FckNatInstanceProvider

    stack = Stack(app, "FckNat", env={"region": "us-east-1", "account": "123456789012"})
    provider = FckNatInstanceProvider(instance_type=ec2.InstanceType("t4g.nano"))
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateway_provider=provider)
    provider.security_group.add_ingress_rule(ec2.Peer.ipv4(vpc.vpc_cidr_block), ec2.Port.all_traffic())
