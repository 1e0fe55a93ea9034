"""cdk-ec2-spot-simple: one spot instance with an encrypted root volume (the package's README pattern)."""

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2

ORIGIN = {
    "kind": "pypi",
    "package": "cdk-ec2-spot-simple==2.2.0",
    "source": "https://github.com/tksst/cdk-ec2-spot-simple",
    "author": "Takashi Sato",
}


def build(app: App) -> None:
    from cdk_ec2_spot_simple import SpotInstance

    stack = Stack(app, "Spot")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0)
    SpotInstance(
        stack, "Worker", vpc=vpc, vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
        instance_type=ec2.InstanceType("t3.small"), machine_image=ec2.MachineImage.latest_amazon_linux2023(),
        block_devices=[ec2.BlockDevice(device_name="/dev/xvda", volume=ec2.BlockDeviceVolume.ebs(20, encrypted=True))],
    )  # fmt: skip
