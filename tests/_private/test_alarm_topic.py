"""Every alarm of the library reaches a person: one topic per stack, encrypted, SSL-only, CloudWatch may publish."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_sns as sns

from immutable_constructs import (
    AlarmTopic,
    FleetUpdate,
    ImmutableFleet,
    PinnedSsmImage,
    SessionManagerAccess,
    StackDriftAlarm,
    ValidationError,
)

from ..conftest import logical_id, only, resources_of, template_json

IMAGE = PinnedSsmImage("/images/web/stable", version=3)
SMALL = ec2.InstanceType("t3.small")


@pytest.fixture(scope="module")
def everything() -> tuple[Stack, dict[str, Any]]:
    """A stack with each kind of library alarm: a fleet behind a load balancer, drift, tainted hosts."""
    stack = Stack(App(), "Alarmed")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    lb = elbv2.ApplicationLoadBalancer(stack, "Lb", vpc=vpc)
    group = elbv2.ApplicationTargetGroup(stack, "Targets", vpc=vpc, port=80, target_type=elbv2.TargetType.INSTANCE)
    lb.add_listener("Http", port=80, default_target_groups=[group])
    fleet = ImmutableFleet(stack, "Web", vpc=vpc, instance_type=SMALL, machine_image=IMAGE, target_groups=[group])
    SessionManagerAccess(stack, "Sessions", vpc=vpc).add_fleet(fleet)
    StackDriftAlarm(stack, "Drift")  # by default, the stack's alarm topic too
    return stack, template_json(stack)


def test_every_alarm_of_the_library_notifies_the_one_topic(everything: tuple[Stack, dict[str, Any]]) -> None:
    stack, template = everything
    (topic_id,) = resources_of(template, "AWS::SNS::Topic")
    assert topic_id == logical_id(stack, AlarmTopic.of(stack).topic)  # type: ignore[arg-type]
    alarms = resources_of(template, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 8, sorted(alarms)  # 2 target-group, CPU, silence, 2 tainted-host, drift, check failed
    for name, alarm in alarms.items():
        assert {"Ref": topic_id} in alarm["Properties"].get("AlarmActions", []), name
        if not name.startswith("DriftCheckFailed"):  # a failed check has no "OK" worth paging about
            assert {"Ref": topic_id} in alarm["Properties"].get("OKActions", []), name


def test_the_topic_is_encrypted_with_its_own_rotated_key(everything: tuple[Stack, dict[str, Any]]) -> None:
    stack, template = everything
    topic = only(template, "AWS::SNS::Topic")["Properties"]
    key_id = logical_id(stack, AlarmTopic.of(stack).key)  # type: ignore[arg-type]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    key = template["Resources"][key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    (statement,) = [s for s in key["KeyPolicy"]["Statement"] if s.get("Sid") == "CloudWatchAlarmsPublish"]
    # SNS Developer Guide, "Enable compatibility between event sources from AWS services and encrypted topics".
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_the_topic_is_ssl_only_and_only_this_accounts_alarms_may_publish(
    everything: tuple[Stack, dict[str, Any]],
) -> None:
    _, template = everything
    statements = only(template, "AWS::SNS::TopicPolicy")["Properties"]["PolicyDocument"]["Statement"]
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and deny["Principal"] in ("*", {"AWS": "*"})
    (publish,) = [s for s in statements if s.get("Sid") == "CloudWatchAlarmsPublish"]
    assert publish["Effect"] == "Allow" and publish["Action"] == "sns:Publish"
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    source_arn = publish["Condition"]["ArnLike"]["aws:SourceArn"]
    joined = "".join(p if isinstance(p, str) else str(p) for p in source_arn["Fn::Join"][1])
    assert ":cloudwatch:" in joined and joined.endswith(":alarm:*") and "AWS::AccountId" in joined


def test_the_users_topic_replaces_it(tmp_path: object) -> None:
    stack = Stack(App(), "Paged")
    pager = sns.Topic(stack, "Pager")
    AlarmTopic.use(stack, pager)
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    ImmutableFleet(stack, "Web", vpc=vpc, instance_type=SMALL, machine_image=IMAGE)
    template = template_json(stack)
    assert resources_of(template, "AWS::KMS::Key") == {}
    for alarm in resources_of(template, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": logical_id(stack, pager)}]
    with pytest.raises(ValidationError, match="before creating fleets"):
        AlarmTopic.use(stack, sns.Topic(stack, "Late"))


@pytest.mark.parametrize(
    ("update", "says"),
    [
        (None, "notifies only: a replacing update does not watch alarms"),
        (FleetUpdate.rolling(), "notifies only: a rolling update does not watch alarms"),
        (FleetUpdate.instance_refresh(), "rolls an instance refresh back"),
    ],
)
def test_target_group_alarms_say_what_they_do_to_a_release(update: FleetUpdate | None, says: str) -> None:
    stack = Stack(App(), "Says")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    lb = elbv2.ApplicationLoadBalancer(stack, "Lb", vpc=vpc)
    group = elbv2.ApplicationTargetGroup(stack, "Targets", vpc=vpc, port=80, target_type=elbv2.TargetType.INSTANCE)
    lb.add_listener("Http", port=80, default_target_groups=[group])
    ImmutableFleet(stack, "Web", vpc=vpc, instance_type=SMALL, machine_image=IMAGE, target_groups=[group],
                   update=update, health_check_grace_period=Duration.minutes(5))  # fmt: skip
    descriptions = [
        a["Properties"]["AlarmDescription"]
        for a in resources_of(template_json(stack), "AWS::CloudWatch::Alarm").values()
    ]
    target_alarms = [d for d in descriptions if "unhealthy" in d or "5xx" in d]
    assert len(target_alarms) == 2 and all(says in d for d in target_alarms), target_alarms
    if "notifies only" in says:
        assert not any("rolls" in d for d in descriptions)
