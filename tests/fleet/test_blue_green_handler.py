"""The blue/green custom resource handler, driven the way the CDK Provider framework drives it.

Auto Scaling, EC2 and ELBv2 are moto 5.2.5. CodeDeploy is tests/codedeploy_fake.py (moto lacks
UpdateDeploymentGroup, DeleteDeploymentGroup and StopDeployment): a real botocore client that
validates every request against the CodeDeploy API model, answered like botocore's Stubber. A
few tests use the Stubber itself to pin exact requests.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ParamValidationError
from botocore.stub import ANY, Stubber
from moto import mock_aws
from moto.autoscaling import models as autoscaling_models

from immutable_constructs.fleet.blue_green_handler import index

from ..codedeploy_fake import FakeCodeDeploy

REGION = "us-east-1"
APP = "app"
GROUP = "Stack-Api-0123ABCD"
PHYSICAL_ID = f"{APP}/{GROUP}"
INITIAL = f"{GROUP}-{hashlib.sha256(PHYSICAL_ID.encode()).hexdigest()[:8]}"


@dataclass
class World:
    aws: index.Aws
    codedeploy: FakeCodeDeploy
    ec2: Any
    launch_template: str
    props: dict[str, Any]

    def groups(self) -> dict[str, dict[str, Any]]:
        found = self.aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
        return {g["AutoScalingGroupName"]: g for g in found}

    def versions(self, group: str) -> set[str]:
        return {i["LaunchTemplate"]["Version"] for i in self.groups()[group]["Instances"]}

    def with_version(self, version: int, **changes: Any) -> dict[str, Any]:
        return {**self.props, "LaunchTemplateVersion": str(version), **changes}


def event(request: str, props: dict[str, Any], old: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A CloudFormation request as the Provider framework hands it over (every property a string)."""
    body: dict[str, Any] = {"RequestType": request, "ResourceProperties": props, **extra}
    body.setdefault("RequestId", str(uuid.uuid4()))  # CloudFormation makes a new one for every request
    if request != "Create":
        body["PhysicalResourceId"] = PHYSICAL_ID
    if old is not None:
        body["OldResourceProperties"] = old
    return body


def complete(world: World, evt: dict[str, Any], started: dict[str, Any]) -> dict[str, Any]:
    """What the framework's isComplete call receives: the event plus on_event's result."""
    return index.is_complete({**evt, **started}, None, world.aws)


