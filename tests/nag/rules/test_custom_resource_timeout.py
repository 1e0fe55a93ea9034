"""IMM-DEP5: a provider that can wait as long as CloudFormation's timeout is reported; a shorter wait passes."""

from __future__ import annotations

import json
from typing import Any

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
