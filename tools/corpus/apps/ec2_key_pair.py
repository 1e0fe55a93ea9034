"""cdk-ec2-key-pair: a key pair kept in Secrets Manager, used by an instance (the package's README pattern)."""

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2

ORIGIN = {
    "kind": "pypi",
    "package": "cdk-ec2-key-pair==5.1.5",
    "source": "https://github.com/udondan/cdk-ec2-key-pair",
    "author": "Daniel Schroeder",
}


def build(app: App) -> None:
    from cdk_ec2_key_pair import KeyPair

    stack = Stack(app, "KeyPair")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0)
    key = KeyPair(stack, "Key", key_pair_name="corpus-key", description="login key", store_public_key=True)
    ec2.Instance(
        stack, "Host", vpc=vpc, vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
        instance_type=ec2.InstanceType("t3.micro"), machine_image=ec2.MachineImage.latest_amazon_linux2023(),
        key_pair=key,
    )  # fmt: skip
