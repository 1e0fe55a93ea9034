"""IMM-DEP1: a key encrypting launched volumes without a grant for Auto Scaling's role is reported."""

from __future__ import annotations

from typing import Any

from ..helpers import reported

ROLE = "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
ROOT = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}


def resources(*statements: dict[str, Any]) -> dict[str, Any]:
    ebs = {"Encrypted": True, "KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]}}
    return {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [ROOT, *statements]}}},
        "Template": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": ebs}]}}},
    }  # fmt: skip


def test_key_without_the_grant_is_reported() -> None:
    assert reported(resources(), "IMM-DEP1") == {"Key"}


def test_key_with_the_grant_by_principal_arn_condition_passes() -> None:
    statement = {"Effect": "Allow", "Principal": "*", "Resource": "*",
                 "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey",
                            "kms:CreateGrant"],
                 "Condition": {"ArnEquals": {"aws:PrincipalArn": ROLE}}}  # fmt: skip
    assert reported(resources(statement), "IMM-DEP1") == set()
