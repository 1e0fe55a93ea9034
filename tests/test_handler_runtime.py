"""The one runtime of the four handlers (immutable_constructs/_private/handler_runtime.py), tested once:
retries with full jitter on throttling, 5xx and connection errors only; the same copy in every asset;
one JSON key set in the logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError, ReadTimeoutError
from botocore.stub import Stubber

import immutable_constructs
from immutable_constructs._private import handler_runtime as runtime

PACKAGE = Path(immutable_constructs.__file__).resolve().parent
HANDLERS = ("fleet/blue_green_handler", "images/promotion_handler", "drift/tainted_hosts_handler",
            "drift/stack_drift_handler")  # fmt: skip


def client() -> object:
    return boto3.client("autoscaling", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")


@pytest.mark.parametrize("folder", HANDLERS)
def test_every_handler_asset_ships_the_same_runtime(folder: str) -> None:
    copy = PACKAGE / folder / "handler_runtime.py"
    source = PACKAGE / "_private" / "handler_runtime.py"
    assert copy.read_bytes() == source.read_bytes(), (
        f"{copy} differs from {source}: run `python tools/sync_handler_runtime.py`"
    )


def test_transient_errors_back_off_with_full_jitter_then_succeed(monkeypatch: pytest.MonkeyPatch) -> None:
    delays: list[float] = []
    monkeypatch.setattr(runtime, "sleep", delays.append)
    bounds: list[float] = []
    monkeypatch.setattr(runtime.random, "uniform", lambda low, high: bounds.append(high) or high / 2)
    c = client()
    with Stubber(c) as stubber:
        stubber.add_client_error("describe_auto_scaling_groups", service_error_code="Throttling")
        stubber.add_client_error("describe_auto_scaling_groups", service_error_code="RequestLimitExceeded")
        stubber.add_client_error("describe_auto_scaling_groups", "InternalFailure", http_status_code=500)
        stubber.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": []})
        assert runtime.call(c, "describe_auto_scaling_groups")["AutoScalingGroups"] == []
    assert bounds == [1.0, 2.0, 4.0], "the bound doubles"
    assert delays == [0.5, 1.0, 2.0], "the delay is drawn uniformly below the bound (full jitter)"


def test_the_bound_is_capped() -> None:
    assert all(0 <= runtime.backoff(30) <= runtime.CAP_SECONDS for _ in range(100))


def test_a_storm_that_never_ends_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "sleep", lambda seconds: None)
    c = client()
    with Stubber(c) as stubber:
        for _ in range(runtime.ATTEMPTS):
            stubber.add_client_error("describe_auto_scaling_groups", service_error_code="Throttling")
        with pytest.raises(ClientError, match="Throttling"):
            runtime.call(c, "describe_auto_scaling_groups")
        stubber.assert_no_pending_responses()


def test_other_errors_are_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "sleep", lambda seconds: pytest.fail("must not back off"))
    c = client()
    with Stubber(c) as stubber:
        stubber.add_client_error("describe_auto_scaling_groups", service_error_code="ValidationError")
        with pytest.raises(ClientError, match="ValidationError"):
            runtime.call(c, "describe_auto_scaling_groups")
    with pytest.raises(ParamValidationError):  # a bug in the request: no retry, no transient
        runtime.call(c, "describe_auto_scaling_groups", AutoScalingGroupNames="not-a-list")


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ClientError({"Error": {"Code": "ThrottlingException"}}, "X"), True),
        (ClientError({"Error": {"Code": "SlowDown"}}, "X"), True),
        (ClientError({"Error": {"Code": "X"}, "ResponseMetadata": {"HTTPStatusCode": 503}}, "X"), True),
        (EndpointConnectionError(endpoint_url="https://x"), True),
        (ReadTimeoutError(endpoint_url="https://x"), True),
        (ClientError({"Error": {"Code": "AlreadyExists"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, "X"), False),
        (ClientError({"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "X"), False),
        (ParamValidationError(report="bad"), False),
        (ValueError("bug"), False),
    ],
)
def test_what_is_transient(error: BaseException, transient: bool) -> None:
    assert runtime.is_transient(error) is transient


def test_logs_are_json_with_one_key_set(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="immutable_constructs.handler"):
        runtime.log("warning", "retry", "slow down", operation="DescribeAutoScalingGroups", delay=1.5)
    (line,) = [r.getMessage() for r in caplog.records if r.name == "immutable_constructs.handler"]
    record = json.loads(line)
    assert tuple(sorted(record)) == tuple(sorted(runtime.LOG_KEYS))
    assert record["fields"] == {"operation": "DescribeAutoScalingGroups", "delay": 1.5}
