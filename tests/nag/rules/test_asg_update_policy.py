"""IMM-REP1: a group without a replacing update policy is reported; a rolling update passes."""

from __future__ import annotations

from ..helpers import reported

PROPERTIES = {"MinSize": "1", "MaxSize": "2", "LaunchTemplate": {"LaunchTemplateId": "lt-1", "Version": "1"}}


def test_group_without_update_policy_is_reported() -> None:
    group = {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": PROPERTIES}
    not_replacing = group | {"UpdatePolicy": {"AutoScalingReplacingUpdate": {"WillReplace": False}}}
    assert reported({"G": group, "N": not_replacing}, "IMM-REP1") == {"G", "N"}


def test_rolling_update_passes() -> None:
    group = {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": PROPERTIES,
             "UpdatePolicy": {"AutoScalingRollingUpdate": {"MinInstancesInService": 1}}}  # fmt: skip
    assert reported({"G": group}, "IMM-REP1") == set()
