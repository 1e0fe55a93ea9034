"""IMM-DEP8: a recipe encrypting volumes with a key its pipeline's execution role may not use is reported."""

from __future__ import annotations

from typing import Any

from ..helpers import reported

EBS_ACTIONS = [
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncrypt*",
]
KEY = {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": []}}}
RECIPE = {
    "Type": "AWS::ImageBuilder::ImageRecipe",
    "Properties": {
        "BlockDeviceMappings": [
            {"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True, "KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]}}}
        ]
    },
}
PIPELINE = {
    "Type": "AWS::ImageBuilder::ImagePipeline",
    "Properties": {
        "ImageRecipeArn": {"Fn::GetAtt": ["Recipe", "Arn"]},
        "ExecutionRole": {"Fn::GetAtt": ["Role", "Arn"]},
    },
}


def role(actions: list[str], resource: Any = None) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": actions, "Resource": resource or {"Fn::GetAtt": ["Key", "Arn"]}}
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {},
            "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [statement]}}],
        },
    }


def test_execution_role_with_decrypt_and_generate_data_key_only_is_reported() -> None:
    weak = role(["kms:Decrypt", "kms:GenerateDataKey"])
    resources = {"Key": KEY, "Recipe": RECIPE, "Role": weak, "Pipeline": PIPELINE}
    assert reported(resources, "IMM-DEP8") == {"Pipeline"}


def test_execution_role_allowed_what_ebs_needs_on_the_key_passes() -> None:
    resources = {"Key": KEY, "Recipe": RECIPE, "Role": role(EBS_ACTIONS), "Pipeline": PIPELINE}
    assert reported(resources, "IMM-DEP8") == set()


def test_an_arn_pattern_for_every_key_counts_and_another_keys_reference_does_not() -> None:
    anywhere = {"Key": KEY, "Recipe": RECIPE, "Role": role(EBS_ACTIONS, "arn:aws:kms:*:*:key/*"), "Pipeline": PIPELINE}
    assert reported(anywhere, "IMM-DEP8") == set()
    other = role(EBS_ACTIONS, {"Fn::GetAtt": ["OtherKey", "Arn"]})
    elsewhere = {"Key": KEY, "OtherKey": KEY, "Recipe": RECIPE, "Role": other, "Pipeline": PIPELINE}
    assert reported(elsewhere, "IMM-DEP8") == {"Pipeline"}


def test_a_key_policy_naming_the_role_counts() -> None:
    key = {
        "Type": "AWS::KMS::Key",
        "Properties": {
            "KeyPolicy": {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": {"Fn::GetAtt": ["Role", "Arn"]}},
                        "Action": EBS_ACTIONS,
                        "Resource": "*",
                    }
                ]
            }
        },
    }
    resources = {"Key": key, "Recipe": RECIPE, "Role": role(["kms:Decrypt"]), "Pipeline": PIPELINE}
    assert reported(resources, "IMM-DEP8") == set()


def test_without_execution_role_or_with_aws_managed_policies_it_is_not_judged() -> None:
    without = {**PIPELINE, "Properties": {"ImageRecipeArn": {"Ref": "Recipe"}}}
    no_role = {"Key": KEY, "Recipe": RECIPE, "Pipeline": without}
    assert reported(no_role, "IMM-DEP8") == set()
    managed = role(["kms:Decrypt"])
    managed["Properties"]["ManagedPolicyArns"] = ["arn:aws:iam::aws:policy/EC2ImageBuilderExecutionPolicy"]
    assert reported({"Key": KEY, "Recipe": RECIPE, "Role": managed, "Pipeline": PIPELINE}, "IMM-DEP8") == set()
