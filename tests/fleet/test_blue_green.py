"""BlueGreenFleet: what the template promises, every validation message, and the reference app."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk.assertions import Annotations, Match, Template
from cfnlint.api import lint

from immutable_constructs import BlueGreenFleet, FleetHealthCheck, PinnedSsmImage, ValidationError
from immutable_constructs.fleet._revision import APPSPEC, HEALTH_CHECK_SCRIPT, revision_directory

from ..conftest import Synthesized, only

CUSTOM = "Custom::ImmutableBlueGreenFleet"


def network(stack: Stack) -> tuple[ec2.Vpc, elbv2.ApplicationTargetGroup]:
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    alb = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc)
    listener = alb.add_listener("Http", port=80, open=False)
    target_group = listener.add_targets("Api", port=8080, protocol=elbv2.ApplicationProtocol.HTTP)
    return vpc, target_group


@pytest.fixture(scope="module")
def default_stack() -> Stack:
    stack = Stack(App(), "Web")
    vpc, target_group = network(stack)
    BlueGreenFleet(
        stack,
        "Api",
        vpc=vpc,
        machine_image=PinnedSsmImage("/images/api/stable", version=4),
        instance_type=ec2.InstanceType("t3.small"),
        target_group=target_group,
        health_check=FleetHealthCheck.http("http://localhost:8080/health"),
    )
    return stack


@pytest.fixture(scope="module")
def template(default_stack: Stack) -> Template:
    return Template.from_stack(default_stack)


@pytest.fixture(scope="module")
def options_template() -> Template:
    stack = Stack(App(), "Options")
    vpc, target_group = network(stack)
    extra = cloudwatch.Alarm(
        stack,
        "Latency",
        metric=target_group.metrics.target_response_time(),
        threshold=1,
        evaluation_periods=1,
    )
    BlueGreenFleet(
        stack,
        "Api",
        vpc=vpc,
        machine_image=PinnedSsmImage("/images/api/stable", version=4),
        instance_type=ec2.InstanceType("t3.small"),
        target_group=target_group,
        health_check=FleetHealthCheck.command("systemctl is-active --quiet api"),
        deployment_config=codedeploy.ServerDeploymentConfig.HALF_AT_A_TIME,
        keep_old_fleet=True,
        termination_wait=Duration.minutes(0),
        manual_reroute_wait=Duration.minutes(15),
        alarms=[extra],
        desired_capacity=3,
        min_capacity=3,
        max_capacity=6,
    )
    return Template.from_stack(stack)


# -- ownership --------------------------------------------------------------------------------


def test_cloudformation_owns_the_application_and_no_auto_scaling_group(template: Template) -> None:
    template.has_resource_properties("AWS::CodeDeploy::Application", {"ComputePlatform": "Server"})
    template.resource_count_is("AWS::AutoScaling::AutoScalingGroup", 0)
    template.resource_count_is("AWS::AutoScaling::LaunchConfiguration", 0)
    template.resource_count_is("AWS::CodeDeploy::DeploymentGroup", 0)
    template.resource_count_is(CUSTOM, 1)


def test_the_custom_resource_describes_a_blue_green_deployment_group(template: Template) -> None:
    template.has_resource_properties(
        CUSTOM,
        {
            "DeploymentType": "BLUE_GREEN",
            "DeploymentOption": "WITH_TRAFFIC_CONTROL",
            "GreenFleetProvisioning": "COPY_AUTO_SCALING_GROUP",
            "AutoRollbackEvents": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
            "DeploymentConfigName": "CodeDeployDefault.OneAtATime",
            "LaunchTemplateVersion": {
                "Fn::GetAtt": [Match.string_like_regexp("ApiLaunchTemplate"), "LatestVersionNumber"]
            },
            "AlarmNames": [
                {"Ref": Match.string_like_regexp("ApiUnhealthyHostsAlarm")},
                {"Ref": Match.string_like_regexp("ApiServerErrorsAlarm")},
                {"Ref": Match.string_like_regexp("ApiCpuAlarm")},
            ],
            "KeepBlue": "false",
            "TerminationWaitMinutes": "5",
            "ReadyWaitMinutes": "0",
            "MinSize": "2",
            "MaxSize": "4",
            "DesiredCapacity": "",
            "MaxInstanceLifetime": str(14 * 86400),
            "HealthCheckGracePeriod": "300",
            "DeploymentGroupName": Match.string_like_regexp("^Web-Api-"),
        },
    )


def test_options_reach_the_custom_resource(options_template: Template) -> None:
    options_template.has_resource_properties(
        CUSTOM,
        {
            "DeploymentConfigName": "CodeDeployDefault.HalfAtATime",
            "KeepBlue": "true",
            "TerminationWaitMinutes": "0",
            "ReadyWaitMinutes": "15",
            "MinSize": "3",
            "MaxSize": "6",
            "DesiredCapacity": "3",
            "AlarmNames": Match.array_with([{"Ref": Match.string_like_regexp("Latency")}]),
        },
    )
    names = only(options_template, CUSTOM)["Properties"]["AlarmNames"]
    assert len(names) == 4  # the 3 standard rollback alarms (not the agent silence) and the one given


def test_default_alarms_watch_the_target_group(template: Template) -> None:
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "UnHealthyHostCount",
            "Threshold": 1,
            "EvaluationPeriods": 3,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "HTTPCode_Target_5XX_Count", "Threshold": 10, "Statistic": "Sum", "EvaluationPeriods": 2},
    )


def test_the_stack_waits_for_the_deployment(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Lambda::Function", {"Handler": "index.on_event", "Runtime": "python3.14", "Timeout": 300}
    )
    template.has_resource_properties("AWS::Lambda::Function", {"Handler": "index.is_complete", "Runtime": "python3.14"})
    machine = only(template, "AWS::StepFunctions::StateMachine")["Properties"]
    assert machine["TracingConfiguration"] == {"Enabled": True}
    assert machine["LoggingConfiguration"]["Level"] == "ALL"
    definition = json.dumps(machine["DefinitionString"])
    assert '\\"IntervalSeconds\\":30' in definition
    assert '\\"MaxAttempts\\":100' in definition, "30 s polls for 50 minutes"


# -- the launch template and the network -----------------------------------------------------


def test_launch_template_is_hardened_and_tags_every_instance(template: Template) -> None:
    data = only(template, "AWS::EC2::LaunchTemplate")["Properties"]["LaunchTemplateData"]
    assert data["MetadataOptions"] == {
        "HttpEndpoint": "enabled",
        "HttpPutResponseHopLimit": 1,
        "HttpTokens": "required",
    }
    assert "KeyName" not in data
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
    assert data["NetworkInterfaces"][0]["AssociatePublicIpAddress"] is False
    assert data["ImageId"] == "{{resolve:ssm:/images/api/stable:4}}"
    assert {spec["ResourceType"] for spec in data["TagSpecifications"]} == {"instance", "volume"}
    for spec in data["TagSpecifications"]:
        fleet_tags = [t["Value"] for t in spec["Tags"] if t["Key"] == "immutable-constructs:fleet"]
        assert fleet_tags and fleet_tags[0].startswith("WebApi")
    user_data = json.dumps(data["UserData"])
    assert HEALTH_CHECK_SCRIPT in user_data
    assert "curl -fsS" in user_data and "http://localhost:8080/health" in user_data
    assert "cfn-signal" not in user_data, "no CloudFormation resource waits for a signal"


def test_only_the_load_balancer_reaches_the_fleet(template: Template) -> None:
    groups = template.find_resources("AWS::EC2::SecurityGroup")
    fleet_groups = [g for k, g in groups.items() if k.startswith("ApiSecurityGroup")]
    assert len(fleet_groups) == 1 and "SecurityGroupIngress" not in fleet_groups[0]["Properties"]
    ingress = [
        r["Properties"]
        for k, r in template.find_resources("AWS::EC2::SecurityGroupIngress").items()
        if "ApiSecurityGroup" in json.dumps(r["Properties"]["GroupId"])
    ]
    assert len(ingress) == 1
    assert ingress[0]["FromPort"] == ingress[0]["ToPort"] == 8080
    assert "AlbSecurityGroup" in json.dumps(ingress[0]["SourceSecurityGroupId"])


# -- IAM ----------------------------------------------------------------------------------------


def policy_statements(template: Template, prefix: str) -> list[dict[str, Any]]:
    (policy,) = [p for k, p in template.find_resources("AWS::IAM::Policy").items() if k.startswith(prefix)]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def test_handler_may_touch_only_its_own_deployment_group_and_groups(template: Template) -> None:
    statements = {s["Sid"]: s for s in policy_statements(template, "ApiHandlerPolicy")}
    arn = json.dumps(statements["OwnTheDeploymentGroup"]["Resource"])
    # issue 20: the handler tags the deployment group with the request that owns it, and reads the tag back
    assert {"codedeploy:TagResource", "codedeploy:ListTagsForResource"} <= set(
        statements["OwnTheDeploymentGroup"]["Action"]
    )
    assert re.search(r'":deploymentgroup:", \{"Ref": "ApiApplication\w+"\}, "/Web-Api-\w+"', arn), arn
    resources = json.dumps(statements["OwnTheFleetGroups"]["Resource"])
    assert "autoScalingGroupName/Web-Api-" in resources and "autoScalingGroupName/CodeDeploy_Web-Api-" in resources
    assert "autoScalingGroup:*:" in resources
    assert "deploymentconfig:CodeDeployDefault.OneAtATime" in json.dumps(statements["ReadDeploymentConfigs"])
    assert set(statements["ReadFleetState"]["Action"]) == {
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeScalingActivities",
        "elasticloadbalancing:DescribeTargetHealth",
    }
    # issue 28: each role passed only to the service that uses it
    assert "ApiInstanceRole" in json.dumps(statements["PassInstanceRole"]["Resource"])
    assert statements["PassInstanceRole"]["Condition"] == {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
    assert "ApiCodeDeployRole" in json.dumps(statements["PassCodeDeployRole"]["Resource"])
    assert statements["PassCodeDeployRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "codedeploy.amazonaws.com"}
    }
    assert_launch_bound_to_the_template(statements, "LaunchFirstGroup")


def assert_launch_bound_to_the_template(statements: dict[str, Any], sid: str) -> None:
    """RunInstances only from the launch template, images of this account or Amazon, tags on create."""
    template_statement = statements[f"{sid}Template"]
    assert template_statement["Action"] == "ec2:RunInstances"
    template_arn = template_statement["Resource"]
    assert ":launch-template/" in json.dumps(template_arn)
    for name in (f"{sid}FromTemplate", f"{sid}Image"):
        assert statements[name]["Action"] == "ec2:RunInstances"
        assert statements[name]["Condition"]["ArnLike"] == {"ec2:LaunchTemplate": template_arn}
    image = statements[f"{sid}Image"]
    assert "::image/*" in json.dumps(image["Resource"])
    assert image["Condition"]["Bool"] == {"ec2:IsLaunchTemplateResource": "true"}
    assert image["Condition"]["StringEquals"]["ec2:Owner"][1] == "amazon"
    tags = statements[f"{sid}TagOnCreate"]
    assert tags["Action"] == "ec2:CreateTags"
    assert tags["Condition"] == {"StringEquals": {"ec2:CreateAction": "RunInstances"}}
    unconditioned = [
        s for s in statements.values() if "ec2:RunInstances" in json.dumps(s["Action"]) and "Condition" not in s
    ]
    assert unconditioned == [template_statement]


def test_codedeploy_role_is_scoped_to_the_fleet_and_trusts_only_its_deployment_group(template: Template) -> None:
    (role,) = [
        r
        for r in template.find_resources("AWS::IAM::Role").values()
        if "codedeploy.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])
    ]
    assert "ManagedPolicyArns" not in role["Properties"]  # no AWSCodeDeployRole (issue 28)
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert list(trust["Condition"]["StringEquals"]) == ["aws:SourceAccount"]
    assert ":deploymentgroup:" in json.dumps(trust["Condition"]["ArnLike"]["aws:SourceArn"])
    statements = {s["Sid"]: s for s in policy_statements(template, "ApiCodeDeployLaunchPolicy")}
    assert_launch_bound_to_the_template(statements, "LaunchGreenFleet")
    assert "ApiInstanceRole" in json.dumps(statements["PassInstanceRole"]["Resource"])
    assert statements["PassInstanceRole"]["Condition"] == {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
    groups = json.dumps(statements["ManageFleetGroups"]["Resource"])
    assert "autoScalingGroupName/Web-Api-" in groups and "autoScalingGroupName/CodeDeploy_Web-Api-" in groups
    assert "autoscaling:DeleteAutoScalingGroup" in statements["ManageFleetGroups"]["Action"]
    terminate = statements["TerminateFleetInstances"]
    assert terminate["Action"] == "ec2:TerminateInstances"
    assert list(terminate["Condition"]["StringEquals"]) == ["aws:ResourceTag/immutable-constructs:fleet"]
    traffic = statements["MoveFleetTraffic"]
    assert "Ref" in json.dumps(traffic["Resource"]) and "*" not in json.dumps(traffic["Resource"])
    wildcard = [s["Sid"] for s in statements.values() if s["Resource"] == "*"]
    assert wildcard == ["ReadFleetState"]
    assert all(":Describe" in a or a == "tag:GetResources" for a in statements["ReadFleetState"]["Action"])


def test_instances_may_read_exactly_the_revision(template: Template) -> None:
    statements = {s.get("Sid"): s for s in policy_statements(template, "ApiAgentPolicy")}
    revision = statements["CodeDeployAgentRevision"]
    assert revision["Action"] == "s3:GetObject"
    assert re.search(r"/[0-9a-f]{64}\.zip", json.dumps(revision["Resource"])), "one object, no wildcard"


def test_the_custom_resource_is_deleted_before_its_permissions(template: Template) -> None:
    depends_on = only(template, CUSTOM)["DependsOn"]
    for prefix in ("ApiHandlerPolicy", "ApiCodeDeployLaunchPolicy", "ApiAgentPolicy", "VpcPrivateSubnet1DefaultRoute"):
        assert any(d.startswith(prefix) for d in depends_on), prefix


def test_template_is_cfn_lint_clean(default_stack: Stack) -> None:
    template = App.of(default_stack).synth().get_stack_by_name("Web").template  # type: ignore[union-attr]
    matches = lint(json.dumps(template), regions=["us-east-1"])
    assert [f"{m.rule.id} {m.message}" for m in matches] == []


# -- the revision --------------------------------------------------------------------------------


def test_revision_runs_the_health_check_in_validate_service() -> None:
    directory = Path(revision_directory())
    assert (directory / "appspec.yml").read_text() == APPSPEC
    assert "ValidateService" in APPSPEC and "location: validate.sh" in APPSPEC
    script = directory / "validate.sh"
    assert os.stat(script).st_mode & stat.S_IXUSR
    assert f"exec {HEALTH_CHECK_SCRIPT}" in script.read_text()


def test_same_revision_gives_the_same_asset(template: Template, options_template: Template) -> None:
    def key(t: Template) -> str:
        return str(only(t, CUSTOM)["Properties"]["RevisionKey"])

    assert key(template) == key(options_template)


# -- warnings and validation -------------------------------------------------------------------


@pytest.fixture(scope="module")
def scratch() -> tuple[Stack, ec2.Vpc, elbv2.ApplicationTargetGroup]:
    stack = Stack(App(), "Scratch")
    vpc, target_group = network(stack)
    return stack, vpc, target_group


def make(scratch: tuple[Stack, ec2.Vpc, elbv2.ApplicationTargetGroup], **props: Any) -> BlueGreenFleet:
    stack, vpc, target_group = scratch
    make.count = getattr(make, "count", 0) + 1  # type: ignore[attr-defined]
    defaults: dict[str, Any] = {
        "vpc": vpc,
        "machine_image": PinnedSsmImage("/images/api/stable", version=1),
        "instance_type": ec2.InstanceType("t3.small"),
        "target_group": target_group,
        "health_check": FleetHealthCheck.http("http://localhost:8080/health"),
    }
    return BlueGreenFleet(stack, f"Fleet{make.count}", **{**defaults, **props})  # type: ignore[attr-defined]


def test_missing_health_check_is_a_warning() -> None:
    stack = Stack(App(), "NoCheck")
    vpc, target_group = network(stack)
    BlueGreenFleet(
        stack,
        "Api",
        vpc=vpc,
        machine_image=PinnedSsmImage("/images/api/stable", version=1),
        instance_type=ec2.InstanceType("t3.small"),
        target_group=target_group,
    )
    Annotations.from_stack(stack).has_warning(
        "/NoCheck/Api", Match.string_like_regexp("immutable-constructs:blueGreenWithoutHealthCheck")
    )


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"min_capacity": 0}, r"min_capacity=0: must be at least 1"),
        # The capacity checks are the ones ImmutableFleet makes (one set in fleet/_checks.py).
        ({"min_capacity": 3, "max_capacity": 2}, r"max_capacity=2: is below min_capacity \(3\)"),
        ({"min_capacity": 3, "desired_capacity": 2}, r"desired_capacity=2: is below min_capacity \(3\)"),
        ({"desired_capacity": 5, "max_capacity": 4}, r"max_capacity=4: is below desired_capacity \(5\)"),
        ({"min_capacity": 0}, r"min_capacity=0: must be at least 1 \(CodeDeploy needs instances to validate\)"),
        # The interval check is FleetHealthCheck's own, so both fleets make it.
        (
            {"health_check": FleetHealthCheck.http("http://localhost/health", interval=Duration.millis(500))},
            r"health_check.interval='500 millis': must be at least 1 second",
        ),
        ({"deployment_timeout": Duration.hours(2)}, r"deployment_timeout=.*must be from 5 to 50 minutes"),
        ({"termination_wait": Duration.seconds(90)}, r"termination_wait=.*must be whole minutes from 0 to 2 days"),
        (
            {"termination_wait": Duration.minutes(45)},
            r"termination_wait=.*plus 20 minutes to launch and validate the green fleet exceeds deployment_timeout",
        ),
        ({"manual_reroute_wait": Duration.seconds(30)}, r"manual_reroute_wait=.*from 1 minute to 2 days"),
        (
            {"manual_reroute_wait": Duration.minutes(50)},
            r"manual_reroute_wait=.*plus 20 minutes exceeds deployment_timeout",
        ),
        ({"max_instance_lifetime": Duration.hours(1)}, r"max_instance_lifetime=.*from 1 day to 365 days"),
        ({"health_check_grace_period": Duration.hours(3)}, r"health_check_grace_period=.*from 0 to 2 hours"),
        ({"imds_hop_limit": 0}, r"imds_hop_limit=0: must be an integer from 1 to 64"),
        (
            {"health_check": FleetHealthCheck.http("http://localhost/health", timeout=Duration.hours(1))},
            r"health_check.timeout=.*shorter than 1 hour, the ValidateService hook's timeout",
        ),
        (
            {"vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)},
            r"vpc_subnets='public subnets': would give instances a route from the internet",
        ),
    ],
)
def test_invalid_props_are_refused(
    scratch: tuple[Stack, ec2.Vpc, elbv2.ApplicationTargetGroup], props: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        make(scratch, **props)


def test_too_many_alarms_are_refused(scratch: tuple[Stack, ec2.Vpc, elbv2.ApplicationTargetGroup]) -> None:
    stack, _, target_group = scratch
    alarms = [
        cloudwatch.Alarm(
            stack, f"Alarm{i}", metric=target_group.metrics.request_count(), threshold=1, evaluation_periods=1
        )
        for i in range(8)
    ]
    with pytest.raises(
        ValidationError, match=r"alarms='8 alarms': plus the 3 standard alarms exceed CodeDeploy's limit"
    ):
        make(scratch, alarms=alarms)


def test_keep_old_fleet_lifts_the_termination_wait_limit(
    scratch: tuple[Stack, ec2.Vpc, elbv2.ApplicationTargetGroup],
) -> None:
    fleet = make(scratch, termination_wait=Duration.hours(4), keep_old_fleet=True)
    assert fleet.deployment_group_name.startswith("Scratch-Fleet")


def test_all_problems_are_reported_together(scratch: tuple[Stack, ec2.Vpc, elbv2.ApplicationTargetGroup]) -> None:
    with pytest.raises(ValidationError, match=r"4 invalid prop problems") as raised:
        make(scratch, min_capacity=0, imds_hop_limit=99, deployment_timeout=Duration.minutes(1))
    assert raised.value.construct_path.startswith("Scratch/Fleet")


# -- the reference app --------------------------------------------------------------------------


def test_reference_app_releases_the_api_fleet_blue_green(reference_app: Synthesized) -> None:
    (application,) = reference_app.resources("AWS::CodeDeploy::Application").values()
    assert application["Properties"]["ComputePlatform"] == "Server"
    (deployment,) = reference_app.resources(CUSTOM).values()
    props = deployment["Properties"]
    assert (props["DeploymentType"], props["DeploymentOption"]) == ("BLUE_GREEN", "WITH_TRAFFIC_CONTROL")
    assert props["AutoRollbackEvents"] == ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
    assert len(props["AlarmNames"]) == 3  # unhealthy hosts, 5xx, CPU (not the agent silence: issue 23)
    alarms = reference_app.resources("AWS::CloudWatch::Alarm")
    for ref in props["AlarmNames"]:
        assert ref["Ref"] in alarms
    metrics = {a["Properties"]["MetricName"] for a in alarms.values()}
    assert {"UnHealthyHostCount", "HTTPCode_Target_5XX_Count"} <= metrics
    templates = [lt for k, lt in reference_app.resources("AWS::EC2::LaunchTemplate").items() if "ApiFleet" in k]
    assert templates[0]["Properties"]["LaunchTemplateData"]["ImageId"] == "{{resolve:ssm:/images/api/stable:1}}"


def test_reference_app_routes_api_traffic_to_the_blue_green_target_group(reference_app: Synthesized) -> None:
    (rule,) = reference_app.resources("AWS::ElasticLoadBalancingV2::ListenerRule").values()
    assert rule["Properties"]["Conditions"] == [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}]


def test_reference_app_acknowledges_only_reasoned_iam_findings_for_the_api_fleet(reference_app: Synthesized) -> None:
    assert reference_app.report is not None
    (solutions,) = [r for r in reference_app.report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    api = [v for v in solutions["suppressedViolations"] if "/ApiFleet/" in v["violatingConstructs"][0]["constructPath"]]
    assert api, "the blue/green fleet's IAM findings are acknowledged one by one"
    assert {v["ruleName"].split("[")[0] for v in api} <= {"AwsSolutions-IAM4", "AwsSolutions-IAM5"}
    assert all(len(v["reason"]) >= 40 for v in api)
    assert not any(v["ruleName"] == "AwsSolutions-IAM5" for v in api), "no rule-level IAM5 acknowledgement"


def test_blue_green_example_passes_aws_solutions(examples: dict[str, Synthesized]) -> None:
    example = examples["blue_green"]
    assert example.report is not None
    (solutions,) = [r for r in example.report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert solutions["conclusion"] == "success"
    rules = {v["ruleName"].split("[")[0] for v in solutions["suppressedViolations"]}
    assert rules <= {"AwsSolutions-IAM4", "AwsSolutions-IAM5", "AwsSolutions-S1"}
    (deployment,) = example.resources(CUSTOM).values()
    assert deployment["Properties"]["DeploymentConfigName"] == "CodeDeployDefault.HalfAtATime"
    assert len(deployment["Properties"]["AlarmNames"]) == 4
