"""The key-policy statements built once in immutable_constructs/_private/key_policies.py."""

from __future__ import annotations

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Template

from immutable_constructs._private.key_policies import allow_cloudwatch_logs

from ..conftest import only


def test_cloudwatch_logs_may_use_the_key_for_log_groups_of_this_account_and_region_only() -> None:
    stack = Stack(App(), "Logs", env=Environment(account="111122223333", region="eu-west-1"))
    key = kms.Key(stack, "Key")
    assert allow_cloudwatch_logs(key, stack) is True
    policy = only(stack, "AWS::KMS::Key")["Properties"]["KeyPolicy"]
    [statement] = [s for s in policy["Statement"] if s["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == [
        "kms:Encrypt*",
        "kms:Decrypt*",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:Describe*",
    ]
    assert statement["Resource"] == "*"
    [(operator, condition)] = statement["Condition"].items()
    assert operator == "ArnLike"
    arn = condition["kms:EncryptionContext:aws:logs:arn"]
    assert arn == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":logs:eu-west-1:111122223333:log-group:*"]]}


def test_an_imported_key_is_reported_not_changed() -> None:
    stack = Stack(App(), "Imported")
    key = kms.Key.from_key_arn(
        stack, "Key", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    assert allow_cloudwatch_logs(key, stack) is False
    Template.from_stack(stack).resource_count_is("AWS::KMS::Key", 0)
