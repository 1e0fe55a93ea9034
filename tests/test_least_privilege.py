"""No principal can do more than its job, checked on the synthesized reference app and examples."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from immutable_constructs import StackDriftAlarm
from immutable_constructs.drift._read_policy import (
    IN_ACCOUNT,
    LEGACY,
    SCOPED,
    WITHHELD,
    actions_for,
    read_permissions,
)

from .conftest import ROOT, Synthesized, resources_of, template_json


def _apps(reference_app: Synthesized, examples: dict[str, Synthesized]) -> dict[str, Synthesized]:
    return {"app": reference_app, **{f"example-{k}": v for k, v in examples.items()}}


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _drift_policies(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        k: r
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::IAM::Policy" and "ReadPolicy" in k and "Drift" in k
    }


# -- 1. the drift function reads what drift detection reads, nothing of the account's data ---------------


def test_no_role_of_any_app_has_read_only_access(reference_app: Synthesized, examples: dict[str, Synthesized]) -> None:
    for name, synthesized in _apps(reference_app, examples).items():
        for logical, role in synthesized.resources("AWS::IAM::Role").items():
            arns = str(role["Properties"].get("ManagedPolicyArns", []))
            assert "ReadOnlyAccess" not in arns, f"{name}: {logical}"


def test_every_drift_role_reads_exactly_its_stacks_types(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    checked = 0
    for name, synthesized in _apps(reference_app, examples).items():
        for stack_name, template in synthesized.templates.items():
            for logical, policy in _drift_policies(template).items():
                types = {r["Type"] for r in template["Resources"].values()}
                expected, _, unknown = actions_for(types)
                assert unknown == [], f"{name}/{stack_name}: no read permissions known for {unknown}"
                by_sid = {s["Sid"]: s for s in _statements(policy)}
                read = by_sid["ReadWatchedResources"]
                assert read["Action"] == [a for a in expected if a.lower() not in {*SCOPED, *WITHHELD, *IN_ACCOUNT}], (
                    f"{name}/{stack_name}/{logical}"
                )
                # parameters: this account's and region's only, never "*" (checkov CKV_AWS_108)
                if "ReadWatchedParameters" in by_sid:
                    parameters = by_sid["ReadWatchedParameters"]
                    assert parameters["Action"] == "ssm:GetParameters"
                    assert ":parameter/*" in json.dumps(parameters["Resource"])
                    # this account: AWS::AccountId, or the stack's own account when its env names one
                    this_account = r"AWS::AccountId|:ssm:[a-z0-9-]+:\d{12}:parameter/"
                    assert re.search(this_account, json.dumps(parameters["Resource"]))
                # the function's code and environment: only the watched stack's own functions, by ARN
                functions = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::Lambda::Function"]
                get_function = by_sid["ReadGetFunctionOfWatched"]
                assert get_function["Action"] == "lambda:GetFunction"
                assert sorted(r["Fn::GetAtt"][0] for r in _listed(get_function["Resource"])) == sorted(functions)
                granted = {a.lower() for a in read["Action"]}
                # what ReadOnlyAccess gave and drift detection never needs: data, not configuration
                for data in (
                    "s3:getobject",
                    "logs:getlogevents",
                    "logs:filterlogevents",
                    "sqs:receivemessage",
                    "ssm:getparameter",
                    "dynamodb:getitem",
                    "secretsmanager:getsecretvalue",
                    "kms:decrypt",
                ):
                    assert data not in granted, f"{name}/{stack_name}: {data}"
                checked += 1
    # one drift policy per StackDriftAlarm, in every stack of the app and the examples (stages' stacks too)
    assert checked == sum(a.count(StackDriftAlarm) for a in _apps(reference_app, examples).values()) > 0


def test_the_images_stack_drift_role_decrypts_its_pipeline_keys_through_image_builder_only(
    reference_app: Synthesized,
) -> None:
    """A KMS-encrypted Image Builder component needs kms:Decrypt for drift detection."""
    template = reference_app.templates["ImmutableReferenceImages"]
    (policy,) = _drift_policies(template).values()
    (decrypt,) = [s for s in _statements(policy) if s["Sid"] == "DecryptWatchedResources"]
    assert decrypt["Action"] == "kms:Decrypt"
    keys = {logical for logical, r in template["Resources"].items() if r["Type"] == "AWS::KMS::Key"}
    assert {r["Fn::GetAtt"][0] for r in decrypt["Resource"]} == keys
    assert all(r["Fn::GetAtt"][1] == "Arn" for r in decrypt["Resource"])
    via = decrypt["Condition"]["StringEquals"]["kms:ViaService"]
    assert "imagebuilder.us-east-1.amazonaws.com" in via
    assert all(v.endswith(".us-east-1.amazonaws.com") for v in via)
    # the components that need it are encrypted with one of those keys
    components = [r for r in template["Resources"].values() if r["Type"] == "AWS::ImageBuilder::Component"]
    assert components and all(c["Properties"]["KmsKeyId"]["Fn::GetAtt"][0] in keys for c in components)
    # and every key lets IAM policies of the account grant its use (else the statement above is void)
    for logical in keys:
        statements = template["Resources"][logical]["Properties"]["KeyPolicy"]["Statement"]
        assert any(
            s["Effect"] == "Allow" and s["Action"] == "kms:*" and "root" in str(s["Principal"]) for s in statements
        ), logical


def test_the_read_table_is_what_the_installed_cfn_lint_schemas_say() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "drift_read_permissions.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_the_read_table_holds_no_write_action() -> None:
    table = read_permissions()
    assert len(table) > 1500
    writes = ("put", "create", "delete", "update", "pass", "assume", "tag", "untag", "modify", "attach", "set")
    for resource_type, actions in {**table, **LEGACY}.items():
        for action in actions:
            verb = action.split(":", 1)[1].lower()
            assert not verb.startswith(writes), f"{resource_type}: {action}"
    assert "kms:Decrypt" in table["AWS::ImageBuilder::Component"]


@pytest.mark.parametrize(
    ("types", "actions", "services", "unknown"),
    [
        (["AWS::SNS::TopicPolicy", "Custom::Thing", "AWS::CDK::Metadata"], ["sns:GetTopicAttributes"], [], []),
        (["AWS::ImageBuilder::Component"], ["imagebuilder:GetComponent"], ["imagebuilder"], []),
        (["Vendor::Made::Up"], [], [], ["Vendor::Made::Up"]),
    ],
)
def test_actions_for(types: list[str], actions: list[str], services: list[str], unknown: list[str]) -> None:
    assert actions_for(types) == (actions, services, unknown)


def _read_statement(stack: Any) -> dict[str, Any]:
    for policy in resources_of(template_json(stack), "AWS::IAM::Policy").values():
        for statement in _statements(policy):
            if statement["Sid"] == "ReadWatchedResources":
                return statement
    raise AssertionError("no ReadWatchedResources statement")


def test_resources_added_after_the_alarm_are_read_too_and_a_foreign_stack_name_warns() -> None:
    from aws_cdk import App, Stack
    from aws_cdk import aws_sqs as sqs
    from aws_cdk.assertions import Annotations, Match

    from immutable_constructs.drift import StackDriftAlarm

    app = App()
    env = {"account": "123456789012", "region": "eu-west-1"}
    network = Stack(app, "Network", env=env)
    ops = Stack(app, "Ops", env=env)
    StackDriftAlarm(ops, "Drift", stacks=[ops, "Network", "legacy-dns"])
    sqs.Queue(network, "Late")  # added after the alarm, in a stack named by name
    read = _read_statement(ops)
    assert "sqs:GetQueueAttributes" in read["Action"]
    Annotations.from_stack(ops).has_warning(
        "/Ops/Drift", Match.string_like_regexp("stacks this app does not define: legacy-dns")
    )
    decrypt = [
        s
        for p in resources_of(template_json(ops), "AWS::IAM::Policy").values()
        for s in _statements(p)
        if s["Sid"] == "DecryptWatchedResources"
    ]
    # another stack is watched: its keys are not named by ARN, the statement relies on kms:ViaService
    (statement,) = decrypt
    assert statement["Resource"] == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":kms:eu-west-1:123456789012:key/*"]]
    }
    assert statement["Condition"]["StringEquals"]["kms:ViaService"] == ["lambda.eu-west-1.amazonaws.com"]


def test_watching_other_stacks_passes_aws_solutions_with_reasoned_acknowledgements(tmp_path: Any) -> None:
    import json

    from aws_cdk import App, Stack, Validations
    from aws_cdk import aws_lambda as lambda_
    from cdk_nag import AwsSolutionsChecks

    from immutable_constructs.drift import StackDriftAlarm

    app = App(outdir=str(tmp_path))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    env = {"account": "123456789012", "region": "eu-west-1"}
    network = Stack(app, "Network", env=env)
    ops = Stack(app, "Ops", env=env)
    StackDriftAlarm(ops, "Drift", stacks=[ops, network])
    lambda_.Function(
        network,
        "Fn",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(e, c): pass"),
    )
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()  # the Network function's own AwsSolutions findings; the drift construct must have none
    report = json.loads((tmp_path / "validation-report.json").read_text())
    drift = [
        v
        for r in report["pluginReports"]
        for v in r["violations"]
        if any(c["constructPath"].startswith("Ops/Drift") for c in v["violatingConstructs"])
    ]
    assert drift == []
    statements = {
        s["Sid"]: s
        for p in resources_of(json.loads((tmp_path / "Ops.template.json").read_text()), "AWS::IAM::Policy").values()
        for s in _statements(p)
    }
    tagged = statements["ReadGetFunctionOfWatchedStacks"]
    assert tagged["Condition"] == {"StringEquals": {"aws:ResourceTag/aws:cloudformation:stack-name": ["Network"]}}


# -- 2. launches bound to the launch template, tags only on create, roles passed to one service ------------


def _all_statements(synthesized: Synthesized) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for policy_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for logical, policy in synthesized.resources(policy_type).items():
            found += [(logical, s) for s in _statements(policy)]
    for logical, role in synthesized.resources("AWS::IAM::Role").items():
        for inline in role["Properties"].get("Policies", []):
            document = inline["PolicyDocument"]["Statement"]
            found += [(logical, s) for s in _listed(document)]
    return found


def test_every_launch_is_bound_to_a_launch_template_and_every_role_is_passed_to_one_service(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    launches = 0
    for name, synthesized in _apps(reference_app, examples).items():
        # a permissions boundary grants nothing (the execution roles' boundary: test_least_privilege_sessions.py)
        boundaries = {
            str(role["Properties"]["PermissionsBoundary"].get("Ref"))
            for role in synthesized.resources("AWS::IAM::Role").values()
            if isinstance(role["Properties"].get("PermissionsBoundary"), dict)
        }
        for logical, statement in _all_statements(synthesized):
            if logical in boundaries:
                continue
            actions = [a.lower() for a in _listed(statement["Action"])]
            where = f"{name}: {logical} {statement.get('Sid')}"
            if "ec2:runinstances" in actions:
                launches += 1
                on_template = all(":launch-template/" in str(r) for r in _listed(statement["Resource"]))
                assert on_template or "ec2:LaunchTemplate" in str(statement.get("Condition")), where
            if "ec2:createtags" in actions:
                assert "Condition" in statement, where
            if "iam:passrole" in actions:
                assert "iam:PassedToService" in str(statement.get("Condition")), where
        for logical, role in synthesized.resources("AWS::IAM::Role").items():
            assert "AWSCodeDeployRole" not in str(role["Properties"].get("ManagedPolicyArns")), f"{name}: {logical}"
    assert launches >= 6  # two roles of each blue/green fleet, three statements each


def test_every_service_trust_of_a_codedeploy_role_names_its_deployment_group(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    checked = 0
    for name, synthesized in _apps(reference_app, examples).items():
        for logical, role in synthesized.resources("AWS::IAM::Role").items():
            for statement in _listed(role["Properties"]["AssumeRolePolicyDocument"]["Statement"]):
                if "codedeploy.amazonaws.com" in str(statement.get("Principal")):
                    assert "aws:SourceAccount" in str(statement["Condition"]), f"{name}: {logical}"
                    assert ":deploymentgroup:" in str(statement["Condition"]["ArnLike"]), f"{name}: {logical}"
                    checked += 1
    assert checked >= 2


# -- 3. a tainted host is replaced at an absolute deadline from its first session -------------------------


def test_every_tainted_host_function_has_a_deadline(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    checked = 0
    for name, synthesized in _apps(reference_app, examples).items():
        for logical, function in synthesized.resources("AWS::Lambda::Function").items():
            variables = function["Properties"].get("Environment", {}).get("Variables", {})
            if "GRACE_SECONDS" in variables:
                assert variables["DEADLINE_SECONDS"] == str(8 * 3600), f"{name}: {logical}"
                checked += 1
    assert checked >= 3


def test_the_deadline_is_a_prop_checked_at_synth() -> None:
    from aws_cdk import App, Duration, Stack

    from immutable_constructs.drift import TaintedHostReplacement
    from immutable_constructs.errors import ValidationError

    class Fleet:
        instance_tag = ("immutable-constructs:fleet", "web")

    stack = Stack(App(), "S")
    watcher = TaintedHostReplacement(stack, "T", fleets=[Fleet()], session_deadline=Duration.hours(2))  # type: ignore[list-item]
    variables = template_json(stack)["Resources"]
    (function,) = [r for r in variables.values() if r["Type"] == "AWS::Lambda::Function"]
    assert function["Properties"]["Environment"]["Variables"]["DEADLINE_SECONDS"] == "7200"
    assert watcher.session_deadline.to_hours() == 2
    with pytest.raises(ValidationError, match=r"session_deadline.*from 5 minutes to 7 days"):
        TaintedHostReplacement(stack, "U", fleets=[Fleet()], session_deadline=Duration.days(8))  # type: ignore[list-item]


# -- 5. promotion trusts only its own pipeline's images ------------------------------------------------------


def test_every_promotion_function_knows_its_pipeline_and_tags_images_only_in_its_regions(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    checked = 0
    for name, synthesized in _apps(reference_app, examples).items():
        for template in synthesized.templates.values():
            resources = template["Resources"]
            for logical, function in resources.items():
                variables = function["Properties"].get("Environment", {}).get("Variables", {})
                if function["Type"] != "AWS::Lambda::Function" or "TARGET_PARAMETER" not in variables:
                    continue
                where = f"{name}: {logical}"
                for key, kind in (
                    ("PIPELINE_ARN", "AWS::ImageBuilder::ImagePipeline"),
                    ("INFRASTRUCTURE_ARN", "AWS::ImageBuilder::InfrastructureConfiguration"),
                    ("DISTRIBUTION_ARN", "AWS::ImageBuilder::DistributionConfiguration"),
                ):
                    target, attribute = variables[key]["Fn::GetAtt"]
                    assert (resources[target]["Type"], attribute) == (kind, "Arn"), where
                deploy_image = any(r["Type"] == "AWS::ImageBuilder::Image" for r in resources.values())
                assert variables["ALLOW_DEPLOY_IMAGE"] == ("true" if deploy_image else "false"), where
                checked += 1
        for logical, statement in _all_statements(synthesized):
            if statement.get("Sid") == "KeepPromoted":
                for arn in _listed(statement["Resource"]):
                    assert ":ec2:*:" not in str(arn), f"{name}: {logical}"
    assert checked >= 3


# -- 8. confused deputy: service principals act only for this account ---------------------------------------

#: Services whose trust takes aws:SourceAccount (each service's "Cross-service confused deputy prevention"; for
#: vpc-flow-logs, VPC User Guide, "IAM role for publishing flow logs to CloudWatch Logs": the reference app and
#: the examples give their flow logs a role of their own, as CDK's default role has no condition).
SOURCE_CONDITIONED = (
    "imagebuilder.amazonaws.com",
    "codedeploy.amazonaws.com",
    "states.amazonaws.com",
    "vpc-flow-logs.amazonaws.com",
)


def test_service_trusts_keys_and_topics_name_their_source_account(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    trusts = keys = topics = 0
    for name, synthesized in _apps(reference_app, examples).items():
        for logical, role in synthesized.resources("AWS::IAM::Role").items():
            for statement in _listed(role["Properties"]["AssumeRolePolicyDocument"]["Statement"]):
                service = statement.get("Principal", {}).get("Service")
                if service in SOURCE_CONDITIONED:
                    assert "aws:SourceAccount" in str(statement.get("Condition")), f"{name}: {logical} {service}"
                    trusts += 1
        for logical, key in synthesized.resources("AWS::KMS::Key").items():
            for statement in _listed(key["Properties"]["KeyPolicy"]["Statement"]):
                service = str(statement.get("Principal", {}).get("Service", ""))
                if service in ("events.amazonaws.com", "cloudwatch.amazonaws.com"):
                    assert "aws:SourceAccount" in str(statement.get("Condition")), f"{name}: {logical} {service}"
                    keys += 1
        for logical, policy in synthesized.resources("AWS::SNS::TopicPolicy").items():
            statements = _statements(policy)
            for service in ("events.amazonaws.com", "cloudwatch.amazonaws.com"):
                allowed = [s for s in statements if s["Effect"] == "Allow" and service in str(s.get("Principal"))]
                if not allowed:
                    continue
                conditioned = all("aws:SourceAccount" in str(s.get("Condition")) for s in allowed) or any(
                    s["Effect"] == "Deny"
                    and service in str(s.get("Principal"))
                    and "aws:SourceAccount" in str(s.get("Condition", {}).get("StringNotEquals"))
                    for s in statements
                )
                assert conditioned, f"{name}: {logical} {service}"
                topics += 1
    assert (trusts >= 13, keys >= 4, topics >= 4) == (True, True, True), (trusts, keys, topics)


# -- 6. what a host's cfn-signal can do is bounded (docs/security.md, "Signals") -----------------------------


def test_signals_are_bounded_to_the_own_stack_and_never_replace_the_health_check(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    signalling = 0
    for name, synthesized in _apps(reference_app, examples).items():
        for stack_name, template in synthesized.templates.items():
            resources = template["Resources"]
            for logical, policy in resources.items():
                if policy["Type"] not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                    continue
                for statement in _statements(policy):
                    if "cloudformation:signalresource" not in str(statement["Action"]).lower():
                        continue
                    signalling += 1
                    where = f"{name}/{stack_name}: {logical}"
                    # its own stack only, and only as the single action of the statement
                    assert statement["Resource"] == {"Ref": "AWS::StackId"}, where
                    assert statement["Action"] == "cloudformation:SignalResource", where
                    # only fleet instance roles (never a build instance, a function or a blue/green host)
                    roles = [r["Ref"] for r in policy["Properties"].get("Roles", [])]
                    for role in roles:
                        trust = str(resources[role]["Properties"]["AssumeRolePolicyDocument"])
                        assert "ec2.amazonaws.com" in trust and "Api" not in role, where
            for logical, group in resources.items():
                if group["Type"] == "AWS::AutoScaling::AutoScalingGroup" and group["Properties"].get("TargetGroupARNs"):
                    # a forged success signal cannot keep an instance the load balancer finds unhealthy
                    assert group["Properties"]["HealthCheckType"] == "ELB", f"{name}/{stack_name}: {logical}"
    assert signalling >= 3  # the reference web fleet, minimal_fleet and golden_ami


# -- 9. smaller scopes ---------------------------------------------------------------------------------------


def test_operators_open_data_channels_of_their_own_sessions_only(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    checked = 0
    for name, synthesized in _apps(reference_app, examples).items():
        for _logical, statement in _all_statements(synthesized):
            if "ssmmessages:OpenDataChannel" in _listed(statement["Action"]) and statement.get("Sid") == (
                "OpenSessionDataChannel"
            ):
                condition = statement["Condition"]["StringLike"]
                assert condition == {"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"}, name
                checked += 1
    assert checked >= 2  # the reference app and one example grant operators a session policy


# -- 7. the endpoints are a data perimeter -------------------------------------------------------------------


def test_the_session_endpoints_reach_only_this_accounts_resources_and_the_aws_buckets_hosts_need(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    limited = 0
    for name, synthesized in _apps(reference_app, examples).items():
        for logical, endpoint in synthesized.resources("AWS::EC2::VPCEndpoint").items():
            service = str(endpoint["Properties"]["ServiceName"])
            if not any(s in service for s in (".s3", ".kms", ".logs")) or "Session" not in logical:
                continue
            statements = {s["Sid"]: s for s in endpoint["Properties"]["PolicyDocument"]["Statement"]}
            mine = statements["ThisAccountsResources"]
            assert list(mine["Condition"]["StringEquals"]) == ["aws:ResourceAccount"], f"{name}: {logical}"
            if ".s3" in service:
                aws = statements["AwsOwnedBucketsHostsRead"]
                assert aws["Action"] == "s3:GetObject"
                assert any("amazon-ssm-" in str(r) for r in aws["Resource"]), f"{name}: {logical}"
                assert sorted(statements) == ["AwsOwnedBucketsHostsRead", "ThisAccountsResources"]
            else:
                assert sorted(statements) == ["ThisAccountsResources"], f"{name}: {logical}"
            limited += 1
    assert limited >= 3


# -- 4. sessions run as a user without sudo -------------------------------------------------------------------


def test_sessions_run_as_a_user_the_fleet_creates_without_sudo(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    documents = 0
    for name, synthesized in _apps(reference_app, examples).items():
        users = set()
        for logical, document in synthesized.resources("AWS::SSM::Document").items():
            if document["Properties"].get("DocumentType") != "Session":
                continue
            inputs = document["Properties"]["Content"]["inputs"]
            assert inputs["runAsEnabled"] is True and inputs["runAsDefaultUser"] == "session-user", f"{name}: {logical}"
            users.add(inputs["runAsDefaultUser"])
            documents += 1
        if not users:
            continue
        user_data = [json.dumps(t["Properties"]["LaunchTemplateData"].get("UserData", "")) for t in
                     synthesized.resources("AWS::EC2::LaunchTemplate").values()]  # fmt: skip
        created = [u for u in user_data if "useradd --create-home --shell /bin/bash session-user" in u]
        assert created, f"{name}: no fleet creates session-user"
        assert not any("session-user" in u and ("sudoers" in u or "wheel" in u) for u in user_data), name
    assert documents >= 2


def test_break_glass_runs_sessions_as_ssm_user_and_both_at_once_is_refused() -> None:
    from aws_cdk import App, Stack

    from immutable_constructs import SessionManagerAccess
    from immutable_constructs.errors import ValidationError

    stack = Stack(App(), "S")
    SessionManagerAccess(stack, "Glass", run_as_ssm_user=True, endpoints=False)
    (document,) = [r for r in template_json(stack)["Resources"].values() if r["Type"] == "AWS::SSM::Document"]
    assert document["Properties"]["Content"]["inputs"]["runAsEnabled"] is False
    with pytest.raises(ValidationError, match="run_as_ssm_user"):
        SessionManagerAccess(stack, "Both", run_as_ssm_user=True, run_as_user="ops", endpoints=False)
