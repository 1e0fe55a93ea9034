"""IMM-HYG2: ec2.Instance's helper launch template is not judged; Image Builder recipes' volumes are."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_imagebuilder as imagebuilder

from ..helpers import findings, new_stack

IMAGE = ec2.MachineImage.generic_linux({"us-east-1": "ami-12345678"})
ROOT = "/dev/xvda"


def test_instance_with_require_imdsv2_and_an_encrypted_root_passes() -> None:
    _, stack, vpc = new_stack()
    ec2.Instance(
        stack, "Pet", vpc=vpc, instance_type=ec2.InstanceType("t3.micro"), machine_image=IMAGE, require_imdsv2=True,
        block_devices=[ec2.BlockDevice(device_name=ROOT, volume=ec2.BlockDeviceVolume.ebs(8, encrypted=True))],
    )  # fmt: skip
    assert findings(stack, "IMM-HYG2") == {}


def test_instance_with_require_imdsv2_and_no_mapping_is_reported_on_the_instance() -> None:
    _, stack, vpc = new_stack()
    ec2.Instance(stack, "Pet", vpc=vpc, instance_type=ec2.InstanceType("t3.micro"), machine_image=IMAGE,
                 require_imdsv2=True)  # fmt: skip
    found = findings(stack, "IMM-HYG2")
    assert len(found) == 1
    ((logical_id, messages),) = found.items()
    assert logical_id.startswith("Pet") and "LaunchTemplate" not in logical_id
    assert "its launch template" in messages[0]


def recipe(stack: object, id: str, encrypted: bool) -> imagebuilder.CfnImageRecipe:
    return imagebuilder.CfnImageRecipe(
        stack, id, name=id.lower(), version="1.0.0", parent_image="ami-12345678",  # type: ignore[arg-type]
        components=[imagebuilder.CfnImageRecipe.ComponentConfigurationProperty(
            component_arn="arn:aws:imagebuilder:us-east-1:aws:component/update-linux/1.0.2")],
        block_device_mappings=[imagebuilder.CfnImageRecipe.InstanceBlockDeviceMappingProperty(
            device_name=ROOT, ebs=imagebuilder.CfnImageRecipe.EbsInstanceBlockDeviceSpecificationProperty(
                encrypted=encrypted, volume_size=8))],
    )  # fmt: skip


def test_unencrypted_recipe_volume_is_reported() -> None:
    _, stack, _ = new_stack()
    recipe(stack, "Plain", encrypted=False)
    (messages,) = findings(stack, "IMM-HYG2").values()
    assert "Properties.BlockDeviceMappings.0.Ebs.Encrypted = false" in messages[0]
    assert "AMI's snapshot" in messages[0]


def test_encrypted_recipe_volume_passes() -> None:
    _, stack, _ = new_stack()
    recipe(stack, "Sealed", encrypted=True)
    assert findings(stack, "IMM-HYG2") == {}
