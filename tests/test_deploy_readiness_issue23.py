"""The run-time contracts of issue 23, read off synthesized templates.

1. The CloudWatch agent appends no EC2-tag dimension (it would call ec2:DescribeTags and publish
   nothing until that succeeds), and IMM-DEP6 flags an agent whose subnets cannot reach an API it calls.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from immutable_constructs.fleet._agent import APPENDED_DIMENSIONS_NEEDING_EC2
from immutable_constructs.nag import ImmutableInfrastructureChecks

from .conftest import Synthesized

PACK = ImmutableInfrastructureChecks()
ASG_DIMENSION = {"AutoScalingGroupName": "${aws:AutoScalingGroupName}", "InstanceId": "${aws:InstanceId}"}


def findings(template: dict[str, Any], rule: str) -> list[tuple[str, str]]:
    return [(str(f.logical_id), f.message) for f in PACK.check_template(template) if f.rule_id == rule]


@pytest.fixture(scope="module")
def isolated(examples: dict[str, Synthesized]) -> dict[str, Any]:
    return examples["isolated_fleet"].templates["IsolatedFleet"]


def of_type(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_name}


def agent_config(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The fleet's agent parameter and its configuration (log group references rendered as text)."""
    ((logical_id, parameter),) = of_type(template, "AWS::SSM::Parameter").items()
    value = parameter["Properties"]["Value"]
    parts = value["Fn::Join"][1] if isinstance(value, dict) else [value]
    return logical_id, json.loads("".join(p if isinstance(p, str) else "group" for p in parts))


def with_config(template: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(template)
    logical_id, _ = agent_config(template)
    changed["Resources"][logical_id]["Properties"]["Value"] = json.dumps(config)
    return changed


def test_agent_appends_only_instance_metadata(isolated: dict[str, Any]) -> None:
    _, config = agent_config(isolated)
    assert config["metrics"]["append_dimensions"] == {"InstanceId": "${aws:InstanceId}"}
    assert not set(config["metrics"]["append_dimensions"].values()) & set(APPENDED_DIMENSIONS_NEEDING_EC2)
    # The alarms read the roll-up without dimensions, which the aggregation keeps.
    assert config["metrics"]["aggregation_dimensions"] == [[]]
    namespace = config["metrics"]["namespace"]
    agent_alarms = [a for a in of_type(isolated, "AWS::CloudWatch::Alarm").values()
                    if a["Properties"].get("Namespace") == namespace]  # fmt: skip
    assert len(agent_alarms) == 2 and all("Dimensions" not in a["Properties"] for a in agent_alarms)


def test_agent_needs_no_ec2_permission(isolated: dict[str, Any]) -> None:
    actions = {
        action
        for policy in of_type(isolated, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert "cloudwatch:PutMetricData" in actions
    assert not {"ec2:DescribeTags", "ec2:DescribeVolumes"} & actions


def test_isolated_example_reaches_every_api_the_agent_calls(isolated: dict[str, Any]) -> None:
    assert findings(isolated, "IMM-DEP6") == []


def test_dep6_flags_the_group_name_dimension_without_an_ec2_endpoint(isolated: dict[str, Any]) -> None:
    _, config = agent_config(isolated)
    config["metrics"]["append_dimensions"] = ASG_DIMENSION
    ((group, message),) = findings(with_config(isolated, config), "IMM-DEP6")
    assert group.startswith("WorkersGroupASG")
    assert "for ec2," in message and "ec2:DescribeTags" in message and "no metric" in message


def test_dep6_passes_with_an_ec2_endpoint(isolated: dict[str, Any]) -> None:
    _, config = agent_config(isolated)
    config["metrics"]["append_dimensions"] = ASG_DIMENSION
    changed = with_config(isolated, config)
    resources = changed["Resources"]
    (monitoring,) = [k for k in of_type(changed, "AWS::EC2::VPCEndpoint") if k.startswith("VpcMonitoring")]
    ec2_endpoint = copy.deepcopy(resources[monitoring])
    ec2_endpoint["Properties"]["ServiceName"] = {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".ec2"]]}
    resources["Ec2Endpoint"] = ec2_endpoint
    assert findings(changed, "IMM-DEP6") == []


@pytest.mark.parametrize("change", ["no monitoring endpoint", "monitoring without private DNS"])
def test_dep6_flags_metrics_without_a_monitoring_endpoint(isolated: dict[str, Any], change: str) -> None:
    changed = copy.deepcopy(isolated)
    (monitoring,) = [k for k in of_type(changed, "AWS::EC2::VPCEndpoint") if k.startswith("VpcMonitoring")]
    if change == "no monitoring endpoint":
        del changed["Resources"][monitoring]
    else:
        changed["Resources"][monitoring]["Properties"]["PrivateDnsEnabled"] = False
    ((_, message),) = findings(changed, "IMM-DEP6")
    assert "for monitoring," in message and "publishes metrics" in message


def test_dep6_passes_subnets_with_a_default_route(isolated: dict[str, Any]) -> None:
    _, config = agent_config(isolated)
    config["metrics"]["append_dimensions"] = ASG_DIMENSION
    changed = with_config(isolated, config)
    for table in of_type(changed, "AWS::EC2::RouteTable"):
        changed["Resources"][f"{table}Nat"] = {
            "Type": "AWS::EC2::Route",
            "Properties": {
                "RouteTableId": {"Ref": table},
                "DestinationCidrBlock": "0.0.0.0/0",
                "NatGatewayId": "nat-1",
            },
        }
    assert findings(changed, "IMM-DEP6") == []


def test_dep6_does_not_judge_subnets_from_outside_the_template(isolated: dict[str, Any]) -> None:
    _, config = agent_config(isolated)
    config["metrics"]["append_dimensions"] = ASG_DIMENSION
    changed = with_config(isolated, config)
    (group,) = of_type(changed, "AWS::AutoScaling::AutoScalingGroup").values()
    group["Properties"]["VPCZoneIdentifier"] = ["subnet-0123456789abcdef0"]
    assert findings(changed, "IMM-DEP6") == []
