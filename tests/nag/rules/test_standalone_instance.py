"""IMM-REP2: a standalone instance is reported; instances an Auto Scaling group launches are not."""

from __future__ import annotations

from ..helpers import reported


def test_instance_is_reported() -> None:
    assert reported({"I": {"Type": "AWS::EC2::Instance", "Properties": {"ImageId": "ami-1"}}}, "IMM-REP2") == {"I"}


def test_group_passes() -> None:
    group = {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {"MinSize": "1", "MaxSize": "1"}}
    assert reported({"G": group}, "IMM-REP2") == set()
