"""IMM-DEP6: an agent that needs the ec2 API in subnets without a route to it is reported."""

from __future__ import annotations

from ..helpers import findings, new_stack
from ..test_rules import agent_fleet

ENDPOINTS = ("ssm", "logs", "monitoring")


def test_group_name_dimension_without_an_ec2_endpoint_is_reported() -> None:
    _, stack, _ = new_stack()
    agent_fleet(
        stack, "Tagged", dimensions={"AutoScalingGroupName": "${aws:AutoScalingGroupName}"}, endpoints=ENDPOINTS
    )
    assert len(findings(stack, "IMM-DEP6")) == 1


def test_instance_id_dimension_passes() -> None:
    _, stack, _ = new_stack()
    agent_fleet(stack, "Plain", dimensions={"InstanceId": "${aws:InstanceId}"}, endpoints=ENDPOINTS)
    assert findings(stack, "IMM-DEP6") == {}
