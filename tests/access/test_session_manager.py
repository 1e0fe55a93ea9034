"""Tests for immutable_constructs.access.SessionManagerAccess.

Synthesis is the slow part, so every template assertion reads one of three stacks built once
per module in a single app (``Isolated``, ``Nat``, ``Opt``); cdk-nag gets its own app because
rule packs are registered per app. Validation tests only construct, they never synthesize.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import Acknowledgment, App, CfnParameter, Duration, Names, Stack, Validations
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import lint
from constructs import Construct

from immutable_constructs.access import SessionManagerAccess, SessionTarget
from immutable_constructs.errors import ValidationError

from ..conftest import ROOT, logical_id, only, resources_of

ACCESS_TAG_KEY = "immutable-constructs:session-access"
FLEET_TAG_KEY = "immutable-constructs:fleet"
IMPORTED_KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


class FakeFleet(Construct):
    """The SessionTarget contract: an instance role and a tag every instance carries.

    With ``with_asg`` it also holds a launch template and an auto scaling group, so tags
    propagated at launch can be asserted.
    """

    def __init__(self, scope: Construct, id: str, *, vpc: ec2.IVpc | None = None) -> None:
        super().__init__(scope, id)
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
        if vpc is not None:
            template = ec2.LaunchTemplate(
                self,
                "LaunchTemplate",
                machine_image=ec2.MachineImage.latest_amazon_linux2023(),
                instance_type=ec2.InstanceType("t3.micro"),
                role=self.role,
            )
            self.asg = autoscaling.CfnAutoScalingGroup(
                self,
                "Asg",
                min_size="0",
                max_size="1",
                launch_template=autoscaling.CfnAutoScalingGroup.LaunchTemplateSpecificationProperty(
                    launch_template_id=template.launch_template_id, version=template.latest_version_number
                ),
                vpc_zone_identifier=vpc.select_subnets().subnet_ids,
            )

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self.role

    @property
    def instance_tag(self) -> tuple[str, str]:
        return (FLEET_TAG_KEY, Names.unique_id(self))


def isolated_vpc(scope: Construct) -> ec2.Vpc:
    return ec2.Vpc(
        scope,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )


@dataclass
class Built:
    isolated: Stack
    nat: Stack
    opt: Stack
    access: SessionManagerAccess
    opt_access: SessionManagerAccess
    fleet: FakeFleet
    templates: dict[str, dict[str, Any]]

    def template(self, name: str) -> Template:
        return Template.from_json(self.templates[name])


@pytest.fixture(scope="module")
def built() -> Built:
    app = App()

    isolated = Stack(app, "Isolated")
    vpc = isolated_vpc(isolated)
    access = SessionManagerAccess(isolated, "Sessions", vpc=vpc)
    fleet = FakeFleet(isolated, "Fleet", vpc=vpc)
    access.add_fleet(fleet)
    operator = iam.Role(isolated, "Operator", assumed_by=iam.AccountRootPrincipal())
    access.grant_start_session(operator)
    fleet_operator = iam.Role(isolated, "FleetOperator", assumed_by=iam.AccountRootPrincipal())
    access.grant_start_session(fleet_operator, fleet=fleet)  # adds the fleet again: must be a no-op

    nat = Stack(app, "Nat")
    SessionManagerAccess(nat, "Sessions", vpc=ec2.Vpc(nat, "Vpc", max_azs=2, nat_gateways=1))

    opt = Stack(app, "Opt")
    opt_access = SessionManagerAccess(
        opt,
        "Sessions",
        vpc=isolated_vpc(opt),
        legacy_agent_endpoints=True,
        use_account_default_document=True,
        log_to_s3=False,
        encryption_key=kms.Key.from_key_arn(opt, "ImportedKey", IMPORTED_KEY_ARN),
        log_retention=logs.RetentionDays.THREE_MONTHS,
        idle_session_timeout=Duration.minutes(5),
        max_session_duration=Duration.hours(2),
        run_as_user="ec2-user",
        shell_profile_linux="cd ~ && bash",
    )

    assembly = app.synth()
    templates = {name: assembly.get_stack_by_name(name).template for name in ("Isolated", "Nat", "Opt")}
    return Built(isolated, nat, opt, access, opt_access, fleet, templates)


def endpoint_services(template: dict[str, Any]) -> dict[str, str]:
    """``{service suffix: VpcEndpointType}``, e.g. ``{"ssm": "Interface", "s3": "Gateway"}``."""
    services: dict[str, str] = {}
    for endpoint in resources_of(template, "AWS::EC2::VPCEndpoint").values():
        name = endpoint["Properties"]["ServiceName"]
        suffix = name["Fn::Join"][1][-1] if isinstance(name, dict) else name
        services[suffix.rsplit(".", 1)[-1]] = endpoint["Properties"].get("VpcEndpointType", "Gateway")
    return services


def policy_documents(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield logical, props["PolicyDocument"]
        if resource["Type"] == "AWS::IAM::Role":
            for inline in props.get("Policies", []):
                yield logical, inline["PolicyDocument"]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def actions_of(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def document_inputs(template: dict[str, Any]) -> dict[str, Any]:
    document = only(template, "AWS::SSM::Document", "SessionsDocument")
    inputs: dict[str, Any] = document["Properties"]["Content"]["inputs"]
    return inputs


# -- what gets created ------------------------------------------------------------------


def test_document_is_a_logged_encrypted_session_document(built: Built) -> None:
    template = built.templates["Isolated"]
    document = only(template, "AWS::SSM::Document", "SessionsDocument")
    props = document["Properties"]
    assert props["DocumentType"] == "Session"
    assert props["UpdateMethod"] == "NewVersion"
    assert "Name" not in props  # CloudFormation names it; the account default is opt-in
    content = props["Content"]
    assert content["schemaVersion"] == "1.0"
    assert content["sessionType"] == "Standard_Stream"

    stack = built.isolated
    inputs = content["inputs"]
    assert inputs["s3EncryptionEnabled"] is True
    assert inputs["cloudWatchEncryptionEnabled"] is True
    assert inputs["cloudWatchStreamingEnabled"] is True
    assert inputs["kmsKeyId"] == {"Ref": logical_id(stack, built.access.key)}
    assert inputs["s3BucketName"] == {"Ref": logical_id(stack, built.access.bucket)}
    assert inputs["s3KeyPrefix"] == "sessions/"
    assert inputs["cloudWatchLogGroupName"] == {"Ref": logical_id(stack, built.access.log_group)}
    assert inputs["idleSessionTimeout"] == "20"
    assert inputs["maxSessionDuration"] == "60"
    # issue 28: sessions run as a user without sudo by default, not as the agent's ssm-user
    assert inputs["runAsEnabled"] is True
    assert inputs["runAsDefaultUser"] == "session-user"


def test_session_log_bucket_is_encrypted_versioned_private_ssl_only_and_retained(built: Built) -> None:
    stack = built.isolated
    template = built.templates["Isolated"]
    bucket_id = logical_id(stack, built.access.bucket)
    key_id = logical_id(stack, built.access.key)
    bucket = template["Resources"][bucket_id]
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {
            "BucketKeyEnabled": True,
            "ServerSideEncryptionByDefault": {
                "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
                "SSEAlgorithm": "aws:kms",
            },
        }
    ]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert props["LifecycleConfiguration"]["Rules"][0]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 365}
    assert "ExpirationInDays" not in props["LifecycleConfiguration"]["Rules"][0]  # audit logs never expire

    access_log_id = props["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    access_log = template["Resources"][access_log_id]
    assert access_log["DeletionPolicy"] == "Retain"
    assert access_log["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert access_log["Properties"]["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True

    ssl_only = {
        "Action": "s3:*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
    }
    policies = resources_of(template, "AWS::S3::BucketPolicy")
    for target in (bucket_id, access_log_id):
        statements = next(
            p["Properties"]["PolicyDocument"]["Statement"]
            for p in policies.values()
            if p["Properties"]["Bucket"] == {"Ref": target}
        )
        assert any(ssl_only.items() <= s.items() for s in statements), target


def test_log_group_is_encrypted_retained_for_one_year(built: Built) -> None:
    stack = built.isolated
    group = only(built.templates["Isolated"], "AWS::Logs::LogGroup", "SessionsLogGroup")
    assert group["DeletionPolicy"] == "Retain"
    assert group["Properties"]["RetentionInDays"] == 365
    assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [logical_id(stack, built.access.key), "Arn"]}


def test_key_rotates_is_retained_and_lets_cloudwatch_logs_use_it(built: Built) -> None:
    key = only(built.templates["Isolated"], "AWS::KMS::Key", "Sessions")  # not the stack's alarm topic key
    assert key["DeletionPolicy"] == "Retain"
    assert key["Properties"]["EnableKeyRotation"] is True
    logs_statement = next(s for s in key["Properties"]["KeyPolicy"]["Statement"] if "Service" in s["Principal"])
    assert logs_statement["Principal"]["Service"] == {
        "Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]
    }
    # issue 28: every action for the session log group only (its name is set, so its ARN is known)
    group = only(built.templates["Isolated"], "AWS::Logs::LogGroup", "SessionsLogGroup")
    name = group["Properties"]["LogGroupName"]
    assert name["Fn::Join"][1][:2] == ["/immutable-constructs/sessions/", {"Ref": "AWS::StackName"}]
    # ... and each added fleet's group below it: the condition names exactly the session log groups of the stack
    named = logs_statement["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    groups = [
        g["Properties"]["LogGroupName"]["Fn::Join"][1]
        for g in resources_of(built.templates["Isolated"], "AWS::Logs::LogGroup").values()
        if "/immutable-constructs/sessions/" in str(g["Properties"].get("LogGroupName"))
    ]
    assert len(groups) == 2  # the construct's own and the one fleet's
    assert sorted(str(arn["Fn::Join"][1][7:]) for arn in named) == sorted(str(parts[1:]) for parts in groups)
    assert all(arn["Fn::Join"][1][6] == ":log-group:/immutable-constructs/sessions/" for arn in named)
    # other log groups of the account: read only (those encrypted before the scoping stay readable)
    earlier = next(
        s for s in key["Properties"]["KeyPolicy"]["Statement"] if s.get("Sid") == "CloudWatchLogsReadsEarlierLogGroups"
    )
    assert earlier["Action"] == ["kms:Decrypt*", "kms:Describe*"]


def test_endpoints_are_created_for_an_isolated_only_vpc(built: Built) -> None:
    template = built.templates["Isolated"]
    assert endpoint_services(template) == {
        "ssm": "Interface",
        "ssmmessages": "Interface",
        "kms": "Interface",
        "logs": "Interface",
        "s3": "Gateway",
    }
    for endpoint in resources_of(template, "AWS::EC2::VPCEndpoint").values():
        if endpoint["Properties"].get("VpcEndpointType") == "Interface":
            assert endpoint["Properties"]["PrivateDnsEnabled"] is True
    assert len(built.access.endpoints) == 5


def test_no_endpoints_for_a_vpc_with_nat(built: Built) -> None:
    assert resources_of(built.templates["Nat"], "AWS::EC2::VPCEndpoint") == {}


def test_ec2messages_endpoint_only_with_the_opt_in(built: Built) -> None:
    assert "ec2messages" not in endpoint_services(built.templates["Isolated"])
    opt = endpoint_services(built.templates["Opt"])
    assert opt["ec2messages"] == "Interface"
    assert "s3" not in opt  # log_to_s3=False: no gateway endpoint either


def test_no_ssh_or_rdp_ingress_anywhere(built: Built) -> None:
    for name, template in built.templates.items():
        rules: list[dict[str, Any]] = []
        for group in resources_of(template, "AWS::EC2::SecurityGroup").values():
            rules.extend(group["Properties"].get("SecurityGroupIngress", []))
        rules.extend(r["Properties"] for r in resources_of(template, "AWS::EC2::SecurityGroupIngress").values())
        for rule in rules:
            assert rule["IpProtocol"] != "-1", (name, rule)
            for port in (22, 3389):
                assert not rule["FromPort"] <= port <= rule["ToPort"], (name, rule)
            assert (rule["FromPort"], rule["ToPort"]) == (443, 443), (name, rule)


def test_start_session_output_is_the_cli_command(built: Built) -> None:
    stack = built.isolated
    outputs = built.templates["Isolated"]["Outputs"]
    (output,) = (o for k, o in outputs.items() if k.startswith("SessionsStartSessionCommand"))
    document_id = str(stack.resolve(built.access.document.logical_id))
    assert output["Value"] == {
        "Fn::Join": ["", ["aws ssm start-session --target <instance-id> --document-name ", {"Ref": document_id}]]
    }
    assert built.opt_access.start_session_command("i-0123456789abcdef0") == (
        "aws ssm start-session --target i-0123456789abcdef0 --document-name SSM-SessionManagerRunShell"
    )


# -- grants ------------------------------------------------------------------------------


def operator_statements(built: Built, role: str) -> list[dict[str, Any]]:
    template = built.templates["Isolated"]
    role_id = next(k for k in resources_of(template, "AWS::IAM::Role") if k.startswith(role))
    statements: list[dict[str, Any]] = []
    for policy in resources_of(template, "AWS::IAM::ManagedPolicy").values():
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


@pytest.mark.parametrize(
    ("role", "tag_key", "tag_value"),
    [
        ("Operator", ACCESS_TAG_KEY, "access"),
        ("FleetOperator", FLEET_TAG_KEY, "fleet"),
    ],
)
def test_grant_start_session_is_limited_to_tagged_instances_and_this_document(
    built: Built, role: str, tag_key: str, tag_value: str
) -> None:
    expected_value = built.access.access_tag[1] if tag_value == "access" else built.fleet.instance_tag[1]
    statements = operator_statements(built, role)
    start = [s for s in statements if "ssm:StartSession" in actions_of(s)]
    assert len(start) == 2
    document_check = {"ssm:SessionDocumentAccessCheck": "true"}
    on_instances = next(s for s in start if "instance/*" in json.dumps(s["Resource"]))
    assert on_instances["Condition"] == {
        "StringEquals": {f"ssm:resourceTag/{tag_key}": expected_value},
        "BoolIfExists": document_check,
    }
    on_document = next(s for s in start if s is not on_instances)
    shared = str(built.isolated.resolve(built.access.document.logical_id))
    (fleet_logging,) = built.access.fleet_logging.values()
    own = str(built.isolated.resolve(fleet_logging.document.logical_id))
    named = [r["Fn::Join"][1][-1] for r in _listed(on_document["Resource"])]
    # a fleet's operators: its own document only; the access tag's: the shared one and every fleet's (issue 28)
    assert named == ([{"Ref": own}] if tag_value == "fleet" else [{"Ref": shared}, {"Ref": own}])
    assert on_document["Condition"] == {"BoolIfExists": document_check}

    own_sessions = next(s for s in statements if "ssm:TerminateSession" in actions_of(s))
    assert own_sessions["Condition"] == {"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"}}
    encrypt = next(s for s in statements if "kms:GenerateDataKey" in actions_of(s))
    assert actions_of(encrypt) == ["kms:GenerateDataKey"]
    assert encrypt["Resource"] == {"Fn::GetAtt": [logical_id(built.isolated, built.access.key), "Arn"]}


def test_start_session_is_never_allowed_on_everything(built: Built) -> None:
    seen = 0
    for name, template in built.templates.items():
        for _logical, document in policy_documents(template):
            for statement in document["Statement"]:
                actions = actions_of(statement)
                if not any(a in ("ssm:StartSession", "ssm:*", "*") for a in actions):
                    continue
                seen += 1
                assert "ssm:*" not in actions and "*" not in actions, (name, statement)
                resources = (
                    statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                )
                assert "*" not in resources, (name, statement)
                if any("instance/*" in json.dumps(r) for r in resources):
                    assert any(k.startswith("ssm:resourceTag/") for k in statement["Condition"]["StringEquals"])
    assert seen == 4  # two grants x (tagged instances, this document)


def test_add_fleet_grants_the_role_exactly_the_logging_permissions(built: Built) -> None:
    stack = built.isolated
    template = built.templates["Isolated"]
    role_id = logical_id(stack, built.fleet.role)
    bucket_id = logical_id(stack, built.access.bucket)
    key_id = logical_id(stack, built.access.key)
    (fleet_group,) = [f.log_group for f in built.access.fleet_logging.values()]
    assert fleet_group is not None and fleet_group is not built.access.log_group
    group_id = logical_id(stack, fleet_group)  # the fleet's own session log group, not the construct's
    attached = [
        p["Properties"]
        for p in resources_of(template, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": role_id} in p["Properties"].get("Roles", [])
    ]
    assert len(attached) == 1
    assert attached[0]["Roles"] == [{"Ref": role_id}]  # add_fleet twice attached it once
    granted = {tuple(actions_of(s)): s["Resource"] for s in attached[0]["PolicyDocument"]["Statement"]}
    # issue 28: under the fleet's own prefix only, which its own document names
    prefix = f"sessions/{Names.unique_id(built.fleet)}/"
    (fleet_logging,) = built.access.fleet_logging.values()
    assert fleet_logging.prefix == prefix
    inputs = template["Resources"][logical_id(stack, fleet_logging.document)]["Properties"]["Content"]["inputs"]
    assert inputs["s3KeyPrefix"] == prefix
    assert inputs["cloudWatchLogGroupName"] == {"Ref": group_id}
    assert granted == {
        ("s3:PutObject",): {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, f"/{prefix}*"]]},
        ("s3:GetEncryptionConfiguration",): {"Fn::GetAtt": [bucket_id, "Arn"]},
        ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"): {"Fn::GetAtt": [group_id, "Arn"]},
        ("logs:DescribeLogGroups",): "*",
        ("kms:Decrypt", "kms:GenerateDataKey"): {"Fn::GetAtt": [key_id, "Arn"]},
    }
    role = template["Resources"][role_id]["Properties"]
    assert "AmazonSSMManagedInstanceCore" not in json.dumps(role)


def test_add_fleet_tags_instances_at_launch(built: Built) -> None:
    template = built.templates["Isolated"]
    key, value = built.access.access_tag
    assert key == ACCESS_TAG_KEY
    asg = only(template, "AWS::AutoScaling::AutoScalingGroup")
    assert {"Key": key, "PropagateAtLaunch": True, "Value": value} in asg["Properties"]["Tags"]


def test_grant_instance_logging_returns_a_successful_grant() -> None:
    stack = Stack(App(), "Grant")
    access = SessionManagerAccess(stack, "Sessions", log_to_cloudwatch=False)
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    grant = access.grant_instance_logging(role)
    assert grant is not None and grant.success
    assert {a for s in grant.principal_statements for a in s.actions} == {
        "s3:PutObject",
        "s3:GetEncryptionConfiguration",
        "kms:Decrypt",
        "kms:GenerateDataKey",
    }


# -- opt-ins and escape hatches ------------------------------------------------------------


def test_account_default_document_is_opt_in_and_warns(built: Built) -> None:
    document = only(built.templates["Opt"], "AWS::SSM::Document")
    assert document["Properties"]["Name"] == "SSM-SessionManagerRunShell"
    assert built.opt_access.document_name == "SSM-SessionManagerRunShell"
    Annotations.from_stack(built.opt).has_warning(
        "/Opt/Sessions", Match.string_like_regexp("FAILS if it already exists in this account and region")
    )
    no_warning = Annotations.from_stack(built.isolated).find_warning("*", Match.string_like_regexp("already exists"))
    assert no_warning == []


def test_imported_key_warns_that_its_policy_cannot_be_changed(built: Built) -> None:
    template = built.templates["Opt"]
    assert resources_of(template, "AWS::KMS::Key") == {}
    Annotations.from_stack(built.opt).has_warning(
        "/Opt/Sessions", Match.string_like_regexp("key policy cannot be changed here")
    )
    group = only(template, "AWS::Logs::LogGroup")
    assert group["Properties"]["KmsKeyId"] == IMPORTED_KEY_ARN
    assert group["Properties"]["RetentionInDays"] == 90


def test_opt_in_inputs_reach_the_document(built: Built) -> None:
    inputs = document_inputs(built.templates["Opt"])
    assert inputs["idleSessionTimeout"] == "5"
    assert inputs["maxSessionDuration"] == "120"
    assert inputs["runAsEnabled"] is True
    assert inputs["runAsDefaultUser"] == "ec2-user"
    assert inputs["shellProfile"] == {"linux": "cd ~ && bash", "windows": ""}
    assert inputs["kmsKeyId"] == "1234abcd-12ab-34cd-56ef-1234567890ab"
    assert inputs["s3BucketName"] == ""  # log_to_s3=False
    assert resources_of(built.templates["Opt"], "AWS::S3::Bucket") == {}
    assert built.opt_access.bucket is None


def test_existing_bucket_and_log_group_are_used_as_given() -> None:
    stack = Stack(App(), "Existing")
    bucket = s3.Bucket.from_bucket_name(stack, "Bucket", "team-session-logs")
    group = logs.LogGroup.from_log_group_name(stack, "Group", "/team/sessions")
    access = SessionManagerAccess(stack, "Sessions", log_bucket=bucket, log_group=group, s3_key_prefix="")
    assert access.bucket is bucket and access.log_group is group
    content = stack.resolve(access.document.content)
    assert content["inputs"]["s3BucketName"] == "team-session-logs"
    assert content["inputs"]["cloudWatchLogGroupName"] == "/team/sessions"


# -- validation ----------------------------------------------------------------------------


def build_access(**props: Any) -> SessionManagerAccess:
    stack = Stack(App(), "Test")
    if props.pop("with_vpc", False):
        props["vpc"] = isolated_vpc(stack)
    return SessionManagerAccess(stack, "Sessions", **props)


@pytest.mark.parametrize(
    ("props", "prop", "reason"),
    [
        ({"log_to_s3": False, "log_to_cloudwatch": False}, "log_to_s3/log_to_cloudwatch", "sessions must be logged"),
        ({"log_to_s3": False, "log_bucket": "BUCKET"}, "log_bucket", "log_to_s3=False"),
        ({"log_to_cloudwatch": False, "log_group": "GROUP"}, "log_group", "log_to_cloudwatch=False"),
        ({"log_group": "GROUP", "log_retention": logs.RetentionDays.ONE_DAY}, "log_retention", "only applies"),
        ({"s3_key_prefix": "/sessions/"}, "s3_key_prefix", "leading '/'"),
        ({"idle_session_timeout": Duration.minutes(0)}, "idle_session_timeout", "between 1 and 60"),
        ({"idle_session_timeout": Duration.minutes(61)}, "idle_session_timeout", "between 1 and 60"),
        ({"idle_session_timeout": Duration.seconds(90)}, "idle_session_timeout", "whole minutes"),
        ({"max_session_duration": Duration.minutes(0)}, "max_session_duration", "between 1 and 1440"),
        ({"max_session_duration": Duration.days(2)}, "max_session_duration", "between 1 and 1440"),
        (
            {"idle_session_timeout": Duration.minutes(30), "max_session_duration": Duration.minutes(10)},
            "idle_session_timeout",
            "longer than max_session_duration",
        ),
        ({"run_as_user": "Admin User"}, "run_as_user", "not a valid Linux user name"),
        ({"document_name": "ab"}, "document_name", "3-128 characters"),
        ({"document_name": "team sessions"}, "document_name", "3-128 characters"),
        ({"document_name": "AWS-Sessions"}, "document_name", "reserved by AWS"),
        ({"document_name": "amazonSessions"}, "document_name", "reserved by AWS"),
        ({"document_name": "SSM-SessionManagerRunShell"}, "document_name", "account default session document"),
        ({"document_name": "Team-Sessions", "use_account_default_document": True}, "document_name", "both choose"),
        ({"endpoints": True}, "endpoints", "needs a VPC"),
        ({"endpoint_subnets": ec2.SubnetSelection()}, "endpoint_subnets", "without a VPC"),
        ({"legacy_agent_endpoints": True}, "legacy_agent_endpoints", "needs a VPC"),
    ],
)
def test_each_invalid_prop_is_reported(props: dict[str, Any], prop: str, reason: str) -> None:
    stack = Stack(App(), "Test")
    if props.get("log_bucket") == "BUCKET":
        props["log_bucket"] = s3.Bucket.from_bucket_name(stack, "Bucket", "existing")
    if props.get("log_group") == "GROUP":
        props["log_group"] = logs.LogGroup.from_log_group_name(stack, "Group", "existing")
    with pytest.raises(ValidationError, match=r"(?s)^Test/Sessions: 1 invalid prop problem:.*") as raised:
        SessionManagerAccess(stack, "Sessions", **props)
    (problem,) = raised.value.problems
    assert problem.prop == prop
    assert reason in problem.reason
    assert problem.fix
    assert raised.value.construct_path == "Test/Sessions"


def test_several_problems_are_reported_together() -> None:
    with pytest.raises(ValidationError) as raised:
        build_access(
            log_to_s3=False,
            log_to_cloudwatch=False,
            run_as_user="Root!",
            document_name="aws-x",
            endpoints=True,
            max_session_duration=Duration.minutes(5000),
        )
    props = [p.prop for p in raised.value.problems]
    assert props == [
        "log_to_s3/log_to_cloudwatch",
        "max_session_duration",
        "run_as_user",
        "document_name",
        "endpoints",
    ]
    assert str(raised.value).startswith("Test/Sessions: 5 invalid prop problems:")


def test_unresolved_tokens_are_not_judged() -> None:
    stack = Stack(App(), "Test")
    name = CfnParameter(stack, "Name").value_as_string
    user = CfnParameter(stack, "User").value_as_string
    minutes = CfnParameter(stack, "Minutes", type="Number").value_as_number
    access = SessionManagerAccess(
        stack, "Sessions", document_name=name, run_as_user=user, idle_session_timeout=Duration.minutes(minutes)
    )
    content = stack.resolve(access.document.content)
    assert content["inputs"]["idleSessionTimeout"] == {"Ref": "Minutes"}
    assert content["inputs"]["runAsDefaultUser"] == {"Ref": "User"}


def test_add_fleet_needs_a_construct() -> None:
    class NotAConstruct:
        def __init__(self, role: iam.IRole) -> None:
            self._role = role

        @property
        def grant_principal(self) -> iam.IPrincipal:
            return self._role

        @property
        def instance_tag(self) -> tuple[str, str]:
            return ("team", "web")

    access = build_access()
    role = iam.Role(access, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    target: SessionTarget = NotAConstruct(role)
    with pytest.raises(ValidationError, match=r"(?s)Test/Sessions.*fleet=.*not a construct"):
        access.add_fleet(target)


def test_grant_start_session_needs_a_role_user_or_group() -> None:
    access = build_access()
    with pytest.raises(ValidationError, match=r"(?s)Test/Sessions.*principal=.*IAM role, user or group"):
        access.grant_start_session(iam.ServicePrincipal("ec2.amazonaws.com"))


# -- rule packs ----------------------------------------------------------------------------


def test_aws_solutions_checks_pass_without_app_side_acknowledgements() -> None:
    app = App()
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack = Stack(app, "Nagged")
    vpc = isolated_vpc(stack)
    # The test VPC is the app's, not the construct's: its flow logs are out of scope here.
    Validations.of(vpc).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-VPC7", reason="Test fixture VPC; flow logs are the app's concern."
        )
    )
    access = SessionManagerAccess(stack, "Sessions", vpc=vpc, legacy_agent_endpoints=True)
    fleet = FakeFleet(stack, "Fleet")
    access.add_fleet(fleet)
    access.grant_start_session(iam.Role(stack, "Operator", assumed_by=iam.AccountRootPrincipal()))
    access.grant_start_session(iam.Group(stack, "Operators"), fleet=fleet)
    access.grant_start_session(iam.Role.from_role_arn(stack, "Imported", "arn:aws:iam::111122223333:role/oncall"))
    app.synth()  # raises on any unacknowledged finding


def test_cfn_lint_finds_no_errors(built: Built) -> None:
    for name, template in built.templates.items():
        matches = lint(json.dumps(template), regions=["us-east-1"])
        errors = [f"{m.rule.id} {m.message}" for m in matches if m.rule.id.startswith("E")]
        assert errors == [], name
        # Warnings would be reported here too; there are none today.
        assert [f"{m.rule.id} {m.message}" for m in matches] == [], name


# -- where it lives ------------------------------------------------------------------------


def test_every_public_path_names_the_same_classes() -> None:
    import immutable_constructs
    import immutable_constructs.access

    for name in ("SessionManagerAccess", "SessionTarget"):
        defined = getattr(immutable_constructs.access.session_manager, name)
        assert getattr(immutable_constructs, name) is defined, name
        assert getattr(immutable_constructs.access, name) is defined, name
    assert inspect.signature(immutable_constructs.access.SessionManagerAccess).parameters.keys() >= {"vpc", "log_to_s3"}
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("immutable_constructs.session_manager")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_session_manager_alone_loads_no_image_builder_codedeploy_or_cdk_nag() -> None:
    script = (
        "import sys\n"
        "from immutable_constructs import SessionManagerAccess\n"
        "SessionManagerAccess\n"
        "assert 'immutable_constructs.access.session_manager' in sys.modules\n"
        "heavy = ('aws_cdk.aws_imagebuilder', 'aws_cdk.aws_codedeploy', 'aws_cdk.aws_lambda', 'cdk_nag')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"


def test_importing_the_access_package_imports_no_construct() -> None:
    script = (
        "import sys\n"
        "import immutable_constructs.access\n"
        "print('immutable_constructs.access.session_manager' in sys.modules, 'aws_cdk.aws_ssm' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == ["False", "False"]
