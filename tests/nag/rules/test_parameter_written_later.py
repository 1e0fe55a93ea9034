"""IMM-DEP4: a pin of a parameter the same stack's pipeline writes is reported; another parameter passes."""

from __future__ import annotations

from ..helpers import reported

DISTRIBUTION = {"Type": "AWS::ImageBuilder::DistributionConfiguration", "Properties": {"Distributions": [
    {"Region": "us-east-1", "SsmParameterConfigurations": [{"ParameterName": "/images/web/candidate",
                                                            "DataType": "aws:ec2:image"}]}]}}  # fmt: skip


def lt(image: str) -> dict[str, object]:
    return {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {"ImageId": image}}}


def test_pin_of_a_parameter_the_stack_writes_is_reported() -> None:
    resources = {"Distribution": DISTRIBUTION, "T": lt("{{resolve:ssm:/images/web/candidate:3}}")}
    assert reported(resources, "IMM-DEP4") == {"T"}


def test_pin_of_a_parameter_nobody_here_writes_passes() -> None:
    resources = {"Distribution": DISTRIBUTION, "T": lt("{{resolve:ssm:/images/api/stable:3}}")}
    assert reported(resources, "IMM-DEP4") == set()
