"""The stack drift function: what an operator relies on when the daily drift check runs.

CloudFormation drift detection and CloudWatch run through botocore's Stubber (moto implements
neither DetectStackDrift nor DescribeStackDriftDetectionStatus), which checks every request
against the real API model. Each test states which datapoints are published (none means the
alarm keeps its last state) and whether the run fails (the construct's CheckFailed alarm).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from immutable_constructs.drift.stack_drift_handler import index

REGION = "us-east-1"
NOW = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.cloudformation = boto3.client(
            "cloudformation", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
        )
        self.cloudwatch = boto3.client(
            "cloudwatch", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
        )
        self.cfn = Stubber(self.cloudformation)
        self.cw = Stubber(self.cloudwatch)
        self.sleeps: list[float] = []  # waits between polls
        self.backoffs: list[float] = []  # the runtime's back-off before a retry (handler_runtime.sleep)
        self.remaining = 300_000

    # -- what CloudFormation answers ---------------------------------------------------------
    def stack(self, name: str, status: str = "UPDATE_COMPLETE") -> None:
        self.cfn.add_response(
            "describe_stacks",
            {"Stacks": [{"StackName": name, "StackStatus": status, "CreationTime": NOW}]},
            {"StackName": name},
        )

    def missing(self, name: str) -> None:
        self.cfn.add_client_error(
            "describe_stacks", "ValidationError", f"Stack with id {name} does not exist", 400, {"StackName": name}
        )

    def detect(self, name: str, detection_id: str | None = None) -> str:
        detection_id = detection_id or f"{name}-detection"
        self.cfn.add_response("detect_stack_drift", {"StackDriftDetectionId": detection_id}, {"StackName": name})
        return detection_id

    def refuse(self, name: str, code: str = "ValidationError", message: str = "refused") -> None:
        self.cfn.add_client_error("detect_stack_drift", code, message, 400, {"StackName": name})

    def status(self, detection_id: str, detection: str, drift: str | None = None, count: int | None = None,
               reason: str | None = None) -> None:  # fmt: skip
        body: dict[str, Any] = {
            "StackId": f"arn:aws:cloudformation:{REGION}:123456789012:stack/x/1",
            "StackDriftDetectionId": detection_id,
            "DetectionStatus": detection,
            "Timestamp": NOW,
        }
        if drift is not None:
            body["StackDriftStatus"] = drift
        if count is not None:
            body["DriftedStackResourceCount"] = count
        if reason is not None:
            body["DetectionStatusReason"] = reason
        self.cfn.add_response("describe_stack_drift_detection_status", body, {"StackDriftDetectionId": detection_id})

    # -- what is published -------------------------------------------------------------------
    def expect_metrics(self, *verdicts: tuple[str, int, int]) -> None:
        """(stack, StackDrifted, DriftedResources) for each stack with a verdict, in order."""
        data = []
        for stack, drifted, count in verdicts:
            dims = [{"Name": "StackName", "Value": stack}]
            data.append({"MetricName": "StackDrifted", "Dimensions": dims, "Timestamp": NOW, "Value": float(drifted),
                         "Unit": "Count"})  # fmt: skip
            data.append({"MetricName": "DriftedResources", "Dimensions": dims, "Timestamp": NOW, "Value": float(count),
                         "Unit": "Count"})  # fmt: skip
        self.cw.add_response("put_metric_data", {}, {"Namespace": index.NAMESPACE, "MetricData": data})

    def run(self, *stacks: str) -> dict[str, Any]:
        return index.check_stacks(
            list(stacks),
            cloudformation=self.cloudformation,
            cloudwatch=self.cloudwatch,
            remaining_ms=lambda: self.remaining,
            sleep=self.sleeps.append,
            clock=lambda: NOW,
        )


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = World()
    monkeypatch.setattr(index.runtime, "sleep", w.backoffs.append)
    with w.cfn, w.cw:
        yield w
        w.cfn.assert_no_pending_responses()
        w.cw.assert_no_pending_responses()


def test_in_sync_stack_publishes_zero_after_polling(world: World) -> None:
    world.stack("shop")
    detection = world.detect("shop")
    world.status(detection, "DETECTION_IN_PROGRESS")
    world.status(detection, "DETECTION_COMPLETE", "IN_SYNC", 0)
    world.expect_metrics(("shop", 0, 0))
    assert world.run("shop")["shop"]["result"] == "in_sync"
    assert world.sleeps == [5.0], "it waited once between the two polls"


def test_drifted_stack_publishes_one_and_the_drifted_resource_count(world: World) -> None:
    world.stack("shop")
    world.status(world.detect("shop"), "DETECTION_COMPLETE", "DRIFTED", 3)
    world.expect_metrics(("shop", 1, 3))
    assert world.run("shop")["shop"] == {
        "stack": "shop",
        "result": "drifted",
        "drifted_resources": 3,
        "detection_id": "shop-detection",
    }


def test_all_stacks_are_started_before_any_is_polled(world: World) -> None:
    world.stack("a")
    first = world.detect("a")
    world.stack("b")
    second = world.detect("b")
    world.status(first, "DETECTION_COMPLETE", "IN_SYNC", 0)
    world.status(second, "DETECTION_COMPLETE", "DRIFTED", 1)
    world.expect_metrics(("a", 0, 0), ("b", 1, 1))
    world.run("a", "b")


def test_stack_being_updated_is_skipped_without_detection_or_metric(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.stack("shop", "UPDATE_IN_PROGRESS")  # no DetectStackDrift call, no PutMetricData: the stubs would fail
    with caplog.at_level(logging.INFO):
        result = world.run("shop")
    assert result["shop"]["result"] == "busy"
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith("{")]
    assert logged == [
        {"level": "info", "handler": "stack-drift", "event": "drift-check", "message": "shop: busy",
         "fields": result["shop"]}
    ]  # fmt: skip
    assert "UPDATE_IN_PROGRESS" in logged[0]["fields"]["reason"]


def test_update_starting_between_describe_and_detect_is_skipped_too(world: World) -> None:
    world.stack("shop", "UPDATE_COMPLETE")
    world.refuse("shop", message="Stack [shop] is in UPDATE_IN_PROGRESS state and can not be updated.")
    world.stack("shop", "UPDATE_IN_PROGRESS")
    assert world.run("shop")["shop"]["result"] == "busy"


def test_detection_already_in_progress_is_skipped(world: World) -> None:
    world.stack("shop")
    world.refuse("shop", message="Drift detection is already in progress for stack shop")
    world.stack("shop")
    assert world.run("shop")["shop"]["result"] == "in_progress"


def test_stack_in_a_status_without_drift_detection_is_skipped(world: World) -> None:
    world.stack("shop", "ROLLBACK_COMPLETE")
    world.refuse("shop", message="Drift detection cannot be performed on stack in ROLLBACK_COMPLETE")
    world.stack("shop", "ROLLBACK_COMPLETE")
    assert world.run("shop")["shop"]["result"] == "not_eligible"


def test_detection_not_finished_in_time_publishes_nothing_and_does_not_fail(world: World) -> None:
    world.stack("slow")
    detection = world.detect("slow")
    world.stack("quick")
    quick = world.detect("quick")
    world.status(detection, "DETECTION_IN_PROGRESS")
    world.status(quick, "DETECTION_COMPLETE", "IN_SYNC", 0)
    world.expect_metrics(("quick", 0, 0))  # the finished one is still published
    world.remaining = 20_000  # less than the margin and one poll
    result = world.run("slow", "quick")
    assert result["slow"]["result"] == "incomplete"
    assert world.sleeps == []


def test_throttling_is_retried_with_backoff(world: World) -> None:
    world.stack("shop")
    world.refuse("shop", "Throttling", "Rate exceeded")
    world.refuse("shop", "Throttling", "Rate exceeded")
    world.status(world.detect("shop"), "DETECTION_COMPLETE", "IN_SYNC", 0)
    world.expect_metrics(("shop", 0, 0))
    assert world.run("shop")["shop"]["result"] == "in_sync"
    assert world.sleeps == [], "no poll: the first status is final"
    assert len(world.backoffs) == 2 and all(0 <= d <= bound for d, bound in zip(world.backoffs, (1, 2), strict=True))


def test_throttling_past_the_retries_fails_loudly_after_checking_the_other_stacks(world: World) -> None:
    for _ in range(5):
        world.cfn.add_client_error("describe_stacks", "Throttling", "Rate exceeded", 400, {"StackName": "busy-api"})
    world.stack("shop")
    world.status(world.detect("shop"), "DETECTION_COMPLETE", "DRIFTED", 2)
    world.expect_metrics(("shop", 1, 2))
    with pytest.raises(index.DriftCheckError, match=r"1 of 2 stacks: busy-api: error \(Throttling: Rate exceeded\)"):
        world.run("busy-api", "shop")
    assert len(world.backoffs) == 4, "five attempts, four back-offs (full jitter below 1, 2, 4, 8 s)"
    assert all(0 <= d <= bound for d, bound in zip(world.backoffs, (1, 2, 4, 8), strict=True))


def test_deleted_stack_fails_loudly_and_names_the_fix(world: World) -> None:
    world.missing("gone")
    world.stack("shop")
    world.status(world.detect("shop"), "DETECTION_COMPLETE", "IN_SYNC", 0)
    world.expect_metrics(("shop", 0, 0))
    with pytest.raises(index.DriftCheckError, match=r"gone: deleted .*remove it from the construct's stacks"):
        world.run("gone", "shop")


def test_stack_deleted_between_describe_and_detect(world: World) -> None:
    world.stack("gone")
    world.refuse("gone", message="Stack with id gone does not exist")
    world.missing("gone")
    with pytest.raises(index.DriftCheckError, match="gone: deleted"):
        world.run("gone")


def test_failed_detection_that_found_drift_still_publishes_it_and_fails(world: World) -> None:
    world.stack("shop")
    reason = "Failed to detect drift on resource [Secret]: AccessDenied secretsmanager:GetSecretValue"
    world.status(world.detect("shop"), "DETECTION_FAILED", "DRIFTED", 1, reason)
    world.expect_metrics(("shop", 1, 1))
    with pytest.raises(index.DriftCheckError, match=r"shop: detection_failed .*GetSecretValue"):
        world.run("shop")


def test_failed_detection_that_found_no_drift_publishes_nothing(world: World) -> None:
    world.stack("shop")
    world.status(world.detect("shop"), "DETECTION_FAILED", "IN_SYNC", 0, "Failed to detect drift on [Secret]")
    with pytest.raises(index.DriftCheckError, match="shop: detection_failed"):
        world.run("shop")  # no PutMetricData stub: publishing "in sync" here would be a guess


def test_access_denied_is_not_retried_and_fails(world: World) -> None:
    world.stack("shop")
    world.refuse("shop", "AccessDenied", "not authorized to perform cloudformation:DetectStackDrift")
    with pytest.raises(index.DriftCheckError, match="AccessDenied"):
        world.run("shop")
    assert world.sleeps == [] and world.backoffs == []


def test_metric_data_is_sent_in_requests_of_at_most_500_datapoints() -> None:
    outcomes = [index.Outcome(f"s{i}", "in_sync", drifted_resources=0) for i in range(300)]
    data = index.metric_data(outcomes, NOW)
    assert len(data) == 600

    class Recorder:
        calls: list[int] = []

        def put_metric_data(self, **kwargs: Any) -> None:
            self.calls.append(len(kwargs["MetricData"]))

    class Done:
        def describe_stacks(self, **kwargs: Any) -> Any:
            return {"Stacks": [{"StackStatus": "UPDATE_COMPLETE"}]}

        def detect_stack_drift(self, **kwargs: Any) -> Any:
            return {"StackDriftDetectionId": kwargs["StackName"]}

        def describe_stack_drift_detection_status(self, **kwargs: Any) -> Any:
            return {
                "DetectionStatus": "DETECTION_COMPLETE",
                "StackDriftStatus": "IN_SYNC",
                "DriftedStackResourceCount": 0,
            }

    recorder = Recorder()
    index.check_stacks([f"s{i}" for i in range(300)], cloudformation=Done(), cloudwatch=recorder,
                       remaining_ms=lambda: 300_000, clock=lambda: NOW)  # fmt: skip
    assert recorder.calls == [500, 100]


def test_handler_reads_its_environment_and_the_lambda_time_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    world = World()
    monkeypatch.setenv("STACK_NAMES", json.dumps(["shop"]))
    monkeypatch.setenv("NAMESPACE", index.NAMESPACE)
    clients = {"cloudformation": world.cloudformation, "cloudwatch": world.cloudwatch}
    monkeypatch.setattr(index.boto3, "client", lambda service, **kwargs: clients[service])

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 1_000  # too little to poll: the detection is reported incomplete

    with world.cfn, world.cw:
        world.stack("shop")
        world.status(world.detect("shop"), "DETECTION_IN_PROGRESS")
        assert index.handler({"source": "aws.events"}, Context())["shop"]["result"] == "incomplete"
        world.cfn.assert_no_pending_responses()
