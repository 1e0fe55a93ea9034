"""The stack's scheduled functions invoked on the emulator with the event their schedule sends.

Each function runs on the emulator's Lambda (Python on the emulator's own interpreter, boto3 pointed
at the emulator) against its services, and the checks read back what it did there.
What ministack 1.5.33 lacks, and so what these runs cannot reach:
- SSM ``DescribeSessions`` (ministack has no Session Manager API): the tainted-host function fails on
  it as soon as a watched host exists; ``autoscaling:SetInstanceHealth`` is missing too, so the
  replacement request itself is proved only by tests/drift/test_tainted_hosts_handler.py (moto).
- CloudWatch alarms are stored but never evaluated: the drift alarm's state is not checked here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from .conftest import ACCOUNT, REGION, Emulator
from .resources import physical_ids

TAINTED_NAMESPACE = "ImmutableConstructs/TaintedHosts"
DRIFT_NAMESPACE = "ImmutableConstructs/StackDrift"


def scheduled_event(rule_arn: str) -> dict[str, Any]:
    """The event an EventBridge schedule rule sends its target (EventBridge User Guide)."""
    return {
        "version": "0",
        "id": "0f9a1c2e-7f1b-4c1d-9a55-6c0e1b2a3d4e",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [rule_arn],
        "detail": {},
    }


def invoke(emulator: Emulator, function: str, event: dict[str, Any]) -> tuple[str | None, Any]:
    answer = emulator.client("lambda").invoke(FunctionName=function, Payload=json.dumps(event).encode())
    return answer.get("FunctionError"), json.loads(answer["Payload"].read() or b"null")


def _scheduled(emulator: Emulator, stack: str, marker: str) -> tuple[str, dict[str, Any]]:
    """The function whose logical id contains ``marker``, and the event of the rule that targets it."""
    resources = physical_ids(emulator.client, stack)
    (function,) = [p for lid, (t, p) in resources.items() if t == "AWS::Lambda::Function" and marker in lid]
    function_arn = emulator.client("lambda").get_function(FunctionName=function)["Configuration"]["FunctionArn"]
    events = emulator.client("events")
    for lid, (resource_type, rule) in resources.items():
        if resource_type != "AWS::Events::Rule":
            continue
        name = rule.split("|")[-1]
        targets = events.list_targets_by_rule(Rule=name)["Targets"]
        if any(target["Arn"] == function_arn for target in targets):
            description = events.describe_rule(Name=name)
            assert description.get("ScheduleExpression"), f"{lid} is not a schedule"
            return function, scheduled_event(description["Arn"])
    raise AssertionError(f"no schedule rule targets {function}")


def _datapoints(emulator: Emulator, namespace: str, metric: str, dimensions: list[dict[str, str]]) -> list[float]:
    now = datetime.now(UTC)
    points = emulator.client("cloudwatch").get_metric_statistics(
        Namespace=namespace,
        MetricName=metric,
        Dimensions=dimensions,
        StartTime=now - timedelta(minutes=30),
        EndTime=now + timedelta(minutes=5),
        Period=60,
        Statistics=["Minimum", "Maximum", "SampleCount"],
    )["Datapoints"]
    return sorted(float(p["Maximum"]) for p in points)


def check_tainted_host_function(emulator: Emulator, stack: str) -> None:
    function, event = _scheduled(emulator, stack, "TaintedHosts")
    environment = emulator.client("lambda").get_function_configuration(FunctionName=function)["Environment"]
    variables = environment["Variables"]
    watcher = [{"Name": "Watcher", "Value": variables["WATCHER"]}]

    # No host in the fleet: a clean run that publishes zeros.
    error, result = invoke(emulator, function, event)
    assert error is None, result
    assert result == {
        "decisions": {},
        "TaintedHosts": 0,
        "OverdueTaintedHosts": 0,
        "ReplacementsRequested": 0,
        "errors": [],
    }
    for metric in ("TaintedHosts", "OverdueTaintedHosts", "ReplacementsRequested"):
        assert _datapoints(emulator, TAINTED_NAMESPACE, metric, watcher) == [0.0], metric

    # A host of the fleet (the emulator launches none, so the test does): the function finds it by the
    # fleet tag its environment names, then needs Session Manager's DescribeSessions, which ministack lacks.
    ec2 = emulator.client("ec2")
    subnet = next(p for t, p in physical_ids(emulator.client, stack).values() if t == "AWS::EC2::Subnet")
    fleet = json.loads(variables["FLEET_TAG_VALUES"])[0]
    instance = ec2.run_instances(
        ImageId="ami-0123456789abcdef0",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": variables["FLEET_TAG_KEY"], "Value": fleet}]}],
    )["Instances"][0]["InstanceId"]
    try:
        error, result = invoke(emulator, function, event)
        assert error is not None and "DescribeSessions" in result["errorMessage"], result
    finally:
        ec2.terminate_instances(InstanceIds=[instance])


def check_drift_function(emulator: Emulator, stack: str) -> None:
    function, event = _scheduled(emulator, stack, "Drift")
    dimensions = [{"Name": "StackName", "Value": stack}]

    error, result = invoke(emulator, function, event)
    assert error is None, result
    assert result[stack]["result"] == "in_sync" and result[stack]["drifted_resources"] == 0, result
    assert _datapoints(emulator, DRIFT_NAMESPACE, "StackDrifted", dimensions) == [0.0]

    # A change made outside CloudFormation: the fleet's agent configuration edited by hand.
    ssm = emulator.client("ssm")
    parameter = min(p for t, p in physical_ids(emulator.client, stack).values() if t == "AWS::SSM::Parameter")
    original = ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
    ssm.put_parameter(Name=parameter, Value=json.dumps({"edited": "by hand"}), Type="String", Overwrite=True)
    try:
        error, result = invoke(emulator, function, event)
        assert error is None, result
        assert result[stack]["result"] == "drifted" and result[stack]["drifted_resources"] == 1, result
        assert 1.0 in _datapoints(emulator, DRIFT_NAMESPACE, "StackDrifted", dimensions)
        assert 1.0 in _datapoints(emulator, DRIFT_NAMESPACE, "DriftedResources", dimensions)
    finally:
        ssm.put_parameter(Name=parameter, Value=original, Type="String", Overwrite=True)


def check_functions(emulator: Emulator, stack: str) -> None:
    check_tainted_host_function(emulator, stack)
    check_drift_function(emulator, stack)