def _instances_report_their_launch_version(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto reports the launch template's *default* version for every instance; AWS reports the
    version each instance was launched from, which is what the handler compares. Record it at launch."""
    state = autoscaling_models.InstanceState
    original_init = state.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.launched_version = str(self.auto_scaling_group.launch_template_version)

    def launch_template(self: Any) -> dict[str, Any]:
        template = self.auto_scaling_group.ec2_launch_template
        return {"LaunchTemplateId": template.id, "LaunchTemplateName": template.name, "Version": self.launched_version}

    monkeypatch.setattr(state, "__init__", init)
    monkeypatch.setattr(state, "launch_template", property(launch_template))


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    _instances_report_their_launch_version(monkeypatch)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setattr(index.runtime, "sleep", lambda seconds: None)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"][
                "SubnetId"
            ]
            for i, az in ((1, "a"), (2, "b"))
        ]
        data = {"ImageId": "ami-12c6146b", "InstanceType": "t3.small"}
        lt = ec2.create_launch_template(LaunchTemplateName="api", LaunchTemplateData=data)["LaunchTemplate"]
        for _ in range(2):
            ec2.create_launch_template_version(LaunchTemplateId=lt["LaunchTemplateId"], LaunchTemplateData=data)
        elbv2 = boto3.client("elbv2", region_name=REGION)
        target_group = elbv2.create_target_group(
            Name="api", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="instance"
        )["TargetGroups"][0]
        autoscaling = boto3.client("autoscaling", region_name=REGION, config=index.RETRY_CONFIG)
        codedeploy_client = boto3.client("codedeploy", region_name=REGION, config=index.RETRY_CONFIG)
        fake = FakeCodeDeploy(codedeploy_client, autoscaling, applications=(APP,))
        props = {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
            "ApplicationName": APP,
            "DeploymentGroupName": GROUP,
            "ServiceRoleArn": "arn:aws:iam::123456789012:role/codedeploy",
            "DeploymentConfigName": "CodeDeployDefault.OneAtATime",
            "LaunchTemplateId": lt["LaunchTemplateId"],
            "LaunchTemplateVersion": "1",
            "SubnetIds": subnets,
            "TargetGroupArn": target_group["TargetGroupArn"],
            "TargetGroupName": "api",
            "MinSize": "2",
            "MaxSize": "4",
            "DesiredCapacity": "",
            "HealthCheckGracePeriod": "300",
            "MaxInstanceLifetime": "1209600",
            "FleetTagKey": "immutable-constructs:fleet",
            "FleetTagValue": "StackApi0123ABCD",
            "AlarmNames": ["api-unhealthy", "api-5xx"],
            "KeepBlue": "false",
            "TerminationWaitMinutes": "5",
            "ReadyWaitMinutes": "0",
            "RevisionBucket": "cdk-assets",
            "RevisionKey": "revision.zip",
        }
        aws = index.Aws(autoscaling=autoscaling, codedeploy=codedeploy_client, elbv2=elbv2)
        yield World(aws=aws, codedeploy=fake, ec2=ec2, launch_template=lt["LaunchTemplateId"], props=props)


def create(world: World) -> None:
    evt = event("Create", world.props)
    started = index.on_event(evt, None, world.aws)
    assert complete(world, evt, started)["IsComplete"] is True


def release(world: World, version: int, old: dict[str, Any], **changes: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    evt = event("Update", world.with_version(version, **changes), old=old)
    return evt, index.on_event(evt, None, world.aws)


def only_deployment(world: World) -> str:
    (deployment_id,) = world.codedeploy.deployments
    return deployment_id


# -- create ---------------------------------------------------------------------------------


def test_create_makes_the_first_group_and_a_blue_green_deployment_group(world: World) -> None:
    evt = event("Create", world.props)
    started = index.on_event(evt, None, world.aws)
    assert started["PhysicalResourceId"] == PHYSICAL_ID

    group = world.groups()[INITIAL]
    assert group["LaunchTemplate"]["Version"] == "1"
    assert (group["MinSize"], group["MaxSize"], group["HealthCheckType"]) == (2, 4, "ELB")
    assert group["TargetGroupARNs"] == [world.props["TargetGroupArn"]]
    tags = {t["Key"]: t["Value"] for t in group["Tags"]}
    fleet = {index.OWNER_TAG: PHYSICAL_ID, "immutable-constructs:fleet": "StackApi0123ABCD"}
    assert tags == {**fleet, index.CREATE_TAG: evt["RequestId"]}, "the create's request, until its waiter polls"

    settings = world.codedeploy.groups[(APP, GROUP)]
    assert settings["deploymentStyle"] == {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}
    blue_green = settings["blueGreenDeploymentConfiguration"]
    assert blue_green["greenFleetProvisioningOption"] == {"action": "COPY_AUTO_SCALING_GROUP"}
    assert blue_green["terminateBlueInstancesOnDeploymentSuccess"] == {
        "action": "TERMINATE",
        "terminationWaitTimeInMinutes": 5,
    }
    assert blue_green["deploymentReadyOption"] == {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0}
    assert settings["loadBalancerInfo"] == {"targetGroupInfoList": [{"name": "api"}]}
    assert settings["autoRollbackConfiguration"] == {
        "enabled": True,
        "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
    }
    assert settings["alarmConfiguration"]["enabled"] is True
    assert [a["name"] for a in settings["alarmConfiguration"]["alarms"]] == ["api-unhealthy", "api-5xx"]
    assert settings["autoScalingGroups"][0]["name"] == INITIAL

    done = complete(world, evt, started)
    assert done == {"IsComplete": True, "Data": {"AutoScalingGroupName": INITIAL}}
    assert {t["Key"]: t["Value"] for t in world.groups()[INITIAL]["Tags"]}[index.CREATE_TAG] == index.CREATE_DONE
    assert world.codedeploy.deployments == {}, "the first fleet is launched, not deployed"


def test_create_waits_until_the_fleet_is_healthy_in_the_target_group(world: World) -> None:
    evt = event("Create", world.props)
    started = index.on_event(evt, None, world.aws)
    group = world.groups()[INITIAL]
    first = group["Instances"][0]["InstanceId"]
    world.aws.elbv2.deregister_targets(TargetGroupArn=world.props["TargetGroupArn"], Targets=[{"Id": first}])
    assert complete(world, evt, started) == {"IsComplete": False}
    world.aws.elbv2.register_targets(TargetGroupArn=world.props["TargetGroupArn"], Targets=[{"Id": first}])
    assert complete(world, evt, started)["IsComplete"] is True


def test_create_is_idempotent_when_retried(world: World) -> None:
    evt = event("Create", world.props)
    index.on_event(evt, None, world.aws)
    index.on_event(evt, None, world.aws)
    assert list(world.groups()) == [INITIAL]
    assert list(world.codedeploy.groups) == [(APP, GROUP)]
    assert world.codedeploy.operations().count("CreateDeploymentGroup") == 1


def test_failed_create_leaves_no_half_made_fleet(world: World) -> None:
    """The failure is reported by is_complete, under the resource's physical id: had on_event raised, the
    Provider framework would have answered with its CREATE_FAILED marker and swallowed CloudFormation's
    Delete (tests/fleet/test_provider_framework.py plays that with the framework itself)."""
    world.codedeploy.fail_next["CreateDeploymentGroup"] = ("InvalidRoleException", "CodeDeploy cannot assume the role")
    evt = event("Create", world.props)
    started = index.on_event(evt, None, world.aws)
    assert started["PhysicalResourceId"] == PHYSICAL_ID
    assert world.groups() == {}
    assert world.codedeploy.groups == {}
    with pytest.raises(RuntimeError, match=r"InvalidRoleException.*CodeDeploy cannot assume the role"):
        complete(world, evt, started)


def test_a_create_that_fails_after_making_the_group_deletes_it(world: World) -> None:
    """`created_group` was set only after create_group() returned, so a failure of its second call
    (EnableMetricsCollection) left the group running, registered in the target group."""
    original = world.aws.autoscaling.enable_metrics_collection

    def refused(**kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "ValidationError", "Message": "refused"}}, "EnableMetricsCollection")

    world.aws.autoscaling.enable_metrics_collection = refused
    try:
        evt = event("Create", world.props)
        started = index.on_event(evt, None, world.aws)
    finally:
        world.aws.autoscaling.enable_metrics_collection = original
    assert world.groups() == {}, "the group the create made is deleted again"
    assert "Failed" in started["Data"]


def test_create_that_cannot_be_verified_deletes_the_deployment_group(world: World) -> None:
    world.codedeploy.fail_next["GetDeploymentGroup"] = ("ThrottlingException", "slow down")
    original = world.codedeploy._get_deployment_group
    calls = {"n": 0}

    def wrong_style(**params: Any) -> Any:
        calls["n"] += 1
        info = original(**params)
        if calls["n"] >= 2:  # the read-back after the create: pretend it came out in place
            info["deploymentGroupInfo"]["deploymentStyle"] = {
                "deploymentType": "IN_PLACE",
                "deploymentOption": "WITHOUT_TRAFFIC_CONTROL",
            }
        return info

    world.codedeploy._get_deployment_group = wrong_style  # type: ignore[method-assign]
    evt = event("Create", world.props)
    started = index.on_event(evt, None, world.aws)
    with pytest.raises(RuntimeError, match=r"has style .*IN_PLACE.*, not .*BLUE_GREEN"):
        complete(world, evt, started)
    assert world.codedeploy.groups == {}, "the deployment group was deleted again"
    assert world.groups() == {}


def test_create_fails_fast_when_the_group_cannot_launch(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    evt = event("Create", world.props)
    started = index.on_event(evt, None, world.aws)
    failed = {"Activities": [{"StatusCode": "Failed", "StatusMessage": "Invalid IAM Instance Profile name"}]}
    monkeypatch.setattr(world.aws.autoscaling, "describe_scaling_activities", lambda **kwargs: failed)
    first = world.groups()[INITIAL]["Instances"][0]["InstanceId"]
    world.aws.elbv2.deregister_targets(TargetGroupArn=world.props["TargetGroupArn"], Targets=[{"Id": first}])
    with pytest.raises(RuntimeError, match="Invalid IAM Instance Profile"):
        complete(world, evt, started)


def test_a_failed_activity_beside_a_healthy_fleet_fails_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The health gate read the latest scaling activity first and raised on Failed, so an unrelated
    replacement that hit InsufficientInstanceCapacity failed every update and its rollback."""
    evt = event("Create", world.props)
    started = index.on_event(evt, None, world.aws)
    failed = {"Activities": [{"StatusCode": "Failed", "StatusMessage": "InsufficientInstanceCapacity"}]}
    monkeypatch.setattr(world.aws.autoscaling, "describe_scaling_activities", lambda **kwargs: failed)
    assert complete(world, evt, started)["IsComplete"] is True


# -- update -----------------------------------------------------------------------------------


def test_update_with_unchanged_release_props_starts_no_deployment(world: World) -> None:
    create(world)
    before = len(world.codedeploy.calls)
    evt, started = release(world, 1, old=world.props)
    assert complete(world, evt, started)["IsComplete"] is True
    operations = world.codedeploy.operations()[before:]
    assert "CreateDeployment" not in operations
    assert "UpdateDeploymentGroup" not in operations, "settings did not change either"


def test_update_of_settings_changes_the_deployment_group_in_place(world: World) -> None:
    create(world)
    evt, started = release(
        world, 1, old=world.props, AlarmNames=["api-unhealthy", "api-5xx", "api-latency"], MaxSize="6"
    )
    assert complete(world, evt, started)["IsComplete"] is True
    alarms = world.codedeploy.groups[(APP, GROUP)]["alarmConfiguration"]["alarms"]
    assert [a["name"] for a in alarms] == ["api-unhealthy", "api-5xx", "api-latency"]
    assert world.groups()[INITIAL]["MaxSize"] == 6
    assert world.codedeploy.deployments == {}


STANDARD_ALARMS = ["api-unhealthy", "api-5xx", "api-cpu", "api-agent-silence"]


def test_the_fleet_standard_alarms_stop_and_roll_back_deployments(world: World) -> None:
    """The four standard alarms BlueGreenFleet passes: all in the deployment group, enabled."""
    create(world)
    evt, started = release(world, 1, old=world.props, AlarmNames=STANDARD_ALARMS)
    assert complete(world, evt, started)["IsComplete"] is True
    settings = world.codedeploy.groups[(APP, GROUP)]
    assert settings["alarmConfiguration"] == {
        "enabled": True,
        "ignorePollAlarmFailure": False,
        "alarms": [{"name": name} for name in STANDARD_ALARMS],
    }
    assert settings["autoRollbackConfiguration"]["events"] == ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]


