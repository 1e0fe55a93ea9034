"""IMM-DEP3: a pipeline writing SSM parameters without an execution role allowed to is reported."""

from __future__ import annotations

from typing import Any

from ..helpers import reported

DISTRIBUTION = {
    "Type": "AWS::ImageBuilder::DistributionConfiguration",
    "Properties": {
        "Distributions": [
            {
                "Region": "us-east-1",
                "SsmParameterConfigurations": [{"ParameterName": "/images/web/candidate", "DataType": "aws:ec2:image"}],
            }
        ]
    },
}


def pipeline(**extra: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::ImageBuilder::ImagePipeline",
        "Properties": {"DistributionConfigurationArn": {"Fn::GetAtt": ["Distribution", "Arn"]}, **extra},
    }


def test_pipeline_without_execution_role_is_reported() -> None:
    assert reported({"Distribution": DISTRIBUTION, "Pipeline": pipeline()}, "IMM-DEP3") == {"Pipeline"}


def test_execution_role_allowed_to_put_the_parameter_passes() -> None:
    document = {
        "Statement": [
            {"Effect": "Allow", "Action": "ssm:PutParameter", "Resource": "arn:aws:ssm:*:*:parameter/images/*"}
        ]
    }
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {"AssumeRolePolicyDocument": {}, "Policies": [{"PolicyName": "p", "PolicyDocument": document}]},
    }
    resources = {
        "Distribution": DISTRIBUTION,
        "Role": role,
        "Pipeline": pipeline(ExecutionRole={"Fn::GetAtt": ["Role", "Arn"]}),
    }
    assert reported(resources, "IMM-DEP3") == set()
