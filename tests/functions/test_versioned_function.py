"""VersionedFunction: what a team relies on when it releases a Lambda function as a new version behind an alias."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs

from immutable_constructs import AlarmTopic, ValidationError, VersionedFunction
from immutable_constructs.nag import ImmutableInfrastructureChecks

from ..conftest import logical_id, only, only_item, resources_of, template_json

SOURCE = "def handler(event, context):\n    return {'statusCode': 200}\n"
FAKE_KEY = "AKIA" + "Q" * 16  # built at run time so no scanner flags this file


def props(**extra: Any) -> dict[str, Any]:
    return {
        "runtime": lambda_.Runtime.PYTHON_3_13,
        "handler": "index.handler",
        "code": lambda_.Code.from_inline(SOURCE),
        **extra,
    }


def new_stack() -> Stack:
    return Stack(App(), "Orders", env={"account": "123456789012", "region": "eu-west-1"})


@pytest.fixture(scope="module")
def default() -> tuple[Stack, VersionedFunction, dict[str, Any]]:
    stack = new_stack()
    function = VersionedFunction(stack, "Api", **props())
    return stack, function, template_json(stack)


def policy_statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in resources_of(template, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_alias_follows_the_current_version_through_codedeploy(default: Any) -> None:
    stack, function, template = default
    alias = only(template, "AWS::Lambda::Alias")
    version_id, _ = only_item(template, "AWS::Lambda::Version")
    assert alias["Properties"]["Name"] == "live"
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
    update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update["DeploymentGroupName"] == {"Ref": logical_id(stack, function.deployment_group)}
    group = only(template, "AWS::CodeDeploy::DeploymentGroup")["Properties"]
    assert group["DeploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    assert group["DeploymentStyle"] == {"DeploymentOption": "WITH_TRAFFIC_CONTROL", "DeploymentType": "BLUE_GREEN"}
    assert group["AutoRollbackConfiguration"] == {
        "Enabled": True,
        "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST", "DEPLOYMENT_STOP_ON_ALARM"],
    }
    alarms = [a["Name"] for a in group["AlarmConfiguration"]["Alarms"]]
    assert alarms == [{"Ref": logical_id(stack, a)} for a in (function.error_alarm, function.throttle_alarm,
                                                               function.duration_alarm)]  # fmt: skip


def test_rollback_alarms_watch_the_alias_release_an_idle_function_and_reach_the_topic(default: Any) -> None:
    stack, _, template = default
    topic = {"Ref": logical_id(stack, AlarmTopic.of(stack).topic)}
    found = resources_of(template, "AWS::CloudWatch::Alarm").values()
    alarms = {a["Properties"]["MetricName"]: a["Properties"] for a in found}
    assert set(alarms) == {"Errors", "Throttles", "Duration"}
    for alarm in alarms.values():
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic]
        resource = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}["Resource"]
        assert resource["Fn::Join"][1][-1] == ":live"  # the alias's metrics, not the whole function's
    assert alarms["Duration"]["Threshold"] == 24_000  # 80 % of the 30-second default timeout, p99
    assert alarms["Duration"]["ExtendedStatistic"] == "p99"
    assert alarms["Errors"]["Threshold"] == 1 and alarms["Errors"]["Statistic"] == "Sum"


def test_codedeploy_may_move_only_this_alias(default: Any) -> None:
    """AWSCodeDeployRoleForLambdaLimited's actions, each on this function and alias (Lambda deployments)."""
    stack, function, template = default
    role_id = logical_id(stack, function.deployment_role)
    role = template["Resources"][role_id]["Properties"]
    assert "ManagedPolicyArns" not in role  # not the managed policy: it may move every alias of the account
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "codedeploy.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}} or trust["Condition"][
        "StringEquals"
    ] == {"aws:SourceAccount": "123456789012"}
    source_arn = trust["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Join"][1]
    assert {"Ref": logical_id(stack, function.application)} in source_arn
    statements = {s["Sid"]: s for s in policy_statements(template, role_id)}
    function_arn = {"Fn::GetAtt": [logical_id(stack, function.function), "Arn"]}
    assert statements["MoveAlias"]["Action"] == ["lambda:GetAlias", "lambda:UpdateAlias"]
    assert statements["MoveAlias"]["Resource"] == [function_arn, {"Fn::Join": ["", [function_arn, ":live"]]}]
    assert statements["ReadProvisionedConcurrency"]["Resource"][0] == function_arn
    assert statements["ReadAlarms"]["Action"] == "cloudwatch:DescribeAlarms"
    actions = {a for s in statements.values() for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert "sns:Publish" not in actions and "lambda:InvokeFunction" not in actions  # no triggers, no hooks
    group = only(template, "AWS::CodeDeploy::DeploymentGroup")
    assert group["Properties"]["ServiceRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    policy_id = logical_id(stack, function.deployment_policy)
    assert template["Resources"][policy_id]["Properties"]["Roles"] == [{"Ref": role_id}]
    # Moving the alias starts a release: not before CodeDeploy may move it.
    assert policy_id in only(template, "AWS::Lambda::Alias")["DependsOn"]


def test_the_function_writes_only_its_own_retained_log_group(default: Any) -> None:
    stack, function, template = default
    assert function.log_group is not None
    log_id = logical_id(stack, function.log_group)
    group = template["Resources"][log_id]
    assert group["Properties"]["RetentionInDays"] == 365 and group["DeletionPolicy"] == "Retain"
    props_ = template["Resources"][logical_id(stack, function.function)]["Properties"]
    assert props_["LoggingConfig"]["LogGroup"] == {"Ref": log_id}
    assert props_["Timeout"] == 30 and props_["MemorySize"] == 256
    role_id = props_["Role"]["Fn::GetAtt"][0]
    assert "ManagedPolicyArns" not in template["Resources"][role_id]["Properties"]
    assert policy_statements(template, role_id) == [
        {"Sid": "WriteOwnLogs", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Effect": "Allow",
         "Resource": {"Fn::GetAtt": [log_id, "Arn"]}},
    ]  # fmt: skip


def test_the_rule_pack_finds_nothing(default: Any) -> None:
    _, _, template = default
    assert [f.rule_id for f in ImmutableInfrastructureChecks().check_template(template)] == []


def test_unchanged_code_keeps_the_version_and_a_change_publishes_a_new_one() -> None:
    def version_id(source: str, memory: int = 256) -> str:
        stack = new_stack()
        VersionedFunction(stack, "Api", **props(code=lambda_.Code.from_inline(source), memory_size=memory))
        return only_item(template_json(stack), "AWS::Lambda::Version")[0]

    assert version_id(SOURCE) == version_id(SOURCE)
    assert version_id(SOURCE) != version_id(SOURCE + "# v2\n")
    assert version_id(SOURCE) != version_id(SOURCE, memory=512)  # configuration too


def test_callers_get_the_alias_never_the_unqualified_function() -> None:
    stack = new_stack()
    function = VersionedFunction(stack, "Api", **props())
    function.add_event_source(sources.SqsEventSource(sqs.Queue(stack, "Orders")))
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    function.grant_invoke(caller)
    url = function.add_function_url()
    template = template_json(stack)
    alias_ref = {"Ref": logical_id(stack, function.alias)}
    mapping = only(template, "AWS::Lambda::EventSourceMapping")["Properties"]
    assert mapping["FunctionName"]["Fn::Join"][1][-1] == ":live"
    caller_statements = policy_statements(template, logical_id(stack, caller))
    (invoke,) = [s for s in caller_statements if s["Action"] == "lambda:InvokeFunction"]
    assert invoke["Resource"] == alias_ref
    url_props = template["Resources"][logical_id(stack, url)]["Properties"]
    assert url_props["Qualifier"] == "live" and url_props["AuthType"] == "AWS_IAM"
    findings = ImmutableInfrastructureChecks().check_template(template)
    assert [f.rule_id for f in findings] == []


def test_hooks_config_and_provisioned_concurrency() -> None:
    stack = new_stack()
    pre = lambda_.Function(stack, "Smoke", **props())
    post = lambda_.Function(stack, "Verify", **props())
    function = VersionedFunction(
        stack, "Api", **props(), pre_traffic_hook=pre, post_traffic_hook=post, provisioned_concurrency=5,
        deployment_config=codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_1_MINUTE, alias_name="prod",
    )  # fmt: skip
    extra = cloudwatch.Alarm(stack, "Orders", metric=cloudwatch.Metric(namespace="Shop", metric_name="Failed"),
                             threshold=1, evaluation_periods=1)  # fmt: skip
    function.add_alarm(extra)
    template = template_json(stack)
    alias = only(template, "AWS::Lambda::Alias")
    assert alias["Properties"]["Name"] == "prod"
    assert alias["Properties"]["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 5}
    update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update["BeforeAllowTrafficHook"] == {"Ref": logical_id(stack, pre)}
    assert update["AfterAllowTrafficHook"] == {"Ref": logical_id(stack, post)}
    group = only(template, "AWS::CodeDeploy::DeploymentGroup")["Properties"]
    assert group["DeploymentConfigName"] == "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"
    assert {"Name": {"Ref": logical_id(stack, extra)}} in group["AlarmConfiguration"]["Alarms"]
    assert extra in function.alarms
    statements = policy_statements(template, logical_id(stack, function.deployment_role))
    (invoke,) = [s for s in statements if s["Action"] == "lambda:InvokeFunction"]
    assert invoke["Resource"] == [{"Fn::GetAtt": [logical_id(stack, h), "Arn"]} for h in (pre, post)]
    for hook in (pre, post):  # each hook reports its verdict to this deployment group
        hook_role = template["Resources"][logical_id(stack, hook)]["Properties"]["Role"]["Fn::GetAtt"][0]
        actions = [s["Action"] for s in policy_statements(template, hook_role)]
        assert "codedeploy:PutLifecycleEventHookExecutionStatus" in actions


def test_an_existing_function_is_released_as_it_is() -> None:
    stack = new_stack()
    existing = lambda_.Function(stack, "Existing", **props(), architecture=lambda_.Architecture.ARM_64)
    function = VersionedFunction(stack, "Api", function=existing)
    assert function.function is existing and function.log_group is None
    template = template_json(stack)
    assert only(template, "AWS::Lambda::Alias")["Properties"]["FunctionName"] == {"Ref": logical_id(stack, existing)}
    assert len(resources_of(template, "AWS::Lambda::Function")) == 1


def test_function_options_reach_the_function() -> None:
    stack = new_stack()
    arm = {"architecture": lambda_.Architecture.ARM_64}
    function = VersionedFunction(stack, "Api", **props(), function_options=arm, timeout=Duration.seconds(10),
                                 log_retention=logs.RetentionDays.ONE_MONTH)  # fmt: skip
    template = template_json(stack)
    assert template["Resources"][logical_id(stack, function.function)]["Properties"]["Architectures"] == ["arm64"]
    alarms = resources_of(template, "AWS::CloudWatch::Alarm").values()
    (duration,) = [a for a in alarms if a["Properties"]["MetricName"] == "Duration"]
    assert duration["Properties"]["Threshold"] == 8_000


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"runtime": None}, r"runtime.*is required for a new function"),
        ({"alias_name": "42"}, r"alias_name.*does not match"),
        ({"timeout": Duration.minutes(16)}, r"timeout.*must be from 1 second to 15 minutes"),
        ({"environment": {"DB_PASSWORD": "hunter2-but-longer"}}, r"environment\['DB_PASSWORD'\].*Secrets Manager"),
        ({"environment": {"AWS_KEY": FAKE_KEY}}, r"environment\['AWS_KEY'\]"),
        ({"function_options": {"timeout": Duration.seconds(3)}}, r"function_options\['timeout'\].*pass timeout="),
        ({"provisioned_concurrency": 0}, r"provisioned_concurrency.*at least 1"),
    ],
)
def test_bad_props_name_path_prop_and_fix(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message) as raised:
        VersionedFunction(new_stack(), "Api", **{**props(), **extra})
    assert "Orders/Api" in str(raised.value)


def test_an_existing_function_takes_no_new_function_props() -> None:
    stack = new_stack()
    existing = lambda_.Function(stack, "Existing", **props())
    with pytest.raises(ValidationError, match=r"handler.*function= is given.*Orders/Existing") as raised:
        VersionedFunction(stack, "Api", function=existing, handler="index.other")
    assert "runtime" not in str(raised.value)
    other = lambda_.Function(Stack(stack.node.root, "Other"), "Elsewhere", **props())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"function.*is in stack Other"):
        VersionedFunction(stack, "Api2", function=other)


def test_a_secret_read_at_run_time_passes() -> None:
    stack = new_stack()
    VersionedFunction(stack, "Api", **props(environment={"DB_PASSWORD_SECRET_ARN": "arn:aws:secretsmanager:x",
                                                         "TABLE": "orders"}))  # fmt: skip
