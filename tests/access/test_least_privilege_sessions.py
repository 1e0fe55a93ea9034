"""Session transcripts cannot be rewritten, checked on the synthesized reference app and examples.

Each fleet logs through a Session document of its own under its own S3 prefix and to its own log group, and its
hosts may write there only; the session-log bucket is locked (S3 Object Lock, compliance mode); an alarm fires
when a host's SSM agent reports a session it could not log.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_s3 as s3

from immutable_constructs import SessionManagerAccess
from immutable_constructs.access._fleet_logging import AGENT_LOGGING_FAILURES, METRIC_NAME

from ..conftest import Synthesized, template_json


def _apps(reference_app: Synthesized, examples: dict[str, Synthesized]) -> dict[str, Synthesized]:
    return {"app": reference_app, **{f"example-{k}": v for k, v in examples.items()}}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _prefix_of(resource: Any) -> str:
    """``sessions/X/`` from ``{"Fn::Join": ["", [<bucket arn>, "/sessions/X/*"]]}``."""
    parts = resource["Fn::Join"][1]
    assert isinstance(parts[-1], str) and parts[-1].endswith("*"), resource
    return str(parts[-1][1:-1])


def test_each_fleet_writes_transcripts_under_its_own_prefix_only(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    fleets = 0
    for name, synthesized in _apps(reference_app, examples).items():
        prefixes = {
            logical: document["Properties"]["Content"]["inputs"]["s3KeyPrefix"]
            for logical, document in synthesized.resources("AWS::SSM::Document").items()
            if document["Properties"].get("DocumentType") == "Session"
        }
        written: dict[str, str] = {}  # prefix -> the role that may write it
        for logical, policy in synthesized.resources("AWS::IAM::ManagedPolicy").items():
            for statement in _listed(policy["Properties"]["PolicyDocument"]["Statement"]):
                if "s3:PutObject" not in _listed(statement["Action"]) or "InstanceLoggingPolicy" not in logical:
                    continue
                (resource,) = _listed(statement["Resource"])
                prefix = _prefix_of(resource)
                roles = policy["Properties"]["Roles"]
                assert len(roles) == 1, f"{name}: {logical} lets {roles} write {prefix}"
                assert prefix not in written, f"{name}: {prefix} written by {written.get(prefix)} and {roles}"
                written[prefix] = roles[0]["Ref"]
                # the prefix is one fleet's, and exactly one Session document logs there
                assert prefix.startswith("sessions/") and prefix.count("/") == 2, f"{name}: {prefix}"
                assert list(prefixes.values()).count(prefix) == 1, f"{name}: {prefix} not one document's"
                fleets += 1
        assert "sessions/" not in written, f"{name}: a fleet may write the shared prefix"
    assert fleets >= 6  # the reference app's two fleets, one in each of the four examples


def test_each_fleet_streams_to_its_own_log_group_and_may_write_no_other(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    fleets = 0
    for name, synthesized in _apps(reference_app, examples).items():
        for stack_name, template in synthesized.templates.items():
            resources = template["Resources"]
            documents = {
                logical: document["Properties"]["Content"]["inputs"]["cloudWatchLogGroupName"]["Ref"]
                for logical, document in resources.items()
                if document["Type"] == "AWS::SSM::Document" and document["Properties"].get("DocumentType") == "Session"
            }
            if not documents:
                continue
            # every Session document streams to a log group of its own
            assert len(set(documents.values())) == len(documents), f"{name}/{stack_name}: {documents}"
            writers: dict[str, list[Any]] = {}  # log group -> roles that may write it
            for policy in resources.values():
                if policy["Type"] != "AWS::IAM::ManagedPolicy":
                    continue
                for statement in _listed(policy["Properties"]["PolicyDocument"]["Statement"]):
                    if not {"logs:PutLogEvents", "logs:CreateLogStream"} & set(_listed(statement["Action"])):
                        continue
                    for resource in _listed(statement["Resource"]):
                        group = resource["Fn::GetAtt"][0] if isinstance(resource, dict) else resource
                        if group in documents.values():
                            writers.setdefault(group, []).extend(policy["Properties"].get("Roles", []))
            for logical, group in documents.items():
                if "Fleet" not in logical:  # the construct's own document: grant_instance_logging only
                    continue
                fleet_writers = writers.get(group, [])
                assert len(fleet_writers) == 1, f"{name}/{stack_name}: {group} written by {fleet_writers}"
                # fleet A's role writes no other fleet's group, nor the construct's own
                others = [g for g, roles in writers.items() if g != group and fleet_writers[0] in roles]
                assert not others, f"{name}/{stack_name}: {fleet_writers[0]} also writes {others}"
                fleets += 1
    assert fleets >= 6  # the reference app's two fleets, one in each of the four examples


def test_fleets_of_a_users_own_log_group_share_it() -> None:
    from aws_cdk import aws_logs as logs

    from immutable_constructs import SessionManagerAccess

    from .test_session_manager import FakeFleet

    stack = Stack(App(), "S")
    group = logs.LogGroup.from_log_group_name(stack, "Own", "own-sessions")
    access = SessionManagerAccess(stack, "Access", endpoints=False, log_group=group)
    access.add_fleet(FakeFleet(stack, "A"))
    (logging,) = access.fleet_logging.values()
    assert logging.log_group is None  # the user chose one destination: no group is created beside it
    template = json.dumps(template_json(stack))
    assert "/immutable-constructs/sessions/" not in template and ":log-group:own-sessions:*" in template


def test_fleet_operators_may_use_their_fleets_document_only(reference_app: Synthesized) -> None:
    template = next(t for t in reference_app.templates.values() if "SessionAccessDocument" in json.dumps(t))
    resources = template["Resources"]
    fleet_documents = {k for k, r in resources.items() if r["Type"] == "AWS::SSM::Document" and "Fleet" in k}
    checked = 0
    for logical, policy in resources.items():
        if policy["Type"] != "AWS::IAM::ManagedPolicy" or "OperatorPolicy" not in logical:
            continue
        for statement in _listed(policy["Properties"]["PolicyDocument"]["Statement"]):
            if statement.get("Sid") == "StartSessionWithThisDocument":
                named = {r["Fn::Join"][1][-1]["Ref"] for r in _listed(statement["Resource"])}
                assert len(named) == 1 and named <= fleet_documents, f"{logical}: {named}"
                checked += 1
    assert checked == 1  # the operators role of the web fleet


def test_the_session_log_bucket_is_locked_in_compliance_mode(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    locked = 0
    for name, synthesized in _apps(reference_app, examples).items():
        for logical, bucket in synthesized.resources("AWS::S3::Bucket").items():
            if "SessionLogBucket" not in logical:
                continue
            props = bucket["Properties"]
            assert props["ObjectLockEnabled"] is True, f"{name}: {logical}"
            assert props["ObjectLockConfiguration"] == {
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 365}},
            }, f"{name}: {logical}"
            assert props["VersioningConfiguration"] == {"Status": "Enabled"}
            locked += 1
        for logical, bucket in synthesized.resources("AWS::S3::Bucket").items():
            if "AccessLogBucket" in logical:  # a server access log destination cannot have Object Lock
                assert "ObjectLockEnabled" not in bucket["Properties"], f"{name}: {logical}"
    assert locked == sum(a.count(SessionManagerAccess) for a in _apps(reference_app, examples).values())


def test_an_alarm_fires_when_a_hosts_agent_cannot_log_a_session(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    alarms = 0
    for name, synthesized in _apps(reference_app, examples).items():
        for stack_name, template in synthesized.templates.items():
            resources = template["Resources"]
            for logical, fil in resources.items():
                if fil["Type"] != "AWS::Logs::MetricFilter" or "AgentLoggingFailures" not in logical:
                    continue
                props = fil["Properties"]
                for message in AGENT_LOGGING_FAILURES:
                    assert f'?"{message}"' in props["FilterPattern"], f"{name}: {logical} misses {message}"
                # the fleet's own log group, which the CloudWatch agent ships the SSM agent's log to
                group = resources[props["LogGroupName"]["Ref"]]
                assert group["Type"] == "AWS::Logs::LogGroup"
                (transformation,) = props["MetricTransformations"]
                assert transformation["MetricName"] == METRIC_NAME
                namespace = transformation["MetricNamespace"]
                (alarm,) = [
                    a["Properties"]
                    for k, a in resources.items()
                    if a["Type"] == "AWS::CloudWatch::Alarm"
                    and a["Properties"].get("MetricName") == METRIC_NAME
                    and a["Properties"].get("Namespace") == namespace
                ]
                assert (alarm["Threshold"], alarm["ComparisonOperator"], alarm["Statistic"]) == (
                    1,
                    "GreaterThanOrEqualToThreshold",
                    "Sum",
                )
                assert alarm["TreatMissingData"] == "notBreaching"  # no session, no failure: no alarm
                assert alarm["AlarmActions"], f"{name}/{stack_name}: {logical} notifies nobody"
                alarms += 1
    assert alarms >= 6


def test_the_lock_retention_is_the_users_and_checked_at_synth() -> None:
    from immutable_constructs import SessionManagerAccess
    from immutable_constructs.errors import ValidationError

    stack = Stack(App(), "S")
    SessionManagerAccess(stack, "Seven", endpoints=False, log_lock_retention=Duration.days(7))
    (bucket,) = [
        r for k, r in template_json(stack)["Resources"].items() if r["Type"] == "AWS::S3::Bucket" and "SessionLog" in k
    ]
    assert bucket["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {
        "Mode": "COMPLIANCE",
        "Days": 7,
    }
    for bad in (Duration.hours(36), Duration.days(0), Duration.days(36501), 30):
        with pytest.raises(ValidationError, match="log_lock_retention"):
            SessionManagerAccess(stack, f"Bad{bad}", endpoints=False, log_lock_retention=bad)  # type: ignore[arg-type]
    own = s3.Bucket.from_bucket_name(stack, "Own", "own-bucket")
    with pytest.raises(ValidationError, match=r"log_lock_retention.*log_bucket"):
        SessionManagerAccess(stack, "Own2", endpoints=False, log_bucket=own, log_lock_retention=Duration.days(7))


# -- 7. every endpoint of the reference app and the examples has a policy --------------------------------------

SYSTEMS_MANAGER = (".ssm", ".ssmmessages", ".ec2messages")


def _service(endpoint: dict[str, Any]) -> str:
    name = endpoint["Properties"]["ServiceName"]
    return str(name["Fn::Join"][1][-1] if isinstance(name, dict) else name)


def _check_systems_manager_endpoint(where: str, endpoint: dict[str, Any]) -> None:
    (statement,) = endpoint["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Sid"] == "ThisAccountsPrincipals", where
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}}, where
    assert statement["Effect"] == "Allow" and statement["Principal"] == {"AWS": "*"}, where


def test_no_endpoint_keeps_the_default_policy_and_the_systems_manager_ones_serve_this_account_only(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    endpoints = systems_manager = 0
    for name, synthesized in _apps(reference_app, examples).items():
        for logical, endpoint in synthesized.resources("AWS::EC2::VPCEndpoint").items():
            where = f"{name}: {logical}"
            assert endpoint["Properties"].get("PolicyDocument"), f"{where} has the default (full access) policy"
            endpoints += 1
            if _service(endpoint).endswith(SYSTEMS_MANAGER):
                _check_systems_manager_endpoint(where, endpoint)
                systems_manager += 1
            if _service(endpoint).endswith(".monitoring"):  # the isolated example's own endpoint
                (statement,) = endpoint["Properties"]["PolicyDocument"]["Statement"]
                assert statement["Action"] == "cloudwatch:PutMetricData", where
                assert "aws:PrincipalAccount" in statement["Condition"]["StringEquals"], where
    assert (endpoints, systems_manager) == (6, 2)  # the isolated example: ssm, ssmmessages, kms, logs, s3, monitoring


def test_the_legacy_ec2messages_endpoint_serves_this_account_only() -> None:
    from aws_cdk import aws_ec2 as ec2

    from immutable_constructs import SessionManagerAccess

    stack = Stack(App(), "S")
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=1,
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="i", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    SessionManagerAccess(stack, "Sessions", vpc=vpc, legacy_agent_endpoints=True)
    resources = template_json(stack)["Resources"]
    found = [
        (k, r)
        for k, r in resources.items()
        if r["Type"] == "AWS::EC2::VPCEndpoint" and _service(r).endswith(SYSTEMS_MANAGER)
    ]
    assert sorted(_service(r).rsplit(".", 1)[-1] for _k, r in found) == ["ec2messages", "ssm", "ssmmessages"]
    for logical, endpoint in found:
        _check_systems_manager_endpoint(logical, endpoint)


# -- 8. flow logs: only VPC Flow Logs of this account may assume their role -------------------------------------


def test_every_flow_log_role_names_its_source_account_and_flow_logs(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    roles = 0
    for name, synthesized in _apps(reference_app, examples).items():
        for stack_name, template in synthesized.templates.items():
            resources = template["Resources"]
            for logical, flow_log in resources.items():
                if flow_log["Type"] != "AWS::EC2::FlowLog":
                    continue
                role_id = flow_log["Properties"]["DeliverLogsPermissionArn"]["Fn::GetAtt"][0]
                (statement,) = resources[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
                where = f"{name}/{stack_name}: {logical}"
                assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}, where
                # this account: AWS::AccountId, or the account a stack with an explicit env names
                (source_account,) = statement["Condition"]["StringEquals"].values()
                assert list(statement["Condition"]["StringEquals"]) == ["aws:SourceAccount"], where
                assert source_account == {"Ref": "AWS::AccountId"} or re.fullmatch(r"\d{12}", source_account), where
                source = json.dumps(statement["Condition"]["ArnLike"]["aws:SourceArn"])
                assert ":vpc-flow-log/*" in source, where
                assert (f":{source_account}:" if isinstance(source_account, str) else "AWS::AccountId") in source, where
                roles += 1
    # app.py's two VPCs, blue_green's, container_service's and golden_ami's two; minimal_fleet and
    # isolated_fleet keep their VPCs minimal (no flow logs, the user's choice there)
    assert roles >= 6


# -- 9. smaller scopes ------------------------------------------------------------------------------------------


def test_cloudwatch_logs_encrypts_with_a_session_key_for_its_session_log_group_only(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    keys = 0
    for name, synthesized in _apps(reference_app, examples).items():
        for logical, key in synthesized.resources("AWS::KMS::Key").items():
            if "SessionAccessKey" not in logical and "SessionsKey" not in logical:
                continue
            logs_statements = [
                s
                for s in _listed(key["Properties"]["KeyPolicy"]["Statement"])
                if "logs." in json.dumps(s.get("Principal", {}))
            ]
            by_sid = {s.get("Sid"): s for s in logs_statements}
            assert sorted(by_sid) == ["CloudWatchLogsEncryptsTheLogGroup", "CloudWatchLogsReadsEarlierLogGroups"], name
            one = by_sid["CloudWatchLogsEncryptsTheLogGroup"]["Condition"]
            assert list(one) == ["ArnEquals"], f"{name}: {logical}"
            assert "/immutable-constructs/sessions/" in json.dumps(one), f"{name}: {logical}"
            assert by_sid["CloudWatchLogsReadsEarlierLogGroups"]["Action"] == ["kms:Decrypt*", "kms:Describe*"]
            keys += 1
    # one per SessionManagerAccess
    assert keys == sum(a.count(SessionManagerAccess) for a in _apps(reference_app, examples).values())


def test_people_assume_the_operator_roles_only_with_mfa(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    roles = 0
    for name, synthesized in _apps(reference_app, examples).items():
        for logical, role in synthesized.resources("AWS::IAM::Role").items():
            if logical.rsplit("/", 1)[-1].startswith("ReleaseGateReader"):
                continue  # a machine's role, not a person's: the release pipeline reads one alarm (tests/release)
            for statement in _listed(role["Properties"]["AssumeRolePolicyDocument"]["Statement"]):
                if ":root" not in json.dumps(statement.get("Principal", {})):
                    continue
                assert statement["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}, f"{name}: {logical}"
                roles += 1
    assert roles == 2  # the reference app's Operators, the isolated example's OnCall


def _pipeline_execution_roles(resources: dict[str, Any]) -> set[str]:
    """The roles image pipelines name as their ExecutionRole (by logical id)."""
    return {
        pipeline["Properties"]["ExecutionRole"]["Fn::GetAtt"][0]
        for pipeline in resources.values()
        if pipeline["Type"] == "AWS::ImageBuilder::ImagePipeline" and "ExecutionRole" in pipeline["Properties"]
    }


def test_every_execution_role_the_library_creates_is_capped_by_its_pipelines_boundary(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    from immutable_constructs.images._execution_boundary import MANAGED_ACTIONS

    capped = 0
    for name, synthesized in _apps(reference_app, examples).items():
        for stack_name, template in synthesized.templates.items():
            resources = template["Resources"]
            for logical, role in resources.items():
                if role["Type"] != "AWS::IAM::Role" or logical not in _pipeline_execution_roles(resources):
                    continue  # an ECS task execution role, say, is no Image Builder execution role
                where = f"{name}/{stack_name}: {logical}"
                boundary = resources[role["Properties"]["PermissionsBoundary"]["Ref"]]["Properties"]["PolicyDocument"]
                by_sid = {s["Sid"]: s for s in boundary["Statement"]}
                allowed = set(_listed(by_sid["WhatImageBuilderDoes"]["Action"]))
                assert not allowed & {"iam:PassRole", "sns:Publish", "ssm:PutParameter", "sts:AssumeRole"}, where
                assert set(MANAGED_ACTIONS) <= allowed, where
                # nothing the role's own policies grant is outside the boundary
                own = {
                    action
                    for policy in resources.values()
                    if policy["Type"] == "AWS::IAM::Policy"
                    and {"Ref": logical} in policy["Properties"].get("Roles", [])
                    for statement in _listed(policy["Properties"]["PolicyDocument"]["Statement"])
                    for action in _listed(statement["Action"])
                }
                assert own <= allowed | {"ssm:PutParameter"}, (where, own - allowed)
                # PassRole: the pipeline's build instance role only, to EC2 only
                passed = by_sid["PassOnlyTheBuildInstanceRole"]
                (role_ref,) = [r["Fn::GetAtt"][0] for r in _listed(passed["Resource"])]
                assert "InstanceRole" in role_ref and resources[role_ref]["Type"] == "AWS::IAM::Role", where
                assert passed["Condition"] == {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
                # Publish: the pipeline's topic; PutParameter: the catalog parameter
                assert "Ref" in by_sid["PublishToThePipelineTopic"]["Resource"], where
                assert "/images/" in json.dumps(by_sid["WriteTheCatalogParameter"]["Resource"]), where
                assert "DistributeToTheConfiguredAccounts" not in by_sid, where  # no example distributes elsewhere
                capped += 1
    assert capped >= 3  # the reference app's two pipelines, golden_ami's one


def test_a_fleets_document_is_named_after_the_users_document_or_generated() -> None:
    from aws_cdk import CfnParameter
    from aws_cdk import aws_iam as iam
    from constructs import Construct

    from immutable_constructs import SessionManagerAccess

    class Fleet(Construct):
        def __init__(self, scope: Construct, id: str) -> None:
            super().__init__(scope, id)
            self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))

        @property
        def grant_principal(self) -> iam.IPrincipal:
            return self.role

        @property
        def instance_tag(self) -> tuple[str, str]:
            return ("team", self.node.id)

    stack = Stack(App(), "S")
    named = SessionManagerAccess(stack, "Named", document_name="team-sessions", endpoints=False)
    named.add_fleet(Fleet(stack, "Web"))
    token = SessionManagerAccess(
        stack, "Token", document_name=CfnParameter(stack, "Doc").value_as_string, endpoints=False
    )
    token.add_fleet(Fleet(stack, "Api"))
    default = SessionManagerAccess(stack, "Account", use_account_default_document=True, endpoints=False)
    default.add_fleet(Fleet(stack, "Batch"))
    names = {
        k: r["Properties"].get("Name")
        for k, r in template_json(stack)["Resources"].items()
        if r["Type"] == "AWS::SSM::Document" and "Fleet" in k
    }
    by_construct = {k.split("Fleet")[0]: v for k, v in names.items()}
    assert (
        by_construct["Named"].startswith("team-sessions-") and len(by_construct["Named"]) == len("team-sessions-") + 8
    )
    assert by_construct["Token"] is None and by_construct["Account"] is None  # generated by CloudFormation
