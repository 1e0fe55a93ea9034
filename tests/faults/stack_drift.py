"""The stack drift function under fault injection: CloudFormation drift detection and CloudWatch answered
on real botocore clients (requests validated against the API model, as in promotion.py), with a small
model of CloudFormation behind them.

The model: each stack has a status and a truth (drifted resource count, 0 = in sync). DetectStackDrift
on a settled stack starts a detection, which reports DETECTION_IN_PROGRESS on its first status poll and
the truth on the next; a detection nobody polled finishes by the next run (time passes). A second
DetectStackDrift while one is running is refused (ValidationError, "already in progress"). A stack
whose status ends in _IN_PROGRESS is refused too. PutMetricData datapoints are recorded.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import boto3
from botocore.awsrequest import AWSResponse

from immutable_constructs.drift.stack_drift_handler import index

from . import FaultPlan, FaultyClient

ACCOUNT = "123456789012"
REGION = "us-east-1"
SESSION = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
NOW = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)


def _error(code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    body = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}
    return AWSResponse("", 400, {}, None), body


class Answers:
    """Registers on a real client: captures the validated request, answers from ``respond``."""

    def __init__(self, client: Any, service: str) -> None:
        self._params: dict[str, Any] = {}
        client.meta.events.register_first(f"before-parameter-build.{service}", self._capture)
        client.meta.events.register_first(f"before-call.{service}", self._answer)

    def _capture(self, params: dict[str, Any], **_: Any) -> None:
        self._params = copy.deepcopy(params)

    def _answer(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        answer = self.respond(model.name, self._params)
        if isinstance(answer, tuple):
            return answer
        answer["ResponseMetadata"] = {"HTTPStatusCode": 200}
        return AWSResponse("", 200, {}, None), answer

    def respond(self, operation: str, params: dict[str, Any]) -> dict[str, Any] | tuple[AWSResponse, dict[str, Any]]:
        raise NotImplementedError


@dataclass
class Detection:
    stack: str
    polls: int = 0


class FakeCloudFormation(Answers):
    def __init__(self, client: Any) -> None:
        super().__init__(client, "cloudformation")
        self.status: dict[str, str] = {}
        self.truth: dict[str, int] = {}  # drifted resource count, 0 = in sync
        self.detections: dict[str, Detection] = {}

    def running(self, stack: str) -> bool:
        return any(d.stack == stack and d.polls < 2 for d in self.detections.values())

    def respond(self, operation: str, params: dict[str, Any]) -> Any:
        if operation == "DescribeStacks":
            name = params["StackName"]
            if name not in self.status:
                return _error("ValidationError", f"Stack with id {name} does not exist")
            return {"Stacks": [{"StackName": name, "StackStatus": self.status[name], "CreationTime": NOW}]}
        if operation == "DetectStackDrift":
            name = params["StackName"]
            if name not in self.status:
                return _error("ValidationError", f"Stack with id {name} does not exist")
            if self.status[name].endswith("_IN_PROGRESS"):
                return _error("ValidationError", f"Stack {name} is in {self.status[name]} state")
            if self.running(name):
                return _error("ValidationError", f"Drift detection is already in progress for stack {name}")
            detection_id = f"{name}-{len(self.detections) + 1}"
            self.detections[detection_id] = Detection(name)
            return {"StackDriftDetectionId": detection_id}
        if operation == "DescribeStackDriftDetectionStatus":
            detection = self.detections[params["StackDriftDetectionId"]]
            detection.polls += 1
            body: dict[str, Any] = {
                "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{detection.stack}/1",
                "StackDriftDetectionId": params["StackDriftDetectionId"],
                "Timestamp": NOW,
            }
            if detection.polls < 2:
                return {**body, "DetectionStatus": "DETECTION_IN_PROGRESS"}
            count = self.truth[detection.stack]
            return {**body, "DetectionStatus": "DETECTION_COMPLETE", "StackDriftStatus": "DRIFTED" if count else
                    "IN_SYNC", "DriftedStackResourceCount": count}  # fmt: skip
        raise AssertionError(f"unexpected CloudFormation call {operation}")

    def time_passes(self) -> None:
        for detection in self.detections.values():
            detection.polls = max(detection.polls, 2)


class FakeCloudWatch(Answers):
    def __init__(self, client: Any) -> None:
        super().__init__(client, "cloudwatch")
        self.published: list[tuple[str, str, float]] = []  # (stack, metric, value)

    def respond(self, operation: str, params: dict[str, Any]) -> Any:
        assert operation == "PutMetricData", operation
        assert params["Namespace"] == index.NAMESPACE
        for datum in params["MetricData"]:
            (dimension,) = datum["Dimensions"]
            self.published.append((dimension["Value"], datum["MetricName"], datum["Value"]))
        return {}

    def verdicts(self) -> dict[str, float]:
        """The last StackDrifted value published per stack."""
        return {stack: value for stack, metric, value in self.published if metric == "StackDrifted"}


@dataclass
class Stacks:
    cloudformation: FakeCloudFormation
    cloudwatch: FakeCloudWatch
    plan: FaultPlan
    clients: dict[str, Any] = field(default_factory=dict)
    sleeps: list[float] = field(default_factory=list)  # waits between polls
    backoffs: list[float] = field(default_factory=list)  # the handler runtime's back-off before a retry

    def add(self, name: str, drifted: int = 0, status: str = "UPDATE_COMPLETE") -> None:
        self.cloudformation.status[name] = status
        self.cloudformation.truth[name] = drifted

    def run(self, *names: str) -> dict[str, Any]:
        """One scheduled run of the function over ``names``."""
        self.cloudformation.time_passes()
        return index.check_stacks(
            list(names),
            cloudformation=self.clients["cloudformation"],
            cloudwatch=self.clients["cloudwatch"],
            remaining_ms=lambda: 300_000,
            sleep=self.sleeps.append,
            clock=lambda: NOW,
        )


@contextlib.contextmanager
def stacks(plan: FaultPlan | None = None) -> Iterator[Stacks]:
    plan = plan or FaultPlan()
    cloudformation = SESSION.client("cloudformation")
    cloudwatch = SESSION.client("cloudwatch")
    world = Stacks(FakeCloudFormation(cloudformation), FakeCloudWatch(cloudwatch), plan)
    world.clients["cloudformation"] = FaultyClient(cloudformation, "cloudformation", plan)
    world.clients["cloudwatch"] = FaultyClient(cloudwatch, "cloudwatch", plan)
    with mock.patch.object(index.runtime, "sleep", world.backoffs.append):
        yield world
