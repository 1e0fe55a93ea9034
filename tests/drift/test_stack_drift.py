"""StackDriftAlarm: what a platform team relies on when it adds drift alarms to a stack."""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack, Validations
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks
from hypothesis import given, settings
from hypothesis import strategies as st

from immutable_constructs.drift import StackDriftAlarm
from immutable_constructs.errors import ValidationError
from immutable_constructs.nag import ImmutableInfrastructureChecks

from ..conftest import TEMPLATES, logical_id, only, only_item, resources_of, template_json

NAMESPACE = "ImmutableConstructs/StackDrift"


def build(**props: Any) -> tuple[Stack, StackDriftAlarm, dict[str, Any]]:
    app = App()
    stack = Stack(app, "Shop", env={"account": "123456789012", "region": "eu-west-1"})
    drift = StackDriftAlarm(stack, "Drift", **props)
    return stack, drift, template_json(stack)


@pytest.fixture(scope="module")
def default() -> tuple[Stack, StackDriftAlarm, dict[str, Any]]:
    return build()


def statements(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The statements of every IAM policy of the template, by Sid (the detection and the read policies)."""
    return {
        s["Sid"]: s
        for policy in resources_of(template, "AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    }


def test_five_lines_watch_the_own_stack_daily(default: tuple[Stack, StackDriftAlarm, dict[str, Any]]) -> None:
    stack, drift, template = default
    assert drift.stack_names == ("Shop",)
    rule = only(template, "AWS::Events::Rule")["Properties"]
    assert rule["ScheduleExpression"] == "rate(1 day)"
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": [logical_id(stack, drift.function), "Arn"]}
    function = only(template, "AWS::Lambda::Function")["Properties"]
    assert function["Runtime"] == "python3.14"
    assert function["Timeout"] == 300
    assert json.loads(function["Environment"]["Variables"]["STACK_NAMES"]) == ["Shop"]
    assert function["Environment"]["Variables"]["NAMESPACE"] == NAMESPACE


def test_the_alarm_fires_on_a_drifted_stack_and_keeps_its_state_on_missing_data(
    default: tuple[Stack, StackDriftAlarm, dict[str, Any]],
) -> None:
    stack, drift, template = default
    alarm = template["Resources"][logical_id(stack, drift.alarm)]["Properties"]
    assert alarm["Namespace"] == NAMESPACE
    assert alarm["MetricName"] == "StackDrifted"
    assert alarm["Dimensions"] == [{"Name": "StackName", "Value": "Shop"}]
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "Maximum",
        1,
        "GreaterThanOrEqualToThreshold",
    )
    assert alarm["TreatMissingData"] == "ignore"
    topic = {"Ref": logical_id(stack, drift.topic)}  # type: ignore[arg-type]
    assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic]
    assert "describe-stack-resource-drifts --stack-name Shop" in alarm["AlarmDescription"]
    assert drift.alarms == {"Shop": drift.alarm}


def test_a_failed_check_alarms_too(default: tuple[Stack, StackDriftAlarm, dict[str, Any]]) -> None:
    stack, drift, template = default
    alarm = template["Resources"][logical_id(stack, drift.check_failed_alarm)]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Lambda", "Errors", "Sum")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": logical_id(stack, drift.function)}}]
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [{"Ref": logical_id(stack, drift.topic)}]  # type: ignore[arg-type]


def test_topic_is_encrypted_ssl_only_and_cloudwatch_may_publish_and_use_the_key(
    default: tuple[Stack, StackDriftAlarm, dict[str, Any]],
) -> None:
    stack, drift, template = default
    assert drift.key is not None
    key_id = logical_id(stack, drift.key)
    topic = only(template, "AWS::SNS::Topic")["Properties"]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    key = only(template, "AWS::KMS::Key")["Properties"]
    assert key["EnableKeyRotation"] is True
    (cloudwatch_on_key,) = [s for s in key["KeyPolicy"]["Statement"] if s.get("Sid") == "CloudWatchAlarmsPublish"]
    assert cloudwatch_on_key["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(cloudwatch_on_key["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    policy = only(template, "AWS::SNS::TopicPolicy")["Properties"]["PolicyDocument"]["Statement"]
    by_sid = {s.get("Sid"): s for s in policy}
    publish = by_sid["CloudWatchAlarmsPublish"]
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Action"] == "sns:Publish"
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert (
        publish["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Join"][1][-1]
        == ":cloudwatch:eu-west-1:123456789012:alarm:*"
    )
    assert cloudwatch_on_key["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    ssl = [s for s in policy if s["Effect"] == "Deny"]
    assert ssl and ssl[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_function_reads_what_drift_detection_reads_and_nothing_more_is_granted_broadly(
    default: tuple[Stack, StackDriftAlarm, dict[str, Any]],
) -> None:
    stack, drift, template = default
    role = template["Resources"][logical_id(stack, drift.role)]["Properties"]  # type: ignore[arg-type]
    assert "ManagedPolicyArns" not in role  # no ReadOnlyAccess (issue 28)
    granted = statements(template)
    assert sorted(granted) == [
        "DecryptWatchedResources",
        "DetectDrift",
        "Logs",
        "PublishDriftMetrics",
        "ReadDetectionStatus",
        "ReadGetFunctionOfWatched",
        "ReadWatchedResources",
    ]
    assert sorted(granted["DetectDrift"]["Action"]) == [
        "cloudformation:DescribeStacks",
        "cloudformation:DetectStackDrift",
        "cloudformation:DetectStackResourceDrift",
    ]
    assert granted["DetectDrift"]["Resource"] == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":cloudformation:eu-west-1:123456789012:stack/Shop/*"]]
    }
    assert granted["ReadDetectionStatus"]["Action"] == "cloudformation:DescribeStackDriftDetectionStatus"
    metrics = granted["PublishDriftMetrics"]
    assert metrics["Action"] == "cloudwatch:PutMetricData"
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": NAMESPACE}}
    log_group = logical_id(stack, drift.function.log_group)
    assert granted["Logs"]["Resource"] == {"Fn::GetAtt": [log_group, "Arn"]}


def test_only_w3037_is_silenced_and_only_on_the_generated_read_policy(
    default: tuple[Stack, StackDriftAlarm, dict[str, Any]],
) -> None:
    # The schemas' read handlers name a few actions cfn-lint's IAM data does not list (managed-fleets:Get*);
    # `make cfn-lint` would warn on every template with a drift alarm. Nothing else may be silenced.
    _, _, template = default
    silenced = {
        name: resource["Metadata"]["cfn-lint"]
        for name, resource in template["Resources"].items()
        if "cfn-lint" in resource.get("Metadata", {})
    }
    assert list(silenced.values()) == [{"config": {"ignore_checks": ["W3037"]}}]
    (name,) = silenced
    assert template["Resources"][name]["Type"] == "AWS::IAM::Policy" and name.startswith("DriftReadPolicy")


def test_the_handler_publishes_in_the_namespace_the_policy_allows() -> None:
    from immutable_constructs.drift.stack_drift_handler import index

    assert index.NAMESPACE == NAMESPACE == StackDriftAlarm.NAMESPACE


def test_other_stacks_by_object_and_by_name() -> None:
    app = App()
    env = {"account": "123456789012", "region": "eu-west-1"}
    network = Stack(app, "Network", env=env)
    ops = Stack(app, "Ops", env=env)
    drift = StackDriftAlarm(ops, "Drift", stacks=[network, "legacy-dns"], schedule="cron(0 4 * * ? *)")
    template = template_json(ops)
    assert drift.stack_names == ("Network", "legacy-dns")
    assert sorted(drift.alarms) == ["Network", "legacy-dns"]
    dimensions = [a["Properties"]["Dimensions"] for a in resources_of(template, "AWS::CloudWatch::Alarm").values()]
    assert [{"Name": "StackName", "Value": "legacy-dns"}] in dimensions
    assert only(template, "AWS::Events::Rule")["Properties"]["ScheduleExpression"] == "cron(0 4 * * ? *)"
    arns = statements(template)["DetectDrift"]["Resource"]
    assert [a["Fn::Join"][1][-1] for a in arns] == [
        ":cloudformation:eu-west-1:123456789012:stack/Network/*",
        ":cloudformation:eu-west-1:123456789012:stack/legacy-dns/*",
    ]


def test_escape_hatches_topic_role_schedule_object_and_more_alarm_actions() -> None:
    app = App()
    stack = Stack(app, "Shop")
    pager = sns.Topic(stack, "Pager")
    oncall = sns.Topic(stack, "OnCall")
    role = iam.Role(stack, "MyRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    drift = StackDriftAlarm(
        stack,
        "Drift",
        topic=pager,
        role=role,
        schedule=events.Schedule.rate(Duration.hours(6)),
        timeout=Duration.minutes(10),
        log_retention=logs.RetentionDays.ONE_MONTH,
    )
    drift.add_alarm_action(cw_actions.SnsAction(oncall))
    template = template_json(stack)
    assert drift.topic is pager and drift.key is None and drift.role is role
    assert resources_of(template, "AWS::KMS::Key") == {}
    for alarm in resources_of(template, "AWS::CloudWatch::Alarm").values():
        assert {"Ref": logical_id(stack, oncall)} in alarm["Properties"]["AlarmActions"]
        assert {"Ref": logical_id(stack, pager)} in alarm["Properties"]["AlarmActions"]
    assert only(template, "AWS::Events::Rule")["Properties"]["ScheduleExpression"] == "rate(6 hours)"
    assert only(template, "AWS::Lambda::Function")["Properties"]["Timeout"] == 600
    assert only(template, "AWS::Logs::LogGroup")["Properties"]["RetentionInDays"] == 30
    policy = only(template, "AWS::IAM::Policy")["Properties"]
    assert policy["Roles"] == [{"Ref": logical_id(stack, role)}], "the scoped statements go on the user's role"
    assert "ManagedPolicyArns" not in template["Resources"][logical_id(stack, role)]["Properties"]
    Annotations.from_stack(stack).has_warning("/Shop/Drift", Match.string_like_regexp("needs read access"))


def test_an_immutable_imported_role_is_told_to_add_the_statements_itself() -> None:
    app = App()
    stack = Stack(app, "Shop")
    role = iam.Role.from_role_arn(stack, "Imported", "arn:aws:iam::123456789012:role/drift", mutable=False)
    StackDriftAlarm(stack, "Drift", role=role)
    assert resources_of(stack, "AWS::IAM::Policy") == {}
    Annotations.from_stack(stack).has_warning(
        "/Shop/Drift", Match.string_like_regexp("mutable=False does not get this construct's statements")
    )


@pytest.mark.parametrize(
    ("props", "prop", "text"),
    [
        ({"stacks": []}, "stacks", "is empty"),
        ({"stacks": "Shop"}, "stacks", "pass a list: stacks=['Shop']"),
        ({"stacks": ["arn:aws:cloudformation:eu-west-1:1:stack/x/y"]}, "stacks[0]", "not a CloudFormation stack name"),
        ({"stacks": ["Shop", "Shop"]}, "stacks[1]", "is listed twice"),
        ({"stacks": [42]}, "stacks[0]", "is not a Stack or a stack name"),
        ({"stacks": ["a" * 129]}, "stacks[0]", "longer than 128"),
        ({"schedule": "every day"}, "schedule", "is not a schedule expression"),
        ({"schedule": "rate(5 minutes)"}, "schedule", "more often than hourly"),
        ({"schedule": events.Schedule.rate(Duration.minutes(10))}, "schedule", "more often than hourly"),
        ({"topic": "arn:aws:sns:eu-west-1:123456789012:t"}, "topic", "is not an SNS topic"),
        ({"role": "drift-role"}, "role", "is not an IAM role"),
        ({"timeout": 300}, "timeout", "must be a Duration"),
        ({"timeout": Duration.minutes(20)}, "timeout", "from 1 to 15 minutes"),
        ({"log_retention": 30}, "log_retention", "is not a logs.RetentionDays"),
    ],
)
def test_invalid_props_raise_one_clear_error(props: dict[str, Any], prop: str, text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build(**props)
    error = caught.value
    assert error.construct_path == "Shop/Drift"
    (problem,) = [p for p in error.problems if p.prop == prop]
    assert text in str(problem), str(error)
    assert problem.fix


def test_every_problem_is_reported_together() -> None:
    with pytest.raises(ValidationError) as caught:
        build(stacks=["ok", "bad name"], schedule="rate(1 minute)", timeout=Duration.seconds(10))
    assert [p.prop for p in caught.value.problems] == ["stacks[1]", "schedule", "timeout"]


def test_a_stack_in_another_region_is_refused() -> None:
    app = App()
    other = Stack(app, "Other", env={"account": "123456789012", "region": "us-east-1"})
    here = Stack(app, "Here", env={"account": "123456789012", "region": "eu-west-1"})
    with pytest.raises(ValidationError, match=r"stacks\[0\]='Other': is in 123456789012/us-east-1"):
        StackDriftAlarm(here, "Drift", stacks=[other])


def test_too_many_stacks_for_the_function_environment_are_refused() -> None:
    names = [f"stack-{i:03d}-{'x' * 100}" for i in range(40)]
    with pytest.raises(ValidationError, match="split them over two StackDriftAlarm constructs"):
        build(stacks=names)


def test_metric_helpers_name_the_documented_metrics(default: tuple[Stack, StackDriftAlarm, dict[str, Any]]) -> None:
    stack, drift, _ = default
    metric = stack.resolve(drift.metric_drifted("Shop").to_metric_config().metric_stat)
    assert (metric["namespace"], metric["metricName"], metric["dimensions"]) == (
        NAMESPACE,
        "StackDrifted",
        [{"name": "StackName", "value": "Shop"}],
    )
    resources = stack.resolve(drift.metric_drifted_resources("Shop").to_metric_config().metric_stat)
    assert resources["metricName"] == "DriftedResources"


def test_passes_both_rule_packs_with_only_reasoned_acknowledgements() -> None:
    # Synthesized into build/templates, where `make test` runs cfn-lint and checkov over it too.
    outdir = TEMPLATES / "stack-drift"
    shutil.rmtree(outdir, ignore_errors=True)
    app = App(outdir=str(outdir))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ImmutableInfrastructureChecks())
    stack = Stack(app, "Shop", env={"account": "123456789012", "region": "eu-west-1"})
    StackDriftAlarm(stack, "Drift")
    app.synth()  # raises on any unacknowledged finding
    report_file = outdir / "validation-report.json"
    reports = json.loads(report_file.read_text())["pluginReports"] if report_file.exists() else []
    assert all(r["violations"] == [] for r in reports)
    acknowledged = {
        (v["ruleName"], c["constructPath"])
        for r in reports
        for v in r.get("suppressedViolations", [])
        for c in v["violatingConstructs"]
    }
    assert acknowledged == {
        ("AwsSolutions-IAM5[Resource::*]", "Shop/Drift/Role/DefaultPolicy/Resource"),
        ("AwsSolutions-IAM5[Resource::*]", "Shop/Drift/ReadPolicy/Resource"),
        (
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:eu-west-1:123456789012:stack/Shop/*]",
            "Shop/Drift/Role/DefaultPolicy/Resource",
        ),
    }


def test_the_function_asset_is_the_handler_directory(default: tuple[Stack, StackDriftAlarm, dict[str, Any]]) -> None:
    _, _, template = default
    logical, function = only_item(template, "AWS::Lambda::Function")
    assert function["Properties"]["Handler"] == "index.handler"
    assert logical.startswith("DriftFunction")
    Template.from_json(template).resource_count_is("AWS::CloudWatch::Alarm", 2)


# -- generated props: a ValidationError or a construct, never a crash from deep inside ---------------

names = st.one_of(
    st.from_regex(r"[A-Za-z][-A-Za-z0-9]{0,20}", fullmatch=True),
    st.text(max_size=30),
    st.integers(),
    st.none(),
)
schedules = st.one_of(
    st.sampled_from(["rate(1 day)", "rate(2 hours)", "rate(1 hours)", "rate(59 minutes)", "cron(0 4 * * ? *)"]),
    st.from_regex(r"rate\([0-9]{1,3} (minute|minutes|hour|hours|day|days)\)", fullmatch=True),
    st.text(max_size=30),
    st.integers(),
)
timeouts = st.one_of(st.builds(Duration.seconds, st.integers(0, 2000)), st.integers(), st.none())


@settings(max_examples=int(os.environ.get("DRIFT_FUZZ_EXAMPLES", "30")), deadline=None, derandomize=True)
@given(stacks=st.none() | st.lists(names, max_size=4) | names, schedule=schedules, timeout=timeouts)
def test_generated_props_raise_validation_error_or_build(stacks: Any, schedule: Any, timeout: Any) -> None:
    app = App()
    stack = Stack(app, "Shop")
    try:
        drift = StackDriftAlarm(stack, "Drift", stacks=stacks, schedule=schedule, timeout=timeout)
    except ValidationError as error:
        assert error.problems and all(p.fix for p in error.problems)
        return
    template = template_json(stack)
    watched = json.loads(
        only(template, "AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]["STACK_NAMES"]
    )
    assert watched == list(drift.stack_names) and len(drift.alarms) == len(watched)
