"""IMM-IMG4: a fleet on TrialImage (the agent installed at boot) is reported; a pinned golden image is not."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2

from immutable_constructs import ImmutableFleet, PinnedSsmImage, TrialImage
from immutable_constructs.images.trial import TRIAL_MARKER
from immutable_constructs.nag.rules import trial_image

from ..helpers import findings, new_stack

SMALL = ec2.InstanceType("t3.small")


def test_a_trial_fleet_is_reported_on_its_launch_template() -> None:
    _, stack, vpc = new_stack()
    ImmutableFleet(stack, "Web", vpc=vpc, instance_type=SMALL, machine_image=TrialImage.amazon_linux_2023(version=97))
    ((logical_id, messages),) = findings(stack, "IMM-IMG4").items()
    assert logical_id.startswith("WebLaunchTemplate")
    (message,) = messages
    assert "installs the CloudWatch agent at every boot (TrialImage)" in message


def test_a_fleet_on_a_pinned_image_is_not() -> None:
    _, stack, vpc = new_stack()
    ImmutableFleet(stack, "Web", vpc=vpc, instance_type=SMALL, machine_image=PinnedSsmImage("/images/web", version=3))
    assert findings(stack, "IMM-IMG4") == {}


def test_hand_written_user_data_with_the_marker_is_reported_too() -> None:
    _, stack, _ = new_stack()
    user_data = ec2.UserData.for_linux()
    user_data.add_commands(TRIAL_MARKER, "dnf install -y amazon-cloudwatch-agent")
    ec2.LaunchTemplate(stack, "Hand", machine_image=PinnedSsmImage("/images/web", version=3), user_data=user_data)
    assert len(findings(stack, "IMM-IMG4")) == 1


def test_the_rule_looks_for_the_marker_the_image_writes() -> None:
    assert trial_image.MARKER == TRIAL_MARKER
