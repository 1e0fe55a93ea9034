"""IMM-HYG1 on AWS::EC2::Instance: its own MetadataOptions count (CloudFormation supports them)."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2

from ..helpers import findings, new_stack

IMAGE = ec2.MachineImage.generic_linux({"us-east-1": "ami-12345678"})


def test_instance_with_http_tokens_required_passes() -> None:
    _, stack, vpc = new_stack()
    instance = ec2.Instance(stack, "Pet", vpc=vpc, instance_type=ec2.InstanceType("t3.micro"), machine_image=IMAGE)
    cfn = instance.node.default_child
    assert isinstance(cfn, ec2.CfnInstance)
    cfn.metadata_options = ec2.CfnInstance.MetadataOptionsProperty(http_tokens="required")
    assert findings(stack, "IMM-HYG1") == {}


def test_instance_with_require_imdsv2_passes_through_its_launch_template() -> None:
    _, stack, vpc = new_stack()
    ec2.Instance(stack, "Pet", vpc=vpc, instance_type=ec2.InstanceType("t3.micro"), machine_image=IMAGE,
                 require_imdsv2=True)  # fmt: skip
    assert findings(stack, "IMM-HYG1") == {}


def test_instance_without_metadata_options_is_reported_at_metadata_options() -> None:
    _, stack, vpc = new_stack()
    ec2.Instance(stack, "Pet", vpc=vpc, instance_type=ec2.InstanceType("t3.micro"), machine_image=IMAGE)
    (messages,) = findings(stack, "IMM-HYG1").values()
    assert "Properties.MetadataOptions.HttpTokens = optional (default)" in messages[0]
    assert "LaunchTemplate" not in messages[0]
