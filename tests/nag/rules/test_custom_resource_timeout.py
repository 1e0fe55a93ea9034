"""IMM-DEP5: a provider that can wait as long as CloudFormation's timeout is reported; a shorter wait passes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from immutable_constructs.nag.rules import custom_resource_timeout

from ..helpers import reported


def provider(max_attempts: int) -> dict[str, Any]:
    retry = {"IntervalSeconds": 30, "MaxAttempts": max_attempts, "BackoffRate": 1}
    body = json.dumps({"StartAt": "poll", "States": {"poll": {"Type": "Task", "Resource": "PLACEHOLDER", "End": True,
                                                               "Retry": [retry]}}})  # fmt: skip
    before, after = body.split("PLACEHOLDER")
    return {
        "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "DefinitionString": {"Fn::Join": ["", [before, {"Fn::GetAtt": ["IsComplete", "Arn"]}, after]]}}},
        "OnEvent": {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": {
            "WAITER_STATE_MACHINE_ARN": {"Ref": "Machine"}}}}},
        "Resource": {"Type": "Custom::Thing", "Properties": {"ServiceToken": {"Fn::GetAtt": ["OnEvent", "Arn"]}}},
    }  # fmt: skip


def test_an_hour_of_waiting_is_reported() -> None:
    assert reported(provider(120), "IMM-DEP5") == {"Resource"}


def test_fifty_minutes_pass() -> None:
    assert reported(provider(100), "IMM-DEP5") == set()


def reference_total(interval: float, attempts: int, rate: float, cap: float | None, limit: float) -> float:
    """The Step Functions retrier's waits added one attempt at a time (AWS Step Functions Developer Guide,
    "Retrying after an error": IntervalSeconds, BackoffRate, MaxDelaySeconds), stopped at ``limit``."""
    total = 0.0
    for attempt in range(attempts):
        delay = interval * rate**attempt
        total += min(delay, cap) if cap is not None else delay
        if total >= limit:
            break
    return total


@pytest.mark.parametrize(
    ("interval", "attempts", "rate", "cap"),
    [(30, 100, 1, None), (30, 120, 1, None), (1, 20, 2, None), (2, 30, 1.5, 60), (5, 3, 2, 8), (0, 50, 2, None),
     (10, 0, 2, None), (0.5, 400, 1, None), (1, 200, 1.1, 300)],
)  # fmt: skip
def test_the_retry_total_is_the_attempt_by_attempt_sum(interval: float, attempts: int, rate: float, cap: Any) -> None:
    retrier = {"IntervalSeconds": interval, "MaxAttempts": attempts, "BackoffRate": rate}
    if cap is not None:
        retrier["MaxDelaySeconds"] = cap
    seconds, _ = custom_resource_timeout._retry_seconds(retrier, 3600)
    expected = reference_total(interval, attempts, rate, cap, 3600)
    assert seconds == pytest.approx(expected) or (seconds >= 3600 and expected >= 3600)


def test_a_retrier_of_a_trillion_attempts_without_delay_is_summed_not_looped() -> None:
    for rate in (1, 2):  # rate 1: 10**12 turns of a loop; rate 2: 2.0**1024 overflowed after 1,024 turns
        no_delay = {"IntervalSeconds": 0, "MaxAttempts": 10**12, "BackoffRate": rate}
        assert custom_resource_timeout._retry_seconds(no_delay, 3600)[0] == 0
    one_second = {"IntervalSeconds": 1, "MaxAttempts": 10**12, "BackoffRate": 1}
    assert custom_resource_timeout._retry_seconds(one_second, 3600)[0] >= 3600
