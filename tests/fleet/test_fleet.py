"""ImmutableFleet: every default a user relies on, every strategy, every validation message."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import App, CfnParameter, Duration, Environment, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template

from immutable_constructs import FleetHealthCheck, FleetUpdate, ImmutableFleet, PinnedSsmImage, ValidationError

from ..conftest import only

IMAGE = PinnedSsmImage("/images/web/stable", version=17)
T3 = ec2.InstanceType("t3.micro")


def user_data_text(launch_template: dict[str, Any]) -> str:
    """The user data script with CloudFormation intrinsics rendered as <...>."""
    encoded = launch_template["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]
    parts = [encoded] if isinstance(encoded, str) else encoded["Fn::Join"][1]
    return "".join(p if isinstance(p, str) else "<" + json.dumps(p) + ">" for p in parts)


@pytest.fixture(scope="module")
def synth() -> dict[str, Any]:
    """One stack with one fleet per configuration, synthesized once for the module."""
    app = App()
    stack = Stack(app, "Fleets")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    alb = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc, internet_facing=True)
    target_group = elbv2.ApplicationTargetGroup(
        stack, "Tg", vpc=vpc, port=8080, protocol=elbv2.ApplicationProtocol.HTTP, target_type=elbv2.TargetType.INSTANCE
    )
    alb.add_listener("Http", port=80).add_target_groups("Default", target_groups=[target_group])
    key = kms.Key(stack, "VolumeKey", enable_key_rotation=True)
    existing_role = iam.Role(stack, "ExistingRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    topic = sns.Topic(stack, "Topic")
    alarm = cloudwatch.Alarm(
        stack,
        "Alarm",
        metric=cloudwatch.Metric(namespace="App", metric_name="Errors"),
        threshold=1,
        evaluation_periods=1,
    )

    ImmutableFleet(stack, "Basic", vpc=vpc, machine_image=IMAGE, instance_type=T3)
    ImmutableFleet(
        stack,
        "Web",
        vpc=vpc,
        machine_image=IMAGE,
        instance_type=T3,
        health_check=FleetHealthCheck.http("http://localhost:8080/health"),
        target_groups=[target_group],
        volume_key=key,
        imds_hop_limit=2,
        role=existing_role,
        notification_topic=topic,
    )
    ImmutableFleet(
        stack,
        "Rolling",
        vpc=vpc,
        machine_image=IMAGE,
        instance_type=T3,
        desired_capacity=3,
        max_capacity=5,
        update=FleetUpdate.rolling(max_batch_size=2),
        health_check=FleetHealthCheck.command("systemctl is-active --quiet app"),
        signal_timeout=Duration.minutes(20),
    )
    ImmutableFleet(
        stack,
        "Refresh",
        vpc=vpc,
        machine_image=IMAGE,
        instance_type=T3,
        update=FleetUpdate.instance_refresh(checkpoint_percentages=[50, 100], alarms=[alarm]),
        max_instance_lifetime=Duration.days(7),
    )
    template = Template.from_stack(stack)
    return {
        "template": template,
        "json": template.to_json(),
        "groups": template.find_resources("AWS::AutoScaling::AutoScalingGroup"),
        "templates": template.find_resources("AWS::EC2::LaunchTemplate"),
        "annotations": Annotations.from_stack(stack),
    }


# -- launch template defaults ---------------------------------------------------------


def test_launch_template_is_hardened_by_default(synth: dict[str, Any]) -> None:
    data = only(synth["json"], "AWS::EC2::LaunchTemplate", "BasicLaunchTemplate")["Properties"]["LaunchTemplateData"]
    assert data["MetadataOptions"] == {
        "HttpEndpoint": "enabled",
        "HttpPutResponseHopLimit": 1,
        "HttpTokens": "required",
    }
    assert "KeyName" not in data
    assert data["NetworkInterfaces"][0]["AssociatePublicIpAddress"] is False
    assert data["Monitoring"] == {"Enabled": True}
    assert data["BlockDeviceMappings"] == [
        {
            "DeviceName": "/dev/xvda",
            "Ebs": {"DeleteOnTermination": True, "Encrypted": True, "VolumeSize": 20, "VolumeType": "gp3"},
        }
    ]
    assert data["ImageId"] == "{{resolve:ssm:/images/web/stable:17}}"


def test_never_a_launch_configuration(synth: dict[str, Any]) -> None:
    synth["template"].resource_count_is("AWS::AutoScaling::LaunchConfiguration", 0)
    for group in synth["groups"].values():
        assert "LaunchTemplate" in group["Properties"]
        assert group["Properties"]["LaunchTemplate"]["Version"] == {
            "Fn::GetAtt": [group["Properties"]["LaunchTemplate"]["LaunchTemplateId"]["Ref"], "LatestVersionNumber"]
        }


def test_no_key_pair_anywhere(synth: dict[str, Any]) -> None:
    assert "KeyName" not in json.dumps(synth["json"])
    synth["template"].resource_count_is("AWS::EC2::KeyPair", 0)


def test_customer_key_and_hop_limit(synth: dict[str, Any]) -> None:
    data = only(synth["json"], "AWS::EC2::LaunchTemplate", "WebLaunchTemplate")["Properties"]["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 2
    ebs = data["BlockDeviceMappings"][0]["Ebs"]
    assert ebs["Encrypted"] is True
    assert "Fn::GetAtt" in ebs["KmsKeyId"] and ebs["KmsKeyId"]["Fn::GetAtt"][0].startswith("VolumeKey")


# -- group defaults ------------------------------------------------------------------------


def test_default_update_replaces_whole_fleet_gated_by_signals(synth: dict[str, Any]) -> None:
    group = only(synth["json"], "AWS::AutoScaling::AutoScalingGroup", "BasicGroup")
    assert group["UpdatePolicy"]["AutoScalingReplacingUpdate"] == {"WillReplace": True}
    assert group["CreationPolicy"]["ResourceSignal"] == {"Count": 2, "Timeout": "PT15M"}
    props = group["Properties"]
    assert (props["MinSize"], props["MaxSize"]) == ("2", "4")
    assert "DesiredCapacity" not in props
    assert props["MaxInstanceLifetime"] == 14 * 86400
    assert props["InstanceMaintenancePolicy"] == {"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200}
    assert props["HealthCheckType"] == "EC2"


def test_fleet_launches_into_private_subnets(synth: dict[str, Any]) -> None:
    for group in synth["groups"].values():
        subnets = [s["Ref"] for s in group["Properties"]["VPCZoneIdentifier"]]
        assert subnets and all("PrivateSubnet" in s for s in subnets), subnets


def test_instances_carry_the_fleet_tag(synth: dict[str, Any]) -> None:
    tags = only(synth["json"], "AWS::AutoScaling::AutoScalingGroup", "WebGroup")["Properties"]["Tags"]
    fleet_tags = [t for t in tags if t["Key"] == "immutable-constructs:fleet"]
    assert len(fleet_tags) == 1 and fleet_tags[0]["PropagateAtLaunch"] is True
    assert fleet_tags[0]["Value"].startswith("FleetsWeb")


def test_user_data_signals_only_after_health_check(synth: dict[str, Any]) -> None:
    script = user_data_text(only(synth["json"], "AWS::EC2::LaunchTemplate", "WebLaunchTemplate"))
    assert script.startswith("#!/bin/bash")
    assert "trap exitTrap EXIT" in script
    assert re.search(r"/opt/aws/bin/cfn-signal --stack Fleets --resource WebGroupASG\w+ --region", script)
    assert "-e $exitCode" in script
    check = script.index("curl -fsS -o /dev/null --max-time 5 http://localhost:8080/health")
    assert script.index("trap exitTrap EXIT") < check
    assert "exit 1" in script[check:] and script.rstrip().endswith("done")


def test_commands_added_later_run_after_the_check_and_before_the_signal(stack: Stack, vpc: ec2.Vpc) -> None:
    fleet = make(stack, vpc, health_check=FleetHealthCheck.command("true"))
    fleet.user_data.add_commands("echo released > /var/run/released")
    launch_template = next(iter(Template.from_stack(stack).find_resources("AWS::EC2::LaunchTemplate").values()))
    script = user_data_text(launch_template)
    assert script.index("until ( true ); do") < script.index("echo released")
    assert "exit 0" not in script, "nothing may end the script before commands added later"


def test_command_health_check_rendered(synth: dict[str, Any]) -> None:
    script = user_data_text(only(synth["json"], "AWS::EC2::LaunchTemplate", "RollingLaunchTemplate"))
    assert "until ( systemctl is-active --quiet app ); do" in script
    assert "ic_deadline=$((SECONDS + 600))" in script


def test_warns_when_no_health_check(synth: dict[str, Any]) -> None:
    synth["annotations"].has_warning("/Fleets/Basic", Match.string_like_regexp("No health_check"))
    warnings = synth["annotations"].find_warning("/Fleets/Web", Match.string_like_regexp("No health_check"))
    assert warnings == []


def test_instance_role_has_scoped_session_manager_policy(synth: dict[str, Any]) -> None:
    role = only(synth["json"], "AWS::IAM::Role", "BasicInstanceRole")
    assert "ManagedPolicyArns" not in role["Properties"]
    text = json.dumps(synth["json"])
    assert "AmazonSSMManagedInstanceCore" not in text
    policy = only(synth["json"], "AWS::IAM::Policy", "BasicAgentPolicy")
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    # ssm:GetParameter only on the fleet's own CloudWatch agent configuration, never on every parameter.
    readers = [s for s in statements.values() if "ssm:GetParameter" in json.dumps(s["Action"])]
    assert [s["Sid"] for s in readers] == ["CloudWatchAgentConfiguration"]
    assert "BasicAgentConfig" in json.dumps(readers[0]["Resource"]) and '"*"' not in json.dumps(readers[0]["Resource"])
    assert statements["SessionManagerAgentChannels"]["Action"] == [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ]
    assert statements["SessionManagerAgentRegistration"]["Action"] == "ssm:UpdateInstanceInformation"
    assert statements["CloudWatchAgentMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "ImmutableConstructs/FleetsBasicD367C9CE"}
    }
    log_resources = json.dumps(statements["CloudWatchAgentLogs"]["Resource"])
    assert "BasicLogGroup" in log_resources and '"*"' not in log_resources


def test_existing_role_gets_the_agent_policy(synth: dict[str, Any]) -> None:
    policy = only(synth["json"], "AWS::IAM::Policy", "WebAgentPolicy")
    (role_ref,) = policy["Properties"]["Roles"]
    assert role_ref["Ref"].startswith("ExistingRole")
    roles = synth["template"].find_resources("AWS::IAM::Role")
    assert not any(logical_id.startswith("WebInstanceRole") for logical_id in roles)


def test_log_group_with_retention(synth: dict[str, Any]) -> None:
    log_group = only(synth["json"], "AWS::Logs::LogGroup", "BasicLogGroup")
    assert log_group["Properties"]["RetentionInDays"] == 30


def test_no_ingress_except_from_the_load_balancer(synth: dict[str, Any]) -> None:
    for logical_id in ("BasicSecurityGroup", "RollingSecurityGroup", "RefreshSecurityGroup"):
        assert "SecurityGroupIngress" not in only(synth["json"], "AWS::EC2::SecurityGroup", logical_id)["Properties"]
    ingress = synth["template"].find_resources("AWS::EC2::SecurityGroupIngress")
    web_rules = [
        r["Properties"] for r in ingress.values() if r["Properties"]["GroupId"]["Fn::GetAtt"][0].startswith("Web")
    ]
    assert len(web_rules) == 1
    assert (web_rules[0]["FromPort"], web_rules[0]["ToPort"]) == (8080, 8080)
    assert web_rules[0]["SourceSecurityGroupId"]["Fn::GetAtt"][0].startswith("AlbSecurityGroup")


def test_target_group_attachment_switches_to_elb_health_checks(synth: dict[str, Any]) -> None:
    props = only(synth["json"], "AWS::AutoScaling::AutoScalingGroup", "WebGroup")["Properties"]
    (target_group_ref,) = props["TargetGroupARNs"]
    assert target_group_ref["Ref"].startswith("Tg")
    assert props["HealthCheckType"] == "ELB"
    assert props["HealthCheckGracePeriod"] == 300


def test_notifications_for_all_scaling_events(synth: dict[str, Any]) -> None:
    props = only(synth["json"], "AWS::AutoScaling::AutoScalingGroup", "WebGroup")["Properties"]
    (config,) = props["NotificationConfigurations"]
    assert set(config["NotificationTypes"]) == {
        "autoscaling:EC2_INSTANCE_LAUNCH",
        "autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
        "autoscaling:EC2_INSTANCE_TERMINATE",
        "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
    }
    assert (
        "NotificationConfigurations"
        not in only(synth["json"], "AWS::AutoScaling::AutoScalingGroup", "BasicGroup")["Properties"]
    )


# -- strategies ----------------------------------------------------------------------------


def test_rolling_update_keeps_desired_capacity_in_service(synth: dict[str, Any]) -> None:
    group = only(synth["json"], "AWS::AutoScaling::AutoScalingGroup", "RollingGroup")
    rolling = group["UpdatePolicy"]["AutoScalingRollingUpdate"]
    assert rolling["MinInstancesInService"] == 3
    assert rolling["MaxBatchSize"] == 2
    assert rolling["WaitOnResourceSignals"] is True
    assert rolling["PauseTime"] == "PT20M"
    assert group["CreationPolicy"]["ResourceSignal"] == {"Count": 3, "Timeout": "PT20M"}
    assert group["Properties"]["DesiredCapacity"] == "3"


def test_instance_refresh_is_rolling_and_unsignalled(synth: dict[str, Any]) -> None:
    group = only(synth["json"], "AWS::AutoScaling::AutoScalingGroup", "RefreshGroup")
    refresh = group["UpdatePolicy"]["AutoScalingInstanceRefresh"]
    assert refresh["Strategy"] == "Rolling"
    prefs = refresh["Preferences"]
    assert (prefs["MinHealthyPercentage"], prefs["MaxHealthyPercentage"]) == (100, 200)
    assert prefs["CheckpointPercentages"] == [50, 100]
    assert prefs["InstanceWarmup"] == 300
    assert prefs["AlarmSpecification"]["Alarms"]
    assert "AutoScalingRollingUpdate" not in group["UpdatePolicy"]
    assert "CreationPolicy" not in group
    assert group["Properties"]["MaxInstanceLifetime"] == 7 * 86400
    assert "cfn-signal" not in user_data_text(only(synth["json"], "AWS::EC2::LaunchTemplate", "RefreshLaunchTemplate"))


def test_every_group_has_update_policy_and_lifetime(synth: dict[str, Any]) -> None:
    replacing = {"AutoScalingReplacingUpdate", "AutoScalingRollingUpdate", "AutoScalingInstanceRefresh"}
    for logical_id, group in synth["groups"].items():
        assert replacing & set(group.get("UpdatePolicy", {})), logical_id
        assert group["Properties"]["MaxInstanceLifetime"] >= 86400, logical_id


# -- images --------------------------------------------------------------------------------


def test_image_resolved_at_launch_is_refused(stack: Stack, vpc: ec2.Vpc) -> None:
    image = ec2.MachineImage.resolve_ssm_parameter_at_launch("/images/web/stable")
    with pytest.raises(
        ValidationError, match=r"(?s)Test/Fleet: .*machine_image='resolve:ssm:/images/web/stable'.*PinnedSsmImage"
    ):
        ImmutableFleet(stack, "Fleet", vpc=vpc, machine_image=image, instance_type=T3)


def test_from_ssm_parameter_gets_a_warning(stack: Stack, vpc: ec2.Vpc) -> None:
    image = ec2.MachineImage.from_ssm_parameter("/images/web/stable")
    ImmutableFleet(stack, "Fleet", vpc=vpc, machine_image=image, instance_type=T3)
    Annotations.from_stack(stack).has_warning(
        "/Test/Fleet",
        Match.string_like_regexp(
            r"newest version of SSM parameter /images/web/stable on every deploy.*"
            r"PinnedSsmImage\('/images/web/stable', version=N\)"
        ),
    )


def test_latest_amazon_linux_warning_names_its_parameter(stack: Stack, vpc: ec2.Vpc) -> None:
    image = ec2.MachineImage.latest_amazon_linux2023()
    ImmutableFleet(stack, "Fleet", vpc=vpc, machine_image=image, instance_type=T3)
    Annotations.from_stack(stack).has_warning(
        "/Test/Fleet",
        Match.string_like_regexp(
            r"SSM parameter /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-.*latest_amazon_linux2023"
        ),
    )


def test_unversioned_dynamic_reference_gets_a_warning() -> None:
    stack = Stack(App(), "Test", env=Environment(account="111111111111", region="us-east-1"))
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    image = ec2.MachineImage.generic_linux({"us-east-1": "{{resolve:ssm:/images/web/stable}}"})
    ImmutableFleet(stack, "Fleet", vpc=vpc, machine_image=image, instance_type=T3)
    Annotations.from_stack(stack).has_warning("/Test/Fleet", Match.string_like_regexp("has no parameter version"))


def test_pinned_image_gets_no_image_warning(stack: Stack, vpc: ec2.Vpc) -> None:
    ImmutableFleet(stack, "Fleet", vpc=vpc, machine_image=IMAGE, instance_type=T3)
    assert (
        Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("parameter version|re-resolved")) == []
    )


def test_windows_images_are_refused(stack: Stack, vpc: ec2.Vpc) -> None:
    image = PinnedSsmImage("/images/win/stable", version=1, os_type=ec2.OperatingSystemType.WINDOWS)
    with pytest.raises(ValidationError, match="machine_image='a Windows image'"):
        ImmutableFleet(stack, "Fleet", vpc=vpc, machine_image=image, instance_type=T3)


@pytest.mark.parametrize(
    ("name", "version", "message"),
    [
        ("images web", 1, "parameter_name='images web': is not a valid SSM parameter name"),
        ("/images/web", 0, "version=0: must be a positive integer"),
        ("/images/web", True, "version=True: must be a whole number"),
        ("/" + "/".join(["a"] * 16), 1, "more than 15 hierarchy levels"),
    ],
)
def test_pinned_image_validation(name: str, version: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        PinnedSsmImage(name, version=version)


# -- validation ------------------------------------------------------------------------------


def make(stack: Stack, vpc: ec2.IVpc, **props: Any) -> ImmutableFleet:
    return ImmutableFleet(stack, "Fleet", vpc=vpc, machine_image=IMAGE, instance_type=T3, **props)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"min_capacity": 0}, "min_capacity=0: must be at least 1"),
        ({"min_capacity": 3, "desired_capacity": 2}, "desired_capacity=2: is below min_capacity (3)"),
        ({"min_capacity": 3, "max_capacity": 2}, "max_capacity=2: is below min_capacity (3)"),
        ({"desired_capacity": 5, "max_capacity": 4}, "max_capacity=4: is below desired_capacity (5)"),
        ({"min_capacity": 2.5}, "min_capacity=2.5: must be a whole number"),
        (
            {"update": FleetUpdate.rolling(max_batch_size=0)},
            "update.max_batch_size=0: must be from 1 to max_capacity (4)",
        ),
        (
            {"max_capacity": 2, "update": FleetUpdate.rolling()},
            "update.min_instances_in_service=2: must be from 0 to below max_capacity (2)",
        ),
        (
            {"update": FleetUpdate.rolling(min_success_percentage=150)},
            "update.min_success_percentage=150: must be a percentage from 0 to 100",
        ),
        (
            {"update": FleetUpdate.rolling(), "signal_timeout": Duration.minutes(90)},
            "signal_timeout='1 hour 30 minutes': is longer than one hour",
        ),
        (
            {"update": FleetUpdate.instance_refresh(min_healthy_percentage=120)},
            "update.min_healthy_percentage=120: must be from 0 to 100",
        ),
        (
            {"update": FleetUpdate.instance_refresh(max_healthy_percentage=250)},
            "update.max_healthy_percentage=250: must be from 100 to 200",
        ),
        (
            {"update": FleetUpdate.instance_refresh(min_healthy_percentage=50, max_healthy_percentage=200)},
            "update.max_healthy_percentage=200: minus min_healthy_percentage (50) exceeds 100",
        ),
        (
            {"update": FleetUpdate.instance_refresh(checkpoint_percentages=[50, 20])},
            "update.checkpoint_percentages=[50, 20]: must be unique, ascending",
        ),
        (
            {"update": FleetUpdate.instance_refresh(checkpoint_percentages=[20, 50])},
            "update.checkpoint_percentages=[20, 50]: must be unique, ascending, from 1 to 100 and end with 100",
        ),
        (
            {"update": FleetUpdate.instance_refresh(), "health_check": FleetHealthCheck.command("true")},
            "health_check=FleetHealthCheck(kind='command', target='true'",
        ),
        ({"update": "rolling"}, "update='rolling': is not a FleetUpdate"),
        ({"signal_timeout": Duration.seconds(30)}, "signal_timeout='30 seconds': must be from 1 minute to 12 hours"),
        ({"signal_timeout": Duration.hours(13)}, "signal_timeout='13 hours': must be from 1 minute to 12 hours"),
        (
            {"max_instance_lifetime": Duration.hours(12)},
            "max_instance_lifetime='12 hours': must be from 1 day to 365 days",
        ),
        ({"max_instance_lifetime": Duration.days(400)}, "max_instance_lifetime='400 days': must be from 1 day to 365"),
        ({"health_check_grace_period": Duration.hours(3)}, "health_check_grace_period='3 hours': must be from 0 to 2"),
        ({"imds_hop_limit": 0}, "imds_hop_limit=0: must be an integer from 1 to 64"),
        ({"imds_hop_limit": 65}, "imds_hop_limit=65: must be an integer from 1 to 64"),
        ({"root_volume_size": 0}, "root_volume_size=0: must be a whole number of GiB"),
        ({"root_device_name": "xvda"}, "root_device_name='xvda': is not a device name"),
        ({"health_check": FleetHealthCheck.http("localhost:8080")}, "health_check.url='localhost:8080': is not an"),
        ({"health_check": FleetHealthCheck.command("  ")}, "health_check.command='  ': is empty"),
        (
            {"health_check": FleetHealthCheck.http("http://localhost/", timeout=Duration.minutes(20))},
            "health_check.timeout='20 minutes': must be positive and shorter than signal_timeout (15 minutes)",
        ),
        (
            {"health_check": FleetHealthCheck.http("http://localhost/", interval=Duration.millis(500))},
            "health_check.interval='500 millis': must be at least 1 second",
        ),
        ({"health_check": "http://localhost/"}, "health_check='http://localhost/': is not a FleetHealthCheck"),
        ({"vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)}, "vpc_subnets='public subnets'"),
        ({"vpc_subnets": ec2.SubnetSelection(subnet_group_name="Public")}, "vpc_subnets='public subnets'"),
    ],
)
def test_validation_messages(stack: Stack, vpc: ec2.Vpc, props: dict[str, Any], message: str) -> None:
    with pytest.raises(
        ValidationError, match=r"^Test/Fleet: 1 invalid prop problem:\n  - " + re.escape(message)
    ) as err:
        make(stack, vpc, **props)
    assert "Fix: " in str(err.value)
    assert len(err.value.problems) == 1


def test_allow_all_outbound_with_existing_security_group(stack: Stack, vpc: ec2.Vpc) -> None:
    sg = ec2.SecurityGroup(stack, "Sg", vpc=vpc)
    with pytest.raises(ValidationError, match=r"allow_all_outbound=False: only applies to the security group"):
        make(stack, vpc, security_group=sg, allow_all_outbound=False)


def single_tier_vpc(stack: Stack, id: str, name: str, subnet_type: ec2.SubnetType) -> ec2.Vpc:
    """A VPC without NAT whose only subnets are of one type."""
    return ec2.Vpc(
        stack,
        id,
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name=name, subnet_type=subnet_type)],
    )


def test_vpc_without_private_subnets(stack: Stack) -> None:
    public_only = single_tier_vpc(stack, "PublicVpc", "public", ec2.SubnetType.PUBLIC)
    with pytest.raises(ValidationError, match=r"vpc='Test/PublicVpc': has no private or isolated subnets"):
        make(stack, public_only)


def test_isolated_subnets_are_used_when_there_are_no_private_ones(stack: Stack) -> None:
    isolated = single_tier_vpc(stack, "IsolatedVpc", "isolated", ec2.SubnetType.PRIVATE_ISOLATED)
    make(stack, isolated, health_check=FleetHealthCheck.command("true"))
    group = Template.from_stack(stack).find_resources("AWS::AutoScaling::AutoScalingGroup")
    subnets = [s["Ref"] for s in next(iter(group.values()))["Properties"]["VPCZoneIdentifier"]]
    assert subnets and all("isolatedSubnet" in s for s in subnets)


def test_all_problems_are_reported_together(stack: Stack, vpc: ec2.Vpc) -> None:
    with pytest.raises(ValidationError) as err:
        make(stack, vpc, min_capacity=5, max_capacity=3, imds_hop_limit=0, max_instance_lifetime=Duration.hours(1))
    assert [p.prop for p in err.value.problems] == ["imds_hop_limit", "max_capacity", "max_instance_lifetime"]
    assert str(err.value).startswith("Test/Fleet: 3 invalid prop problems:")
    assert err.value.construct_path == "Test/Fleet"


def test_unresolved_tokens_are_left_to_cloudformation(stack: Stack, vpc: ec2.Vpc) -> None:
    size = CfnParameter(stack, "Size", type="Number", default=3)
    fleet = make(stack, vpc, min_capacity=size.value_as_number, max_capacity=size.value_as_number)
    assert fleet.auto_scaling_group is not None


def test_max_capacity_needed_with_token_capacity(stack: Stack, vpc: ec2.Vpc) -> None:
    size = CfnParameter(stack, "Size", type="Number", default=3)
    with pytest.raises(ValidationError, match=r"max_capacity=None: cannot default to twice the capacity"):
        make(stack, vpc, min_capacity=size.value_as_number)


def test_grant_principal_and_connections(stack: Stack, vpc: ec2.Vpc) -> None:
    fleet = make(stack, vpc, health_check=FleetHealthCheck.command("true"))
    assert fleet.grant_principal is fleet.role
    fleet.connections.allow_from(ec2.Peer.ipv4("10.0.0.0/16"), ec2.Port.tcp(8080))
    ingress = Template.from_stack(stack).find_resources("AWS::EC2::SecurityGroup")
    rules = next(r for k, r in ingress.items() if k.startswith("FleetSecurityGroup"))["Properties"][
        "SecurityGroupIngress"
    ]
    assert [(r["FromPort"], r["CidrIp"]) for r in rules] == [(8080, "10.0.0.0/16")]


def test_explicit_private_subnet_selection_is_accepted(stack: Stack, vpc: ec2.Vpc) -> None:
    fleet = make(
        stack,
        vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_group_name="Private"),
        health_check=FleetHealthCheck.command("true"),
    )
    assert fleet.auto_scaling_group is not None
