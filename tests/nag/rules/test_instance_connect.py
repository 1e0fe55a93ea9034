"""IMM-SSH3: an EC2 Instance Connect endpoint is reported; Session Manager endpoints pass."""

from __future__ import annotations

from ..helpers import reported


def test_instance_connect_endpoint_is_reported() -> None:
    endpoint = {"Type": "AWS::EC2::InstanceConnectEndpoint", "Properties": {"SubnetId": "subnet-1"}}
    assert reported({"E": endpoint}, "IMM-SSH3") == {"E"}


def test_session_manager_endpoint_passes() -> None:
    endpoint = {"Type": "AWS::EC2::VPCEndpoint",
                "Properties": {"ServiceName": "com.amazonaws.us-east-1.ssmmessages", "VpcId": "vpc-1"}}  # fmt: skip
    assert reported({"E": endpoint}, "IMM-SSH3") == set()
