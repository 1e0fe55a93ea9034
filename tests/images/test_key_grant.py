"""ImageKeyGrant: this account's Auto Scaling role may use the key of an AMI another account shares with it
(EC2 Auto Scaling User Guide, "Required AWS KMS key policy for use with encrypted volumes", Example 2). The
construct on its synthesized template; the handler against moto (KMS, IAM) and botocore's Stubber."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_cdk import App, Stack
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from immutable_constructs import ImageKeyGrant, ValidationError
from immutable_constructs.images.key_grant_handler import index

from ..conftest import logical_id, only, template_json

REGION = "eu-west-1"
OWNER_KEY = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


@pytest.fixture(scope="module")
def synthesized() -> tuple[Stack, ImageKeyGrant, dict[str, Any]]:
    stack = Stack(App(), "Web", env={"account": "222222222222", "region": REGION})
    grant = ImageKeyGrant(stack, "ImageKey", key_arn=OWNER_KEY)
    return stack, grant, template_json(stack)


def test_the_grant_names_the_key_and_this_accounts_auto_scaling_role(
    synthesized: tuple[Stack, ImageKeyGrant, dict[str, Any]],
) -> None:
    _, _, template = synthesized
    properties = only(template, "Custom::ImageKeyGrant")["Properties"]
    assert properties["KeyArn"] == OWNER_KEY
    role = ":iam::222222222222:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    assert properties["GranteePrincipal"] == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, role]]}


def test_the_handler_may_grant_only_to_that_role_and_retire_only_on_that_key(
    synthesized: tuple[Stack, ImageKeyGrant, dict[str, Any]],
) -> None:
    stack, grant, template = synthesized
    policy = template["Resources"][logical_id(stack, grant.node.find_child("HandlerPolicy"))]
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    create = statements["GrantAutoScaling"]
    assert create["Action"] == "kms:CreateGrant" and create["Resource"] == OWNER_KEY
    grantee = only(template, "Custom::ImageKeyGrant")["Properties"]["GranteePrincipal"]
    assert create["Condition"] == {"StringEquals": {"kms:GranteePrincipal": grantee}}
    assert statements["RetireGrant"]["Resource"] == OWNER_KEY
    linked = statements["CreateAutoScalingRole"]
    assert linked["Condition"] == {"StringLike": {"iam:AWSServiceName": "autoscaling.amazonaws.com"}}
    # The function's role is the grant's retiring principal, so the grant is retired on delete.
    role_id = logical_id(stack, grant.node.find_child("HandlerRole"))
    assert only(template, "Custom::ImageKeyGrant")["Properties"]["RetiringPrincipal"] == {
        "Fn::GetAtt": [role_id, "Arn"]
    }


@pytest.mark.parametrize(
    ("props", "prop"),
    [
        ({"key_arn": "alias/images"}, "key_arn"),
        ({"key_arn": OWNER_KEY, "role_name": "MyAutoScalingRole"}, "role_name"),
    ],
)
def test_bad_props(props: dict[str, Any], prop: str) -> None:
    stack = Stack(App(), "Web", env={"account": "222222222222", "region": REGION})
    with pytest.raises(ValidationError) as raised:
        ImageKeyGrant(stack, "ImageKey", **props)
    assert [p.prop for p in raised.value.problems] == [prop]
    assert raised.value.construct_path == "Web/ImageKey"


# --- the handler ---------------------------------------------------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for key, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        kms = boto3.client("kms", region_name=REGION)
        key = kms.create_key()["KeyMetadata"]["Arn"]
        yield {"kms": kms, "iam": boto3.client("iam", region_name=REGION), "key": key}


def event(request: str, key: str, physical: str | None = None) -> dict[str, Any]:
    properties = {"KeyArn": key, "GranteePrincipal": ROLE, "RetiringPrincipal": ROLE, "GrantName": "WebImageKey"}
    return {"RequestType": request, "ResourceProperties": properties, "PhysicalResourceId": physical}


def test_create_makes_the_role_and_the_grant_and_delete_retires_it(aws: dict[str, Any]) -> None:
    created = index.on_event(event("Create", aws["key"]), kms=aws["kms"], iam=aws["iam"])
    grants = aws["kms"].list_grants(KeyId=aws["key"])["Grants"]
    assert [g["GrantId"] for g in grants] == [created["PhysicalResourceId"]]
    assert grants[0]["GranteePrincipal"] == ROLE
    assert set(grants[0]["Operations"]) == set(index.OPERATIONS)
    roles = aws["iam"].list_roles(PathPrefix="/aws-service-role/")["Roles"]
    assert [r["RoleName"] for r in roles] == ["AWSServiceRoleForAutoScaling"]
    index.on_event(event("Delete", aws["key"], created["PhysicalResourceId"]), kms=aws["kms"], iam=aws["iam"])
    assert aws["kms"].list_grants(KeyId=aws["key"])["Grants"] == []


def test_an_existing_service_linked_role_is_not_an_error() -> None:
    iam = boto3.client("iam", region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
    with Stubber(iam) as stubber:
        stubber.add_client_error(
            "create_service_linked_role",
            service_error_code="InvalidInput",
            service_message="Service role name AWSServiceRoleForAutoScaling has been taken in this account",
        )
        index.ensure_service_linked_role(iam)
        stubber.add_client_error("create_service_linked_role", service_error_code="AccessDenied")
        with pytest.raises(ClientError):
            index.ensure_service_linked_role(iam)


def test_deleting_a_grant_that_is_gone_succeeds() -> None:
    kms = boto3.client("kms", region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
    grant_id = "0c237476b39f8bc44e45212e08498fbe3151305030726c0590dd8d3e9f3d6a60"
    with Stubber(kms) as stubber:
        stubber.add_client_error("retire_grant", service_error_code="NotFoundException")
        result = index.on_event(event("Delete", OWNER_KEY, grant_id), kms=kms)
    assert result == {"PhysicalResourceId": grant_id}