def test_no_alarms_disables_the_alarm_configuration(world: World) -> None:
    """alarm_options=FleetAlarmOptions(rollback=False) and no alarms of one's own: nothing to poll."""
    create(world)
    evt, started = release(world, 1, old=world.props, AlarmNames=[])
    assert complete(world, evt, started)["IsComplete"] is True
    configuration = world.codedeploy.groups[(APP, GROUP)]["alarmConfiguration"]
    assert configuration["enabled"] is False and configuration["alarms"] == []
    assert world.codedeploy.deployments == {}


def test_release_deploys_the_new_launch_template_version_to_a_green_group(world: World) -> None:
    create(world)
    evt, started = release(world, 2, old=world.props)
    deployment_id = only_deployment(world)
    deployment = world.codedeploy.deployments[deployment_id]
    assert deployment["revision"] == {
        "revisionType": "S3",
        "s3Location": {"bucket": "cdk-assets", "key": "revision.zip", "bundleType": "zip"},
    }
    # CodeDeploy copies the serving group, so it must point at the new version first.
    assert world.groups()[INITIAL]["LaunchTemplate"]["Version"] == "2"
    assert world.versions(INITIAL) == {"1"}, "running instances are never changed"
    assert complete(world, evt, started) == {"IsComplete": False}

    green = world.codedeploy.succeed(deployment_id)
    done = complete(world, evt, started)
    assert done == {"IsComplete": True, "Data": {"AutoScalingGroupName": green}}
    assert list(world.groups()) == [green], "the blue group was terminated"
    assert world.versions(green) == {"2"}
    tags = {t["Key"]: t["Value"] for t in world.groups()[green]["Tags"]}
    assert tags[index.OWNER_TAG] == PHYSICAL_ID


