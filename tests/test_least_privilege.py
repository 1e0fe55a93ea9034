"""Issue 28: no principal can do more than its job, checked on the synthesized reference app and examples."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from immutable_constructs.drift._read_policy import LEGACY, SCOPED, WITHHELD, actions_for, read_permissions

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
                assert read["Action"] == [
                    a for a in expected if a.lower() not in SCOPED and a.lower() not in WITHHELD
                ], f"{name}/{stack_name}/{logical}"
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
    assert checked == 7  # one drift alarm per stack of the app and the examples (golden_ami's images stack has none)


def test_the_images_stack_drift_role_decrypts_its_pipeline_keys_through_image_builder_only(
    reference_app: Synthesized,
) -> None:
    """Issue 23 item 4: a KMS-encrypted Image Builder component needs kms:Decrypt for drift detection."""
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
        for logical, statement in _all_statements(synthesized):
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
