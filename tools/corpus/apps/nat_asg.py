"""cdk-nat-asg-provider: each NAT instance in its own Auto Scaling group."""

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2

ORIGIN = {
    "kind": "pypi",
    "package": "cdk-nat-asg-provider==0.0.5",
    "source": "https://github.com/fonzcastellanos/cdk-nat-asg-provider",
    "author": "Alfonso Castellanos",
}


def build(app: App) -> None:
    from cdk_nat_asg_provider import NatAsgProvider

    stack = Stack(app, "NatAsg", env={"region": "us-east-1", "account": "123456789012"})
    ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateway_provider=NatAsgProvider())