def test_a_release_that_lands_on_another_version_fails_instead_of_deploying_again(world: World) -> None:
    create(world)
    evt, started = release(world, 2, old=world.props)
    world.codedeploy.succeed(only_deployment(world), version="1")  # e.g. a copy that resolved another version
    with pytest.raises(RuntimeError, match=r"succeeded, but instances .* do not run launch template .* version 2"):
        complete(world, evt, started)
    assert len(world.codedeploy.deployments) == 1


def test_failed_release_fails_the_stack_and_the_rollback_restores_the_version(world: World) -> None:
    create(world)
    evt, started = release(world, 2, old=world.props)
    deployment_id = only_deployment(world)
    world.codedeploy.fail(deployment_id)  # CodeDeploy rolls back on its own: blue keeps serving

    assert complete(world, evt, started) == {"IsComplete": False}, "wait for CodeDeploy's rollback to finish"
    world.codedeploy.finish_rollback(deployment_id)
    with pytest.raises(index.DeploymentFailed, match=f"{deployment_id} Failed: HEALTH_CONSTRAINTS.*rolled back"):
        complete(world, evt, started)

    # CloudFormation rolls back: an Update back to the previous properties.
    rollback_evt = event("Update", world.props, old=world.with_version(2))
    rollback_started = index.on_event(rollback_evt, None, world.aws)
    assert rollback_started["Data"]["Request"] == rollback_evt["RequestId"]
    assert complete(world, rollback_evt, rollback_started)["IsComplete"] is True
    assert len(world.codedeploy.deployments) == 2, "no new deployment: the instances already run version 1"
    assert world.groups()[INITIAL]["LaunchTemplate"]["Version"] == "1"
    assert world.versions(INITIAL) == {"1"}


