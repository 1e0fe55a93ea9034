"""TaintedHostReplacement: what the template promises (schedule, permissions, metrics, alarms), every
validation message, and a stack with both fleet kinds that passes both rule packs, cfn-lint and checkov."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Acknowledgment, App, CfnResource, Duration, Environment, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_events as events
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import lint

from immutable_constructs import BlueGreenFleet, FleetHealthCheck, ImmutableFleet, PinnedSsmImage, ValidationError
from immutable_constructs.drift import TaintedHostReplacement, _tainted_hosts_policy, tainted_hosts
from immutable_constructs.drift.tainted_hosts_handler import index
from immutable_constructs.nag import ImmutableInfrastructureChecks

from ..conftest import TEMPLATES, only, resources_of, template_json

VPC_CIDR = "10.30.0.0/16"


def fleets(
    stack: Stack, *, flow_logs: bool = False
) -> tuple[ImmutableFleet, BlueGreenFleet, elbv2.ApplicationListener]:
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        ip_addresses=ec2.IpAddresses.cidr(VPC_CIDR),
        max_azs=2,
        nat_gateways=1,
        flow_logs={"All": ec2.FlowLogOptions(traffic_type=ec2.FlowLogTrafficType.ALL)} if flow_logs else None,
    )
    web = ImmutableFleet(
        stack,
        "Web",
        vpc=vpc,
        machine_image=PinnedSsmImage("/images/web/stable", version=3),
        instance_type=ec2.InstanceType("t3.small"),
        health_check=FleetHealthCheck.http("http://localhost:8080/health"),
    )
    alb = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc, internet_facing=False, drop_invalid_header_fields=True)
    listener = alb.add_listener("Http", port=80, open=False)
    listener.connections.allow_default_port_from(ec2.Peer.ipv4(VPC_CIDR), "clients inside the VPC")
    target_group = listener.add_targets("Api", port=8080, protocol=elbv2.ApplicationProtocol.HTTP)
    api = BlueGreenFleet(
        stack,
        "Api",
        vpc=vpc,
        machine_image=PinnedSsmImage("/images/api/stable", version=4),
        instance_type=ec2.InstanceType("t3.small"),
        target_group=target_group,
        health_check=FleetHealthCheck.http("http://localhost:8080/health"),
    )
    return web, api, listener


@pytest.fixture(scope="module")
def built() -> tuple[Stack, TaintedHostReplacement, ImmutableFleet, BlueGreenFleet]:
    stack = Stack(App(), "Taint", env=Environment(account="123456789012", region="eu-west-1"))
    web, api, _ = fleets(stack)
    taint = TaintedHostReplacement(stack, "Taint", fleets=[web, api])
    return stack, taint, web, api


@pytest.fixture(scope="module")
def template(built: tuple[Stack, TaintedHostReplacement, ImmutableFleet, BlueGreenFleet]) -> dict[str, Any]:
    return template_json(built[0])


def statements(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    policy = only(template, "AWS::IAM::Policy", "TaintPolicy")
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def joined(value: Any) -> str:
    """An ARN built with Fn::Join, as text (``${Partition}`` for the partition)."""
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join("${Partition}" if isinstance(p, dict) else p for p in value["Fn::Join"][1])
    return str(value)


# -- defaults --------------------------------------------------------------------------------------------


def test_the_function_runs_every_five_minutes_on_python_3_14(template: dict[str, Any]) -> None:
    function = only(template, "AWS::Lambda::Function", "TaintFunction")["Properties"]
    assert function["Runtime"] == "python3.14"
    assert function["Handler"] == "index.handler"
    assert function["Timeout"] <= 300, "a run ends before the next one starts"
    rule = only(template, "AWS::Events::Rule", "TaintSchedule")["Properties"]
    assert rule["ScheduleExpression"] == "rate(5 minutes)"
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": [function_id(template), "Arn"]}
    permission = only(template, "AWS::Lambda::Permission", "TaintSchedule")["Properties"]
    assert permission["Principal"] == "events.amazonaws.com"
    assert only(template, "AWS::Logs::LogGroup", "TaintLogs")["Properties"]["RetentionInDays"] == 365


def function_id(template: dict[str, Any]) -> str:
    return next(iter(resources_of(template, "AWS::Lambda::Function", "TaintFunction")))


def test_the_function_watches_both_fleets_by_their_tag_with_a_one_hour_grace(
    built: tuple[Stack, TaintedHostReplacement, ImmutableFleet, BlueGreenFleet], template: dict[str, Any]
) -> None:
    _, taint, web, api = built
    env = only(template, "AWS::Lambda::Function", "TaintFunction")["Properties"]["Environment"]["Variables"]
    assert env["FLEET_TAG_KEY"] == "immutable-constructs:fleet" == web.instance_tag[0] == api.instance_tag[0]
    assert json.loads(env["FLEET_TAG_VALUES"]) == sorted([web.instance_tag[1], api.instance_tag[1]])
    assert env["GRACE_SECONDS"] == "3600"
    assert env["MARGIN_SECONDS"] == "1800"
    assert env["NAMESPACE"] == tainted_hosts.NAMESPACE
    assert env["WATCHER"] == taint.watcher
    config = index.Config.from_environment(env)  # the handler reads what the construct writes
    assert config.fleet_tag_values == tuple(sorted([web.instance_tag[1], api.instance_tag[1]]))
    assert taint.fleets == [web, api]
    assert taint.grace_period.to_seconds() == 3600


def test_both_fleets_tag_their_auto_scaling_groups_with_the_watched_tag(template: dict[str, Any]) -> None:
    """SetInstanceHealth is allowed on groups carrying the fleet tag: both kinds of fleet must put it there."""
    env = only(template, "AWS::Lambda::Function", "TaintFunction")["Properties"]["Environment"]["Variables"]
    values = json.loads(env["FLEET_TAG_VALUES"])
    group = only(template, "AWS::AutoScaling::AutoScalingGroup")["Properties"]
    assert {"Key": "immutable-constructs:fleet", "PropagateAtLaunch": True, "Value": values[1]} in group["Tags"]
    assert group["MaxInstanceLifetime"] and group["InstanceMaintenancePolicy"] == {
        "MinHealthyPercentage": 100,
        "MaxHealthyPercentage": 200,
    }, "a replacement is launched before the tainted host is terminated"
    deployment = only(template, "Custom::ImmutableBlueGreenFleet")["Properties"]
    assert (deployment["FleetTagKey"], deployment["FleetTagValue"]) == ("immutable-constructs:fleet", values[0])


def test_the_handler_and_the_construct_agree_on_the_taint_tags() -> None:
    assert (_tainted_hosts_policy.TAG_BY, _tainted_hosts_policy.TAG_AT) == (index.TAG_BY, index.TAG_AT)


def test_fleets_added_later_are_watched_once(vpc_stack: tuple[Stack, ImmutableFleet, BlueGreenFleet]) -> None:
    stack, web, api = vpc_stack
    taint = TaintedHostReplacement(stack, "Taint", fleets=[web])
    taint.add_fleet(api)
    taint.add_fleet(web)
    template = template_json(stack)
    env = only(template, "AWS::Lambda::Function", "TaintFunction")["Properties"]["Environment"]["Variables"]
    assert json.loads(env["FLEET_TAG_VALUES"]) == sorted([web.instance_tag[1], api.instance_tag[1]])
    tagging = statements(template)["TagTaintedHosts"]["Condition"]["StringEquals"]
    assert tagging == {"aws:ResourceTag/immutable-constructs:fleet": sorted([web.instance_tag[1], api.instance_tag[1]])}


@pytest.fixture
def vpc_stack() -> tuple[Stack, ImmutableFleet, BlueGreenFleet]:
    stack = Stack(App(), "Later")
    web, api, _ = fleets(stack)
    return stack, web, api


def environment(template: dict[str, Any]) -> dict[str, Any]:
    variables: dict[str, Any] = only(template, "AWS::Lambda::Function", "TaintFunction")["Properties"]["Environment"][
        "Variables"
    ]
    return variables


def test_a_tag_only_fleet_is_tagged_but_its_groups_are_never_reported_unhealthy(
    vpc_stack: tuple[Stack, ImmutableFleet, BlueGreenFleet],
) -> None:
    stack, web, api = vpc_stack
    taint = TaintedHostReplacement(stack, "Taint", fleets=[web], tag_only_fleets=[api])
    template = template_json(stack)
    env = environment(template)
    assert json.loads(env["FLEET_TAG_VALUES"]) == [web.instance_tag[1]]
    assert json.loads(env["TAG_ONLY_FLEET_TAG_VALUES"]) == [api.instance_tag[1]]
    config = index.Config.from_environment(env)
    assert config.replaces(web.instance_tag[1]) and not config.replaces(api.instance_tag[1])
    found = statements(template)
    tagged = found["TagTaintedHosts"]["Condition"]["StringEquals"]["aws:ResourceTag/immutable-constructs:fleet"]
    assert tagged == sorted([web.instance_tag[1], api.instance_tag[1]]), "both fleets' hosts are tagged"
    assert found["ReplaceTaintedHosts"]["Condition"] == {
        "StringEquals": {"autoscaling:ResourceTag/immutable-constructs:fleet": [web.instance_tag[1]]}
    }, "only the replaced fleet's groups may be told an instance is unhealthy"
    assert (taint.fleets, taint.tag_only_fleets) == ([web], [api])
    assert (taint.replaces(web), taint.replaces(api)) == (True, False)


def test_with_only_tag_only_fleets_there_is_no_replace_permission_until_a_fleet_is_replaced() -> None:
    stack = Stack(App(), "TagOnly")
    web, api, _ = fleets(stack)
    taint = TaintedHostReplacement(stack, "Taint", tag_only_fleets=[api])
    assert taint.replaces(web) is None
    template = template_json(stack)
    assert "ReplaceTaintedHosts" not in statements(template)
    assert json.loads(environment(template)["FLEET_TAG_VALUES"]) == []
    later = Stack(App(), "TagOnlyThenReplaced")  # an app synthesizes once: a second one, fleet added later
    web, api, _ = fleets(later)
    TaintedHostReplacement(later, "Taint", tag_only_fleets=[api]).add_fleet(web)
    found = statements(template_json(later))
    assert found["ReplaceTaintedHosts"]["Condition"]["StringEquals"] == {
        "autoscaling:ResourceTag/immutable-constructs:fleet": [web.instance_tag[1]]
    }


def test_replacement_is_chosen_once_per_fleet(vpc_stack: tuple[Stack, ImmutableFleet, BlueGreenFleet]) -> None:
    stack, web, api = vpc_stack
    taint = TaintedHostReplacement(stack, "Taint", fleets=[web], tag_only_fleets=[api])
    taint.add_fleet(web)
    taint.add_fleet(api, replace=False)  # the same choice again: nothing changes
    with pytest.raises(ValidationError, match=r"(?s)Later/Taint.*replace=False: Later/Web is already watched with "):
        taint.add_fleet(web, replace=False)
    with pytest.raises(ValidationError, match=r"replace=True: Later/Api is already watched with replace=False"):
        taint.add_fleet(api)
    with pytest.raises(ValidationError, match=r"add_fleet\(replace\)='no': must be True or False"):
        taint.add_fleet(api, replace="no")  # type: ignore[arg-type]
    assert (taint.fleets, taint.tag_only_fleets) == ([web], [api])


def test_grace_period_and_schedule_can_be_chosen(vpc_stack: tuple[Stack, ImmutableFleet, BlueGreenFleet]) -> None:
    stack, web, _ = vpc_stack
    TaintedHostReplacement(
        stack,
        "Taint",
        fleets=[web],
        grace_period=Duration.minutes(15),
        schedule=events.Schedule.cron(minute="*/10"),
    )
    template = template_json(stack)
    env = only(template, "AWS::Lambda::Function", "TaintFunction")["Properties"]["Environment"]["Variables"]
    assert env["GRACE_SECONDS"] == "900"
    rule = only(template, "AWS::Events::Rule", "TaintSchedule")["Properties"]
    assert rule["ScheduleExpression"] == "cron(*/10 * * * ? *)"
    alarm = only(template, "AWS::CloudWatch::Alarm", "TaintOverdueAlarm")["Properties"]
    assert "after its grace period (15 minutes)" in alarm["AlarmDescription"]


# -- permissions -----------------------------------------------------------------------------------------


def test_permissions_are_exactly_what_the_function_calls(template: dict[str, Any]) -> None:
    found = statements(template)
    actions = sorted(
        a for s in found.values() for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    )
    assert actions == [
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:SetInstanceHealth",
        "cloudwatch:PutMetricData",
        "ec2:CreateTags",
        "ec2:DescribeInstances",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "ssm:DescribeSessions",
    ]
    assert all(s["Effect"] == "Allow" for s in found.values())
    role = only(template, "AWS::IAM::Role", "TaintRole")["Properties"]
    assert "ManagedPolicyArns" not in role and "Policies" not in role, "no AWSLambdaBasicExecutionRole"
    function = only(template, "AWS::Lambda::Function", "TaintFunction")
    assert function["DependsOn"] == [next(iter(resources_of(template, "AWS::IAM::Policy", "TaintPolicy")))]


def test_tags_only_instances_of_the_watched_fleets_and_only_the_taint_tags(template: dict[str, Any]) -> None:
    tagging = statements(template)["TagTaintedHosts"]
    env = only(template, "AWS::Lambda::Function", "TaintFunction")["Properties"]["Environment"]["Variables"]
    assert joined(tagging["Resource"]) == "arn:${Partition}:ec2:eu-west-1:123456789012:instance/*"
    assert tagging["Condition"] == {
        "StringEquals": {"aws:ResourceTag/immutable-constructs:fleet": json.loads(env["FLEET_TAG_VALUES"])},
        "ForAllValues:StringEquals": {"aws:TagKeys": [index.TAG_BY, index.TAG_AT]},
    }


def test_reports_unhealthy_only_in_groups_carrying_a_watched_fleet_tag(template: dict[str, Any]) -> None:
    replacing = statements(template)["ReplaceTaintedHosts"]
    env = only(template, "AWS::Lambda::Function", "TaintFunction")["Properties"]["Environment"]["Variables"]
    assert replacing["Action"] == "autoscaling:SetInstanceHealth"
    assert joined(replacing["Resource"]) == (
        "arn:${Partition}:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/*"
    )
    assert replacing["Condition"] == {
        "StringEquals": {"autoscaling:ResourceTag/immutable-constructs:fleet": json.loads(env["FLEET_TAG_VALUES"])}
    }


def test_publishes_metrics_only_in_its_namespace_and_logs_only_to_its_group(template: dict[str, Any]) -> None:
    found = statements(template)
    assert found["PublishCounts"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "ImmutableConstructs/TaintedHosts"}
    }
    logs = found["Logs"]["Resource"]
    group = next(iter(resources_of(template, "AWS::Logs::LogGroup", "TaintLogs")))
    assert logs[0] == {"Fn::GetAtt": [group, "Arn"]}
    assert logs[1] == {"Fn::Join": ["", [{"Fn::GetAtt": [group, "Arn"]}, ":*"]]}
    assert found["ReadFleetsAndSessions"]["Action"] == [
        "ec2:DescribeInstances",
        "ssm:DescribeSessions",
        "autoscaling:DescribeAutoScalingInstances",
    ]


# -- metrics and alarms ----------------------------------------------------------------------------------


def test_alarm_when_a_tainted_host_outlives_grace_plus_margin(
    built: tuple[Stack, TaintedHostReplacement, ImmutableFleet, BlueGreenFleet], template: dict[str, Any]
) -> None:
    taint = built[1]
    alarm = only(template, "AWS::CloudWatch::Alarm", "TaintOverdueAlarm")["Properties"]
    assert alarm["Namespace"] == "ImmutableConstructs/TaintedHosts"
    assert alarm["MetricName"] == "OverdueTaintedHosts"
    assert alarm["Dimensions"] == [{"Name": "Watcher", "Value": taint.watcher}]
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "Maximum",
        1,
        "GreaterThanOrEqualToThreshold",
    )
    assert alarm["TreatMissingData"] == "notBreaching"
    assert "30 minutes after its grace period (1 hour)" in alarm["AlarmDescription"]
    assert taint.tainted_hosts_metric.metric_name == "TaintedHosts"
    assert taint.overdue_hosts_metric.metric_name == "OverdueTaintedHosts"
    assert taint.replacements_metric.metric_name == "ReplacementsRequested"
    assert set(index.METRICS) == {"TaintedHosts", "OverdueTaintedHosts", "ReplacementsRequested"}


def test_alarm_when_a_run_fails(template: dict[str, Any]) -> None:
    alarm = only(template, "AWS::CloudWatch::Alarm", "TaintErrorsAlarm")["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Lambda", "Errors", "Sum")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function_id(template)}}]
    assert alarm["Threshold"] == 1
    invoke = only(template, "AWS::Lambda::EventInvokeConfig", "TaintFunction")["Properties"]
    assert invoke["MaximumRetryAttempts"] == 0, "the next scheduled run is the retry"


# -- validation ------------------------------------------------------------------------------------------


def test_every_invalid_prop_is_reported_at_once(vpc_stack: tuple[Stack, ImmutableFleet, BlueGreenFleet]) -> None:
    stack, web, _ = vpc_stack
    vpc = next(c for c in stack.node.children if isinstance(c, ec2.Vpc))
    with pytest.raises(ValidationError) as raised:
        TaintedHostReplacement(
            stack,
            "Taint",
            fleets=[web, vpc],  # type: ignore[list-item]
            grace_period=Duration.days(8),
            schedule="rate(5 minutes)",  # type: ignore[arg-type]
        )
    message = str(raised.value)
    assert message.startswith("Later/Taint: 3 invalid prop problems:")
    assert "fleets[1]='a Vpc': is not an ImmutableFleet or BlueGreenFleet" in message
    assert "grace_period='Duration 8 days': is 8 days, must be from 0 seconds to 7 days" in message
    assert "schedule='rate(5 minutes)': must be a events.Schedule" in message


@pytest.mark.parametrize(
    ("fleets_prop", "expected"),
    [
        ([], "fleets=[]: is empty"),
        ("web", "fleets='web': must be a list of fleets"),
        (None, "fleets=None: must be a list of fleets"),
    ],
)
def test_fleets_must_be_a_non_empty_list(fleets_prop: Any, expected: str) -> None:
    stack = Stack(App(), "Empty")
    with pytest.raises(ValidationError, match=r"Empty/Taint: 1 invalid prop problem") as raised:
        TaintedHostReplacement(stack, "Taint", fleets=fleets_prop)
    assert expected in str(raised.value)


def test_a_session_target_with_another_tag_key_is_refused() -> None:
    class TeamFleet:
        instance_tag = ("team", "web")

    stack = Stack(App(), "Other")
    with pytest.raises(ValidationError, match=r"(?s)Other/Taint.*fleets\[0\]='a TeamFleet'.*instance_tag"):
        TaintedHostReplacement(stack, "Taint", fleets=[TeamFleet()])


def test_add_fleet_refuses_what_is_not_a_fleet(vpc_stack: tuple[Stack, ImmutableFleet, BlueGreenFleet]) -> None:
    stack, web, _ = vpc_stack
    taint = TaintedHostReplacement(stack, "Taint", fleets=[web])
    with pytest.raises(
        ValidationError,
        match=r"Later/Taint: 1 invalid prop problem.*\n  - add_fleet\(fleet\)='web': must be a TaintableFleet",
    ):
        taint.add_fleet("web")  # type: ignore[arg-type]


@pytest.mark.parametrize("grace", [Duration.seconds(0), Duration.days(7)])
def test_grace_period_bounds_are_accepted(grace: Duration) -> None:
    stack = Stack(App(), "Bounds")
    web, _, _ = fleets(stack)
    taint = TaintedHostReplacement(stack, "Taint", fleets=[web], grace_period=grace)
    assert taint.grace_period is grace


def test_grace_period_must_be_a_duration() -> None:
    stack = Stack(App(), "Kind")
    web, _, _ = fleets(stack)
    with pytest.raises(ValidationError, match=r"grace_period=3600: must be a cdk.Duration"):
        TaintedHostReplacement(stack, "Taint", fleets=[web], grace_period=3600)  # type: ignore[arg-type]


# -- rule packs, cfn-lint, checkov -----------------------------------------------------------------------


def test_a_stack_with_both_fleets_passes_both_rule_packs_cfn_lint_and_checkov() -> None:
    """Synthesized into build/templates, where `make test` runs cfn-lint and checkov over it too."""
    outdir = TEMPLATES / "tainted-hosts"
    shutil.rmtree(outdir, ignore_errors=True)
    app = App(outdir=str(outdir))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ImmutableInfrastructureChecks())
    stack = Stack(app, "TaintedHosts", env=Environment(region="eu-west-1"))
    web, api, listener = fleets(stack, flow_logs=True)
    alb = listener.load_balancer
    access_logs = s3.Bucket(
        stack,
        "AlbAccessLogs",
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        versioned=True,
    )
    Validations.of(access_logs).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-S1",
            reason="This bucket receives the ALB's access logs; logging its own access would need yet another bucket.",
        )
    )
    alb.log_access_logs(access_logs, prefix="alb")
    cfn_listener = listener.node.default_child
    assert isinstance(cfn_listener, CfnResource)
    cfn_listener.add_metadata(
        "checkov",
        {
            "skip": [
                {"id": "CKV_AWS_2", "comment": "Internal HTTP listener: the test stack has no certificate."},
                {"id": "CKV_AWS_103", "comment": "No TLS policy applies to an HTTP listener."},
            ]
        },
    )
    # The fixture fleet publishes no scaling notifications (ImmutableFleet(notification_topic=...), an
    # encrypted topic whose key Auto Scaling may use, as app.py does): the app's choice, not this construct's.
    Validations.of(web).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-AS3",
            reason="Test fixture: scaling notifications go to a topic the app chooses; app.py passes one.",
        )
    )
    TaintedHostReplacement(stack, "Taint", fleets=[web, api])
    assembly = app.synth()  # raises on any unacknowledged finding of either pack
    report = json.loads((outdir / "validation-report.json").read_text())
    ours = [
        v
        for r in report["pluginReports"]
        for v in r.get("suppressedViolations", [])
        if any("/Taint/" in c["constructPath"] for c in v["violatingConstructs"])
    ]
    assert {v["ruleName"].split("[")[0] for v in ours} <= {"AwsSolutions-IAM5"}, "only reasoned wildcard findings"
    assert all(len(v["reason"]) >= 40 for v in ours)
    template = assembly.get_stack_by_name("TaintedHosts").template
    matches = lint(json.dumps(template), regions=["eu-west-1"])
    assert [f"{m.rule.id} {m.message}" for m in matches] == []
    assert list(Path(outdir).glob("TaintedHosts.template.json"))
