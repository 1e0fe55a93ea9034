"""The deploy-readiness rules (IMM-DEP1..5) on plain templates, and on the frozen reference template.

tests/data/reference-2026-11-29/ImmutableReference.template.json is app.py as synthesized from
main on 2026-11-29, before the first deploy-readiness fixes: the review found that its first deploy or first
image build would fail. The rules must flag each of those findings in it. The coverage gaps
of IMM-SEC3 and IMM-SSH2 found against other checkers' fixtures are tested here too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from immutable_constructs.nag import ImmutableInfrastructureChecks
from immutable_constructs.nag.rules import custom_resource_timeout

PACK = ImmutableInfrastructureChecks()
REFERENCE = Path(__file__).parent.parent / "data" / "reference-2026-11-29" / "ImmutableReference.template.json"
ACCOUNT = {"Ref": "AWS::AccountId"}
PARTITION = {"Ref": "AWS::Partition"}
AUTO_SCALING_ROLE = {
    "Fn::Join": [
        "",
        ["arn:", PARTITION, ":iam::", ACCOUNT, ":role/aws-service-role/autoscaling.amazonaws.com/",
         "AWSServiceRoleForAutoScaling"],
    ]
}  # fmt: skip
KEY_USE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


def findings(resources: dict[str, Any], **body: Any) -> dict[str, list[tuple[str, str]]]:
    """Logical id -> [(rule id, message)] for one template."""
    found: dict[str, list[tuple[str, str]]] = {}
    for f in PACK.check_template({"Resources": resources, **body}):
        found.setdefault(str(f.logical_id), []).append((f.rule_id, f.message))
    return found


def rules(resources: dict[str, Any], **body: Any) -> dict[str, set[str]]:
    return {k: {rule for rule, _ in v} for k, v in findings(resources, **body).items()}


# -- the frozen reference template -----------------------------------------------------------------


@pytest.fixture(scope="module")
def reference() -> dict[str, list[tuple[str, str]]]:
    return findings(json.loads(REFERENCE.read_text())["Resources"])


def test_finding_1_pipeline_without_execution_role(reference: dict[str, list[tuple[str, str]]]) -> None:
    (message,) = [m for rule, m in reference["WebImagePipeline4EC4E3DC"] if rule == "IMM-DEP3"]
    assert "/images/web/candidate" in message and "/imagebuilder/*" in message


def test_finding_2_image_key_without_auto_scaling_grant(reference: dict[str, list[tuple[str, str]]]) -> None:
    (message,) = [m for rule, m in reference["WebImageKey9EBBD1DA"] if rule == "IMM-DEP1"]
    assert "image recipe WebImageRecipe0513066A" in message and "kms:CreateGrant" in message


def test_finding_3_fleet_events_key_names_the_service_linked_role(
    reference: dict[str, list[tuple[str, str]]],
) -> None:
    (message,) = [m for rule, m in reference["FleetEventsKey6E7985E5"] if rule == "IMM-DEP2"]
    assert "autoscaling.amazonaws.com" in message and "MalformedPolicyDocumentException" in message


def test_finding_5_fleet_pins_a_parameter_the_stack_writes(reference: dict[str, list[tuple[str, str]]]) -> None:
    (message,) = [m for rule, m in reference["WebFleetLaunchTemplate44761960"] if rule == "IMM-DEP4"]
    assert "{{resolve:ssm:/images/web/stable:1}}" in message and "WebImagePromotionPolicy" in message


def test_finding_8_waiter_as_long_as_cloudformation(reference: dict[str, list[tuple[str, str]]]) -> None:
    (message,) = [m for rule, m in reference["ApiFleetDeployment0298288C"] if rule == "IMM-DEP5"]
    assert "120 attempts 30 s apart = 3600 s" in message


def test_reference_template_has_no_other_deploy_findings(reference: dict[str, list[tuple[str, str]]]) -> None:
    deploy = {(k, r) for k, v in reference.items() for r, _ in v if r.startswith("IMM-DEP")}
    assert deploy == {
        ("WebImagePipeline4EC4E3DC", "IMM-DEP3"),
        ("WebImageKey9EBBD1DA", "IMM-DEP1"),
        ("FleetEventsKey6E7985E5", "IMM-DEP2"),
        ("WebFleetLaunchTemplate44761960", "IMM-DEP4"),
        ("ApiFleetDeployment0298288C", "IMM-DEP5"),
    }
    # The ApiFleet pin of /images/api/stable is not written by this stack: not this rule's business.
    assert "ApiFleetLaunchTemplateEDA20242" not in reference


# -- IMM-DEP1 ------------------------------------------------------------------------------------


def key(*statements: dict[str, Any]) -> dict[str, Any]:
    root = {"Effect": "Allow", "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
            "Action": "kms:*", "Resource": "*"}  # fmt: skip
    return {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [root, *statements]}}}


def template_using(key_id: Any) -> dict[str, Any]:
    ebs = {"Encrypted": True, "KmsKeyId": key_id}
    return {
        "Type": "AWS::EC2::LaunchTemplate",
        "Properties": {"LaunchTemplateData": {"BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": ebs}]}},
    }


def allow(principal: Any, actions: list[str], condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": principal, "Action": actions, "Resource": "*"}
    return statement | ({"Condition": condition} if condition else {})


GRANT = {"Bool": {"kms:GrantIsForAWSResource": "true"}}


@pytest.mark.parametrize(
    ("statements", "reported"),
    [
        ([], True),
        ([allow({"AWS": AUTO_SCALING_ROLE}, KEY_USE)], True),  # no kms:CreateGrant
        ([allow({"AWS": AUTO_SCALING_ROLE}, KEY_USE), allow({"AWS": AUTO_SCALING_ROLE}, ["kms:CreateGrant"], GRANT)],
         False),
        ([allow({"AWS": [AUTO_SCALING_ROLE]}, ["kms:*"])], False),
        ([allow("*", [*KEY_USE, "kms:CreateGrant"],
                {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/aws-service-role/autoscaling.amazonaws.com/*"}})],
         False),
        ([allow({"AWS": "*"}, [*KEY_USE, "kms:CreateGrant"], {"ArnEquals": {"aws:PrincipalArn": AUTO_SCALING_ROLE}})],
         False),
        # a wildcard principal narrowed to another role does not cover Auto Scaling
        ([allow("*", [*KEY_USE, "kms:CreateGrant"], {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::1:role/app"}})],
         True),
        # a Deny naming the role grants nothing
        ([{"Effect": "Deny", "Principal": {"AWS": AUTO_SCALING_ROLE}, "Action": "kms:*", "Resource": "*"}], True),
    ],
)  # fmt: skip
def test_auto_scaling_grant_forms(statements: list[dict[str, Any]], reported: bool) -> None:
    resources = {"Key": key(*statements), "Template": template_using({"Fn::GetAtt": ["Key", "Arn"]})}
    assert ("IMM-DEP1" in rules(resources).get("Key", set())) is reported


def test_key_named_through_an_alias_and_by_ref() -> None:
    resources = {
        "Key": key(),
        "Other": key(),
        "Alias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": "alias/volumes", "TargetKeyId": {"Ref": "Key"}},
        },
        "ByAlias": template_using("alias/volumes"),
        "ByRef": template_using({"Ref": "Other"}),
    }
    found = rules(resources)
    assert "IMM-DEP1" in found["Key"] and "IMM-DEP1" in found["Other"]


def test_recipe_key_counts_only_where_the_template_launches_instances() -> None:
    recipe = {
        "Type": "AWS::ImageBuilder::ImageRecipe",
        "Properties": {"BlockDeviceMappings": [{"Ebs": {"Encrypted": True, "KmsKeyId": {"Ref": "Key"}}}]},
    }
    assert rules({"Key": key(), "Recipe": recipe}) == {}
    group = {"Type": "AWS::AutoScaling::AutoScalingGroup",
             "Properties": {"MinSize": "1", "MaxSize": "1", "MaxInstanceLifetime": 86400},
             "UpdatePolicy": {"AutoScalingRollingUpdate": {}}}  # fmt: skip
    assert rules({"Key": key(), "Recipe": recipe, "Group": group}) == {"Key": {"IMM-DEP1"}}


def test_key_that_encrypts_nothing_launched_is_not_judged() -> None:
    assert rules({"Key": key()}) == {}


# -- IMM-DEP2 ------------------------------------------------------------------------------------


def service_linked_role(service: str = "autoscaling.amazonaws.com") -> dict[str, Any]:
    return {"Type": "AWS::IAM::ServiceLinkedRole", "Properties": {"AWSServiceName": service}}


def test_service_linked_role_created_and_waited_for() -> None:
    named = key(allow({"AWS": AUTO_SCALING_ROLE}, ["kms:Decrypt"]))
    assert "IMM-DEP2" in rules({"Key": named})["Key"]
    message = findings({"Key": named, "Role": service_linked_role()})["Key"][0][1]
    assert "creates it (Role) but this resource does not DependsOn it" in message
    assert rules({"Key": named | {"DependsOn": ["Role"]}, "Role": service_linked_role()}) == {}
    assert rules({"Key": named | {"DependsOn": "Role"}, "Role": service_linked_role()}) == {}
    # a role for another service does not help
    other = service_linked_role("elasticloadbalancing.amazonaws.com")
    assert "IMM-DEP2" in rules({"Key": named | {"DependsOn": "Role"}, "Role": other})["Key"]


def test_condition_form_names_no_principal() -> None:
    condition = {"ArnEquals": {"aws:PrincipalArn": AUTO_SCALING_ROLE}}
    assert rules({"Key": key(allow("*", ["kms:Decrypt"], condition))}) == {}


def test_resource_policies_of_other_services() -> None:
    role = "arn:aws:iam::123456789012:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM"
    document = {"Statement": [allow({"AWS": role}, ["s3:GetObject"])]}
    resources = {
        "Bucket": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": "b", "PolicyDocument": document}},
        "Queue": {"Type": "AWS::SQS::QueuePolicy", "Properties": {"Queues": ["q"], "PolicyDocument": document}},
        "Plain": {"Type": "AWS::SQS::QueuePolicy", "Properties": {"Queues": ["q"], "PolicyDocument": {
            "Statement": [allow({"AWS": "arn:aws:iam::123456789012:role/app"}, ["sqs:SendMessage"])]}}},
    }  # fmt: skip
    found = findings(resources)
    assert set(found) == {"Bucket", "Queue"}
    assert "Properties.PolicyDocument.Statement.0.Principal.AWS" in found["Bucket"][0][1]


# -- IMM-DEP3 ------------------------------------------------------------------------------------


def distribution(*names: str) -> dict[str, Any]:
    return {
        "Type": "AWS::ImageBuilder::DistributionConfiguration",
        "Properties": {"Distributions": [{"Region": "us-east-1", "SsmParameterConfigurations": [
            {"ParameterName": n, "DataType": "aws:ec2:image"} for n in names]}]},
    }  # fmt: skip


def pipeline(role: Any = None) -> dict[str, Any]:
    properties = {"DistributionConfigurationArn": {"Fn::GetAtt": ["Distribution", "Arn"]}}
    return {
        "Type": "AWS::ImageBuilder::ImagePipeline",
        "Properties": properties | ({"ExecutionRole": role} if role else {}),
    }


def role(**properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}, **properties}}


def put(resource: Any) -> dict[str, Any]:
    return {
        "Statement": [{"Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:PutParameter"], "Resource": resource}]
    }


@pytest.mark.parametrize(
    ("extra", "execution_role", "reported"),
    [
        ({}, None, True),
        ({"Role": role()}, {"Fn::GetAtt": ["Role", "Arn"]}, True),
        ({"Role": role(Policies=[{"PolicyName": "p", "PolicyDocument": put("arn:aws:ssm:*:*:parameter/images/*")}])},
         {"Fn::GetAtt": ["Role", "Arn"]}, False),
        ({"Role": role(), "Policy": {"Type": "AWS::IAM::Policy", "Properties": {
            "Roles": [{"Ref": "Role"}], "PolicyDocument": put({"Fn::Sub": "arn:aws:ssm:${AWS::Region}:"
                                                                          "${AWS::AccountId}:parameter/images/web/candidate"})}}},
         {"Fn::GetAtt": ["Role", "Arn"]}, False),
        ({"Role": role(ManagedPolicyArns=[{"Ref": "Managed"}]), "Managed": {"Type": "AWS::IAM::ManagedPolicy",
            "Properties": {"PolicyDocument": put("arn:aws:ssm:us-east-1:1:parameter/images/api/candidate")}}},
         {"Fn::GetAtt": ["Role", "Arn"]}, True),
        # policies the template cannot show: not judged
        ({"Role": role(ManagedPolicyArns=["arn:aws:iam::aws:policy/AdministratorAccess"])},
         {"Fn::GetAtt": ["Role", "Arn"]}, False),
        ({}, "arn:aws:iam::123456789012:role/imagebuilder", False),
    ],
)  # fmt: skip
def test_execution_role_may_write_the_parameter(extra: dict[str, Any], execution_role: Any, reported: bool) -> None:
    resources = {"Distribution": distribution("/images/web/candidate"), "Pipeline": pipeline(execution_role), **extra}
    assert ("IMM-DEP3" in rules(resources).get("Pipeline", set())) is reported


def test_service_linked_role_may_write_imagebuilder_parameters() -> None:
    resources = {"Distribution": distribution("/imagebuilder/web/latest"), "Pipeline": pipeline()}
    assert rules(resources) == {}
    resources["Distribution"] = distribution("/imagebuilder/web/latest", "/images/web/candidate")
    (message,) = [m for _, m in findings(resources)["Pipeline"]]
    assert "/images/web/candidate" in message and "/imagebuilder/web/latest," not in message


# -- IMM-DEP4 ------------------------------------------------------------------------------------


def pinned(image_id: str) -> dict[str, Any]:
    return {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {"ImageId": image_id}}}


@pytest.mark.parametrize(
    ("reference", "reported"),
    [
        ("{{resolve:ssm:/images/web/candidate:1}}", True),
        ("{{resolve:ssm:/images/web/candidate}}", True),
        ("{{resolve:ssm:arn:aws:ssm:us-east-1:123456789012:parameter/images/web/candidate:4}}", True),
        ("{{resolve:ssm:/images/web/stable:1}}", True),  # the promotion role below may write it
        ("{{resolve:ssm:/images/api/stable:1}}", False),
        ("ami-0123456789abcdef0", False),
    ],
)
def test_pins_of_parameters_the_template_writes(reference: str, reported: bool) -> None:
    promotion = {
        "Type": "AWS::IAM::Policy",
        "Properties": {"Roles": ["r"], "PolicyDocument": put({"Fn::Join": ["", [
            "arn:", PARTITION, ":ssm:us-east-1:", ACCOUNT, ":parameter/images/web/stable"]]})},
    }  # fmt: skip
    resources = {"Distribution": distribution("/images/web/candidate"), "Promotion": promotion, "T": pinned(reference)}
    assert ("IMM-DEP4" in rules(resources).get("T", set())) is reported


def test_any_resource_and_any_property_is_read() -> None:
    document = {"Type": "AWS::SSM::Document", "Properties": {"Content": {"mainSteps": [
        {"inputs": {"ImageId": "{{resolve:ssm:/images/web/candidate:2}}"}}]}}}  # fmt: skip
    found = findings({"Distribution": distribution("/images/web/candidate"), "Doc": document})
    (message,) = [m for _, m in found["Doc"]]
    assert "Properties.Content.mainSteps.0.inputs.ImageId" in message


def test_a_policy_that_may_write_every_parameter_names_none() -> None:
    admin = {"Type": "AWS::IAM::Policy", "Properties": {"Roles": ["r"], "PolicyDocument": put("*")}}
    found = rules({"Admin": admin, "T": pinned("{{resolve:ssm:/images/web/stable:1}}")})
    assert "IMM-DEP4" not in found.get("T", set())


# -- IMM-DEP5 ------------------------------------------------------------------------------------


def provider_template(retry: dict[str, Any], **custom: Any) -> dict[str, Any]:
    definition = {"StartAt": "poll", "States": {"poll": {"Type": "Task", "Resource": "x", "End": True,
                                                          "Retry": [retry]}}}  # fmt: skip
    body = json.dumps(definition).replace('"x"', '"PLACEHOLDER"')
    before, after = body.split("PLACEHOLDER")
    return {
        "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "DefinitionString": {"Fn::Join": ["", [before, {"Fn::GetAtt": ["IsComplete", "Arn"]}, after]]}}},
        "OnEvent": {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": {
            "WAITER_STATE_MACHINE_ARN": {"Ref": "Machine"}}}}},
        "Resource": {"Type": "Custom::Thing", "Properties": {"ServiceToken": {"Fn::GetAtt": ["OnEvent", "Arn"]},
                                                             **custom}},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("retry", "custom", "reported"),
    [
        ({"IntervalSeconds": 30, "MaxAttempts": 120, "BackoffRate": 1}, {}, True),
        ({"IntervalSeconds": 30, "MaxAttempts": 100, "BackoffRate": 1}, {}, False),
        ({"IntervalSeconds": 5, "MaxAttempts": 360, "BackoffRate": 1}, {}, False),  # the CDK default: 30 minutes
        ({"IntervalSeconds": 5, "MaxAttempts": 360, "BackoffRate": 1}, {"ServiceTimeout": "600"}, True),
        ({"IntervalSeconds": 10, "MaxAttempts": 10, "BackoffRate": 2}, {}, True),  # 10 x (2^10 - 1) s
        ({"IntervalSeconds": 10, "MaxAttempts": 10, "BackoffRate": 2, "MaxDelaySeconds": 60}, {}, False),
    ],
)
def test_waiter_against_the_custom_resource_timeout(
    retry: dict[str, Any], custom: dict[str, Any], reported: bool
) -> None:
    assert ("IMM-DEP5" in rules(provider_template(retry, **custom)).get("Resource", set())) is reported


def test_waiter_seconds_follow_step_functions_retry_semantics() -> None:
    definition = {"States": {
        "a": {"Type": "Task", "Retry": [{"IntervalSeconds": 3, "MaxAttempts": 3, "BackoffRate": 2}]},  # 3 + 6 + 12
        "b": {"Type": "Task", "Retry": [{}]},  # defaults: 1 s, 3 attempts, backoff 2: 1 + 2 + 4
        "c": {"Type": "Wait", "Seconds": 100},
    }}  # fmt: skip
    seconds, parts = custom_resource_timeout.waiter_seconds(definition, 3600)
    assert seconds == 21 + 7 + 100
    assert len(parts) == 3


def test_custom_resource_without_a_waiter_is_not_judged() -> None:
    resources = {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
        "R": {
            "Type": "AWS::CloudFormation::CustomResource",
            "Properties": {"ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}},
        },
    }
    assert rules(resources) == {}


# -- IMM-SEC3 and IMM-SSH2 coverage gaps ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reported"),
    [("123123", True), (123123, True), (12345678901, True), ("1234", False), (True, False), ("{{resolve:x}}", False)],
)
def test_all_digit_secrets_in_container_environments(value: Any, reported: bool) -> None:
    task = {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [
        {"Image": "app:1.0.0", "Environment": [{"Name": "PASSWORD", "Value": value}]}]}}  # fmt: skip
    assert ("IMM-SEC3" in rules({"T": task}).get("T", set())) is reported


def test_numbers_that_measure_a_secret_are_not_secrets() -> None:
    function = {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": {
        "TOKEN_TTL": 86400, "SESSION_TOKEN_TIMEOUT": "3600000", "SECRET_ROTATION_DAYS": "900000"}}}}  # fmt: skip
    assert rules({"F": function}) == {}


def test_sam_functions_and_globals() -> None:
    function = {"Type": "AWS::Serverless::Function", "Properties": {"Environment": {"Variables": {
        "DB_PASSWORD": "hunter2hunter2", "API_TOKEN": "{{resolve:secretsmanager:api}}"}}}}  # fmt: skip
    globals_ = {
        "Function": {"Environment": {"Variables": {"API_TOKEN": "abcd1234efgh", "STRIPE_SECRET": 424242424242}}}
    }
    found = PACK.check_template({"Resources": {"F": function, "Plain": {"Type": "AWS::Serverless::Function"}},
                                 "Globals": globals_})  # fmt: skip
    where = sorted((f.logical_id, f.location) for f in found)
    assert where == [
        ("F", "Globals.Function.Environment.Variables.STRIPE_SECRET"),  # API_TOKEN is overridden by F
        ("F", "Properties.Environment.Variables.DB_PASSWORD"),
        ("Plain", "Globals.Function.Environment.Variables.API_TOKEN"),
        ("Plain", "Globals.Function.Environment.Variables.STRIPE_SECRET"),
    ]
    assert all(f.rule_id == "IMM-SEC3" and "hunter2" not in f.message for f in found)


def test_eks_node_group_ssh_key() -> None:
    group = {"Type": "AWS::EKS::Nodegroup", "Properties": {"ClusterName": "c", "NodeRole": "r", "Subnets": ["s"]}}
    assert rules({"G": group}) == {}
    group["Properties"]["RemoteAccess"] = {"Ec2SshKey": "ops", "SourceSecurityGroups": ["sg-1"]}
    (finding,) = PACK.check_template({"Resources": {"G": group}})
    assert (finding.rule_id, finding.location) == ("IMM-SSH2", "Properties.RemoteAccess.Ec2SshKey")


def test_a_retry_known_only_at_deploy_time_is_not_guessed() -> None:
    definition = {"States": {"a": {"Type": "Task", "Retry": [{"MaxAttempts": {"Ref": "Attempts"}}]}}}
    assert custom_resource_timeout.waiter_seconds(definition, 3600) == (0.0, [])