def test_a_green_group_left_by_a_failed_deployment_is_deleted(world: World) -> None:
    world.props["KeepBlue"] = "true"  # so the fake's copy leaves blue alone
    create(world)
    evt, started = release(world, 2, old=world.props)
    deployment_id = only_deployment(world)
    world.codedeploy.fail(deployment_id, rollback=False, leave_green=True)
    assert f"CodeDeploy_{GROUP}_{deployment_id}" in world.groups()
    with pytest.raises(index.DeploymentFailed):
        complete(world, evt, started)
    assert list(world.groups()) == [INITIAL], "only the blue group, still serving, is left"


def test_rollback_during_codedeploys_own_rollback_waits_for_it(world: World) -> None:
    create(world)
    release(world, 2, old=world.props)
    deployment_id = only_deployment(world)
    world.codedeploy.fail(deployment_id)

    rollback_evt = event("Update", world.props, old=world.with_version(2))
    rollback_started = index.on_event(rollback_evt, None, world.aws)
    assert complete(world, rollback_evt, rollback_started) == {"IsComplete": False}
    world.codedeploy.finish_rollback(deployment_id)
    assert complete(world, rollback_evt, rollback_started)["IsComplete"] is True
    assert world.groups()[INITIAL]["LaunchTemplate"]["Version"] == "1"
    assert len(world.codedeploy.started()) == 1


def test_rollback_after_a_successful_release_deploys_the_previous_version(world: World) -> None:
    create(world)
    release(world, 2, old=world.props)
    world.codedeploy.succeed(only_deployment(world))

    # A later resource of the same stack update failed: CloudFormation rolls this one back too.
    rollback_evt = event("Update", world.props, old=world.with_version(2))
    rollback_started = index.on_event(rollback_evt, None, world.aws)
    second = [d for d in world.codedeploy.deployments if world.codedeploy.deployments[d]["status"] == "InProgress"]
    assert len(second) == 1 and "version 1" in world.codedeploy.started()[-1]
    green = world.codedeploy.succeed(second[0])
    assert complete(world, rollback_evt, rollback_started)["IsComplete"] is True
    assert world.versions(green) == {"1"}


def test_keep_old_fleet_keeps_blue_until_the_next_release(world: World) -> None:
    world.props["KeepBlue"] = "true"
    create(world)
    release(world, 2, old=world.props)
    first_green = world.codedeploy.succeed(only_deployment(world))
    assert set(world.groups()) == {INITIAL, first_green}
    kept = {t["Key"]: t["Value"] for t in world.groups()[INITIAL]["Tags"]}
    assert kept[index.OWNER_TAG] == PHYSICAL_ID, "the kept group is still owned, so delete finds it"

    evt, started = release(world, 3, old=world.with_version(2))
    assert set(world.groups()) == {first_green}, "the group kept by the previous release is deleted first"
    (latest,) = [d for d, v in world.codedeploy.deployments.items() if v["status"] == "InProgress"]
    second_green = world.codedeploy.succeed(latest)
    assert complete(world, evt, started)["IsComplete"] is True
    assert set(world.groups()) == {first_green, second_green}


def test_update_recreates_a_deployment_group_deleted_by_hand(world: World) -> None:
    create(world)
    del world.codedeploy.groups[(APP, GROUP)]
    evt, started = release(world, 1, old=world.props)
    assert (APP, GROUP) in world.codedeploy.groups
    assert complete(world, evt, started)["IsComplete"] is True


@pytest.mark.parametrize("keep_blue", ["false", "true"])
def test_any_number_of_releases_and_updates_then_delete(world: World, keep_blue: str) -> None:
    world.props["KeepBlue"] = keep_blue
    create(world)
    previous = world.props
    for version, changes in ((2, {}), (3, {"MaxSize": "5"}), (3, {"AlarmNames": ["api-5xx"]}), (1, {})):
        evt, started = release(world, version, old=previous, **changes)
        running = [d for d, v in world.codedeploy.deployments.items() if v["status"] == "InProgress"]
        if running:
            world.codedeploy.succeed(running[0])
        done = complete(world, evt, started)
        assert done["IsComplete"] is True
        assert world.versions(done["Data"]["AutoScalingGroupName"]) == {str(version)}
        assert len(world.groups()) <= (2 if keep_blue == "true" else 1), "at most the serving and one kept group"
        previous = evt["ResourceProperties"]
    assert len(world.codedeploy.started()) == 3, "the alarm-only update released nothing"
    evt = event("Delete", previous)
    index.on_event(evt, None, world.aws)
    assert index.is_complete(evt, None, world.aws) == {"IsComplete": True}
    assert world.groups() == {} and world.codedeploy.groups == {}


# -- delete -----------------------------------------------------------------------------------


def unrelated_group(world: World, name: str, tags: dict[str, str] | None = None, version: str = "1") -> None:
    world.aws.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateId": world.launch_template, "Version": version},
        MinSize=0,
        MaxSize=1,
        VPCZoneIdentifier=world.props["SubnetIds"][0],
        Tags=[{"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": k, "Value": v,
               "PropagateAtLaunch": False} for k, v in (tags or {}).items()],
    )  # fmt: skip


def tag_filter_also_returns(world: World, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """DescribeAutoScalingGroups answers every tag-filtered request with ``name`` too, tag or not."""
    real = world.aws.autoscaling.describe_auto_scaling_groups

    def filter_that_lies(**kwargs: Any) -> Any:
        page = real(**kwargs)
        if "Filters" in kwargs:
            page["AutoScalingGroups"] += real(AutoScalingGroupNames=[name])["AutoScalingGroups"]
        return page

    monkeypatch.setattr(world.aws.autoscaling, "describe_auto_scaling_groups", filter_that_lies)


def test_delete_removes_the_deployment_group_and_every_owned_group(world: World) -> None:
    world.props["KeepBlue"] = "true"
    create(world)
    release(world, 2, old=world.props)
    world.codedeploy.succeed(only_deployment(world))
    unrelated = "someone-elses-group"
    unrelated_group(world, unrelated)
    evt = event("Delete", world.with_version(2))
    assert index.on_event(evt, None, world.aws) == {"PhysicalResourceId": PHYSICAL_ID}
    assert index.is_complete(evt, None, world.aws) == {"IsComplete": True}
    assert world.codedeploy.groups == {}
    assert list(world.groups()) == [unrelated]


def test_delete_finds_green_groups_codedeploy_made_but_nobody_tagged(world: World) -> None:
    create(world)
    unrelated_group(world, f"CodeDeploy_{GROUP}_d-STOPPED01", version="2")  # a deployment stopped half way
    # the same deployment group name, another application:
    unrelated_group(world, f"CodeDeploy_{GROUP}_d-OTHERAPP1", {index.OWNER_TAG: "other-app/" + GROUP}, version="2")
    evt = event("Delete", world.props)
    index.on_event(evt, None, world.aws)
    assert index.is_complete(evt, None, world.aws) == {"IsComplete": True}
    assert list(world.groups()) == [f"CodeDeploy_{GROUP}_d-OTHERAPP1"]


def test_a_group_the_tag_filter_returns_without_the_owner_tag_is_left_alone_and_logged(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """DescribeAutoScalingGroups' tag filter is not trusted: before a delete, each group it returned is checked
    for the owner tag on the group itself (here the API answers the filter with a group of someone else's)."""
    world.props["KeepBlue"] = "true"
    create(world)
    release(world, 2, old=world.props)
    world.codedeploy.succeed(only_deployment(world))
    unrelated_group(world, "someone-elses-group", {"team": "payments"})
    tag_filter_also_returns(world, monkeypatch, "someone-elses-group")
    evt = event("Delete", world.with_version(2))
    with caplog.at_level(logging.INFO, logger="immutable_constructs.handler"):
        index.on_event(evt, None, world.aws)
        assert index.is_complete(evt, None, world.aws) == {"IsComplete": True}
    assert list(world.groups()) == ["someone-elses-group"], "every group of the fleet is gone, the other one stays"
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "immutable_constructs.handler"]
    left = [line for line in logged if line["event"] == "not-owned"]
    assert left and all(line["fields"]["group"] == "someone-elses-group" for line in left)
    assert left[0]["level"] == "warning" and "without the tag" in left[0]["message"]


def test_kept_blue_groups_are_deleted_only_when_they_carry_the_owner_tag(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the next release the kept blue groups go (delete_kept_groups): the same per-group check."""
    world.props["KeepBlue"] = "true"
    create(world)
    evt, started = release(world, 2, old=world.props)
    world.codedeploy.succeed(only_deployment(world))
    assert complete(world, evt, started)["IsComplete"] is True
    v2 = world.with_version(2)
    unrelated_group(world, "someone-elses-group")
    tag_filter_also_returns(world, monkeypatch, "someone-elses-group")
    release(world, 3, old=v2)
    assert INITIAL not in world.groups(), "the kept blue group of the first release was deleted"
    assert "someone-elses-group" in world.groups()


def test_the_deployment_group_pointed_at_another_resources_group_changes_nothing(world: World) -> None:
    create(world)
    other = "other-fleet-group"
    unrelated_group(world, other, {index.OWNER_TAG: "other-app/OtherGroup"})
    world.aws.codedeploy.update_deployment_group(
        applicationName=APP, currentDeploymentGroupName=GROUP, autoScalingGroups=[other]
    )
    before = world.groups()[other]
    with pytest.raises(RuntimeError, match="another resource's group is never changed"):
        release(world, 2, old=world.props)
    after = world.groups()[other]
    assert (after["LaunchTemplate"], after["Tags"]) == (before["LaunchTemplate"], before["Tags"])
    assert world.codedeploy.deployments == {}


def test_delete_of_something_never_created_succeeds(world: World) -> None:
    evt = event("Delete", world.props, PhysicalResourceId="r-1")
    assert index.on_event(evt, None, world.aws)["PhysicalResourceId"] == PHYSICAL_ID
    assert index.is_complete(evt, None, world.aws) == {"IsComplete": True}


def test_delete_when_the_application_is_already_gone_succeeds(world: World) -> None:
    world.codedeploy.applications.clear()
    evt = event("Delete", world.props)
    index.on_event(evt, None, world.aws)
    assert index.is_complete(evt, None, world.aws) == {"IsComplete": True}


def test_delete_stops_a_running_deployment_first(world: World) -> None:
    create(world)
    release(world, 2, old=world.props)
    deployment_id = only_deployment(world)
    index.on_event(event("Delete", world.with_version(2)), None, world.aws)
    assert world.codedeploy.deployments[deployment_id]["status"] == "Stopped"
    stop = [p for name, p in world.codedeploy.calls if name == "StopDeployment"]
    assert stop == [{"deploymentId": deployment_id, "autoRollbackEnabled": False}]
    assert world.groups() == {}


def test_delete_keeps_polling_while_groups_are_being_deleted(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    deleting = {"AutoScalingGroups": [{"AutoScalingGroupName": INITIAL, "Status": "Delete in progress"}]}
    calls: list[dict[str, Any]] = []

    def describe(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return deleting

    monkeypatch.setattr(world.aws.autoscaling, "describe_auto_scaling_groups", describe)
    monkeypatch.setattr(world.aws.autoscaling, "delete_auto_scaling_group", lambda **kwargs: pytest.fail("again"))
    assert index.is_complete(event("Delete", world.props), None, world.aws) == {"IsComplete": False}


# -- requests pinned with botocore's Stubber ----------------------------------------------------


def test_release_request_is_well_formed() -> None:
    client = boto3.client("codedeploy", region_name=REGION, aws_access_key_id="a", aws_secret_access_key="b")
    with Stubber(client) as stubber:
        stubber.add_response(
            "create_deployment",
            {"deploymentId": "d-123456789"},
            {
                "applicationName": APP,
                "deploymentGroupName": GROUP,
                "revision": {
                    "revisionType": "S3",
                    "s3Location": {"bucket": "cdk-assets", "key": "revision.zip", "bundleType": "zip"},
                },
                "description": ANY,
            },
        )
        result = index.call(
            client,
            "create_deployment",
            applicationName=APP,
            deploymentGroupName=GROUP,
            revision={
                "revisionType": "S3",
                "s3Location": {"bucket": "cdk-assets", "key": "revision.zip", "bundleType": "zip"},
            },
            description="release",
        )
        assert result["deploymentId"] == "d-123456789"
        stubber.assert_no_pending_responses()


def test_deployment_group_settings_match_the_api_model() -> None:
    """The full create and update requests validate against the CodeDeploy model (Stubber checks params)."""
    props = index.Props.parse(
        {
            "ApplicationName": APP,
            "DeploymentGroupName": GROUP,
            "ServiceRoleArn": "arn:aws:iam::123456789012:role/codedeploy",
            "DeploymentConfigName": "CodeDeployDefault.HalfAtATime",
            "LaunchTemplateId": "lt-1",
            "LaunchTemplateVersion": "4",
            "SubnetIds": ["subnet-1"],
            "TargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/1",
            "TargetGroupName": "api",
            "MinSize": "2",
            "MaxSize": "4",
            "DesiredCapacity": "3",
            "HealthCheckGracePeriod": "300",
            "MaxInstanceLifetime": "1209600",
            "FleetTagKey": "k",
            "FleetTagValue": "v",
            "AlarmNames": ["a"],
            "KeepBlue": "true",
            "TerminationWaitMinutes": "0",
            "ReadyWaitMinutes": "15",
            "RevisionBucket": "b",
            "RevisionKey": "k.zip",
        }
    )
    settings = props.deployment_group_settings("group-1")
    assert settings["blueGreenDeploymentConfiguration"]["deploymentReadyOption"] == {
        "actionOnTimeout": "STOP_DEPLOYMENT",
        "waitTimeInMinutes": 15,
    }
    assert settings["blueGreenDeploymentConfiguration"]["terminateBlueInstancesOnDeploymentSuccess"]["action"] == (
        "KEEP_ALIVE"
    )
    client = boto3.client("codedeploy", region_name=REGION, aws_access_key_id="a", aws_secret_access_key="b")
    with Stubber(client) as stubber:
        stubber.add_response(
            "create_deployment_group", {"deploymentGroupId": "x"}, {"deploymentGroupName": GROUP, **settings}
        )
        stubber.add_response(
            "update_deployment_group", {"hooksNotCleanedUp": []}, {"currentDeploymentGroupName": GROUP, **settings}
        )
        stubber.add_response(
            "delete_deployment_group", {"hooksNotCleanedUp": []}, {"applicationName": APP, "deploymentGroupName": GROUP}
        )
        client.create_deployment_group(deploymentGroupName=GROUP, **settings)
        client.update_deployment_group(currentDeploymentGroupName=GROUP, **settings)
        client.delete_deployment_group(applicationName=APP, deploymentGroupName=GROUP)
        stubber.assert_no_pending_responses()
    with pytest.raises(ParamValidationError):  # the model really is checked: a wrong type is refused
        client.create_deployment_group(deploymentGroupName=GROUP, **{**settings, "autoScalingGroups": "group-1"})


# -- the runtime (retries are tested once, in tests/_private/test_handler_runtime.py) --------------------


def test_clients_retry_throttling_adaptively(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    aws = index.Aws.from_environment()
    for client in (aws.autoscaling, aws.codedeploy, aws.elbv2):
        assert client.meta.config.retries["mode"] == "adaptive"
        assert client.meta.config.retries["total_max_attempts"] == 11


def test_handler_imports_as_lambda_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lambda imports index.py as a top-level module from the asset root: no package-relative imports."""
    spec = importlib.util.spec_from_file_location("index", index.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.syspath_prepend(os.path.dirname(index.__file__))  # the asset root, as Lambda puts it on sys.path
    monkeypatch.delitem(sys.modules, "handler_runtime", raising=False)
    monkeypatch.setitem(sys.modules, "index", module)  # as the import system does
    spec.loader.exec_module(module)
    assert callable(module.on_event) and callable(module.is_complete)
    assert module.runtime.__name__ == "handler_runtime", "the runtime's copy in the asset, not the package's"


def test_properties_arrive_as_strings() -> None:
    assert os.path.basename(index.__file__) == "index.py"
    props = index.Props.parse(
        {
            **{k: "x" for k in ("ApplicationName", "DeploymentGroupName", "ServiceRoleArn", "DeploymentConfigName")},
            **{k: "x" for k in ("LaunchTemplateId", "TargetGroupArn", "TargetGroupName", "FleetTagKey")},
            **{k: "x" for k in ("FleetTagValue", "RevisionBucket", "RevisionKey")},
            "LaunchTemplateVersion": "7",
            "SubnetIds": ["s"],
            "MinSize": "1",
            "MaxSize": "2",
            "DesiredCapacity": "",
            "HealthCheckGracePeriod": "0",
            "MaxInstanceLifetime": "86400",
        }
    )
    assert (props.min_size, props.desired_capacity, props.keep_blue, props.alarm_names) == (1, None, False, ())
    assert props.expected_in_service == 1
