"""Run CloudFormation drift detection on a list of stacks and publish the result as CloudWatch metrics.

Invoked by an EventBridge schedule. For every stack in ``STACK_NAMES`` (a JSON list) it starts
``DetectStackDrift``, then polls ``DescribeStackDriftDetectionStatus`` for all of them while the
function's time budget lasts, and publishes, in namespace ``NAMESPACE``, dimension ``StackName``:

* ``StackDrifted``: 1 when the stack has drifted, 0 when it is in sync;
* ``DriftedResources``: the number of drifted resources.

Nothing is published for a stack whose state is not known this run, so the alarm's missing-data
treatment (``ignore``: keep the last state) keeps the last verdict rather than raising or clearing
a false alarm:

* the stack is being updated (``*_IN_PROGRESS``): CloudFormation refuses drift detection; skipped;
* another drift detection is already running on it: skipped (its result lands in the stack's
  drift information, the next run publishes it);
* detection did not finish within the time budget: skipped;
* the stack's status does not allow drift detection (e.g. ``ROLLBACK_COMPLETE``): skipped.

Each of those is logged as one JSON line. These end the run with an exception after every other
stack was handled (Lambda's ``Errors`` metric, which the construct alarms on):

* throttling, server or connection errors that outlasted the retries (botocore's, then the handlers' one
  runtime, ``handler_runtime.py`` beside this file: five attempts with full jitter);
* the stack does not exist (deleted, or a wrong name in ``stacks``);
* detection failed (``DETECTION_FAILED``: CloudFormation could not read some resource, usually a
  missing read permission; a ``DRIFTED`` verdict found before the failure is still published);
* any other error.

CloudFormation reads every resource with the caller's permissions (CloudFormation User Guide,
"Considerations when detecting drift"), so this function's role needs read access to every
resource type in the stacks.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

try:  # Lambda imports index.py from the asset root, where the runtime's copy sits beside it
    import handler_runtime as runtime  # type: ignore[import-not-found,unused-ignore]
except ModuleNotFoundError:  # imported as part of the package (tests, tools)
    from . import handler_runtime as runtime

runtime.HANDLER = "stack-drift"

NAMESPACE = "ImmutableConstructs/StackDrift"
#: Stack statuses on which CloudFormation runs drift detection (User Guide, "What is drift?").
DETECTABLE = frozenset(
    {
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "UPDATE_ROLLBACK_FAILED",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    }
)
#: Outcomes that publish a metric.
CONCLUDED = ("drifted", "in_sync")
#: Outcomes that fail the run (after every stack was handled).
FAILED = ("deleted", "detection_failed", "error")


class DriftCheckError(RuntimeError):
    """Some stacks could not be checked; the message names each one and why."""


@dataclass
class Outcome:
    """What one run found for one stack."""

    stack: str
    result: str  # drifted, in_sync, busy, in_progress, incomplete, not_eligible, deleted, detection_failed, error
    reason: str = ""
    drifted_resources: int | None = None
    detection_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_log(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"stack": self.stack, "result": self.result}
        if self.reason:
            entry["reason"] = self.reason
        if self.drifted_resources is not None:
            entry["drifted_resources"] = self.drifted_resources
        if self.detection_id:
            entry["detection_id"] = self.detection_id
        return entry


#: Every AWS call: retried with full jitter on throttling, 5xx and connection errors (handler_runtime).
call = runtime.call
error_code = runtime.error_code


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


def describe_error(error: Exception) -> str:
    if isinstance(error, ClientError):
        return f"{error_code(error)}: {error_message(error)}"
    return f"{type(error).__name__}: {error}"


def _missing(error: ClientError) -> bool:
    """DescribeStacks' answer for a stack that does not exist (ValidationError 'Stack with id X does not exist')."""
    return error_code(error) == "ValidationError" and "does not exist" in error_message(error)


def stack_status(cloudformation: Any, name: str) -> str | None:
    """The stack's status, or None when it does not exist."""
    try:
        stacks = call(cloudformation, "describe_stacks", StackName=name)["Stacks"]
    except ClientError as error:
        if _missing(error):
            return None
        raise
    return str(stacks[0]["StackStatus"]) if stacks else None


def start(cloudformation: Any, name: str) -> Outcome:
    """Start drift detection on ``name``: an outcome with ``detection_id`` (result 'started'), or why not."""
    status = stack_status(cloudformation, name)
    if status is None:
        return Outcome(name, "deleted", f"stack {name} does not exist: remove it from the construct's stacks")
    if status.endswith("_IN_PROGRESS"):
        return Outcome(name, "busy", f"stack is {status}; CloudFormation detects drift only on a settled stack")
    try:
        detection = call(cloudformation, "detect_stack_drift", StackName=name)
    except ClientError as error:
        if error_code(error) != "ValidationError":
            raise
        # Refused: find out why from the stack itself rather than from the message's wording.
        status = stack_status(cloudformation, name)
        if status is None:
            return Outcome(name, "deleted", f"stack {name} does not exist: remove it from the construct's stacks")
        if status.endswith("_IN_PROGRESS"):
            return Outcome(name, "busy", f"stack is {status}; CloudFormation detects drift only on a settled stack")
        if status not in DETECTABLE:
            return Outcome(
                name, "not_eligible", f"stack is {status}; drift detection runs on {', '.join(sorted(DETECTABLE))}"
            )
        message = error_message(error)
        if "progress" in message.lower():
            return Outcome(name, "in_progress", f"another drift detection is running: {message}")
        return Outcome(name, "error", f"DetectStackDrift refused: {message}")
    return Outcome(name, "started", detection_id=str(detection["StackDriftDetectionId"]))


def conclude(name: str, status: Mapping[str, Any]) -> Outcome | None:
    """The outcome of a finished detection, or None while it is still running."""
    detection = status.get("DetectionStatus")
    if detection == "DETECTION_IN_PROGRESS":
        return None
    drift = status.get("StackDriftStatus")
    count = status.get("DriftedStackResourceCount")
    detection_id = status.get("StackDriftDetectionId")
    if detection == "DETECTION_COMPLETE" and drift in ("DRIFTED", "IN_SYNC"):
        result = "drifted" if drift == "DRIFTED" else "in_sync"
        return Outcome(name, result, drifted_resources=int(count or 0), detection_id=detection_id)
    reason = status.get("DetectionStatusReason") or f"detection {detection}, stack drift status {drift}"
    outcome = Outcome(name, "detection_failed", str(reason), detection_id=detection_id)
    if drift == "DRIFTED":  # some resources could not be read, but those that were read have drifted: that stands
        outcome.details["published"] = Outcome(name, "drifted", drifted_resources=int(count or 0))
    return outcome


def metric_data(outcomes: Sequence[Outcome], now: datetime) -> list[dict[str, Any]]:
    """The datapoints for the outcomes that reached a verdict."""
    data: list[dict[str, Any]] = []
    for outcome in outcomes:
        verdict = outcome.details.get("published", outcome)
        if verdict.result not in CONCLUDED:
            continue
        dimensions = [{"Name": "StackName", "Value": outcome.stack}]
        data.append(
            {
                "MetricName": "StackDrifted",
                "Dimensions": dimensions,
                "Timestamp": now,
                "Value": 1.0 if verdict.result == "drifted" else 0.0,
                "Unit": "Count",
            }
        )
        data.append(
            {
                "MetricName": "DriftedResources",
                "Dimensions": dimensions,
                "Timestamp": now,
                "Value": float(verdict.drifted_resources or 0),
                "Unit": "Count",
            }
        )
    return data


def check_stacks(
    stack_names: Sequence[str],
    *,
    cloudformation: Any,
    cloudwatch: Any,
    remaining_ms: Callable[[], int],
    namespace: str = NAMESPACE,
    sleep: Callable[[float], None] | None = None,
    poll_seconds: float = 5.0,
    margin_ms: int = 20_000,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Any]:
    """Check every stack; publish what is known; raise DriftCheckError if a stack could not be checked.

    ``sleep`` waits between polls (default: the runtime's, which tests replace)."""
    wait = sleep or runtime.sleep
    outcomes: dict[str, Outcome] = {}
    running: dict[str, str] = {}  # stack -> detection id
    for name in stack_names:
        try:
            outcome = start(cloudformation, name)
        except (ClientError, BotoCoreError) as error:  # one stack's failure does not stop the others' checks
            outcome = Outcome(name, "error", describe_error(error))
        if outcome.result == "started" and outcome.detection_id is not None:
            running[name] = outcome.detection_id
        else:
            outcomes[name] = outcome

    while running:
        for name, detection_id in list(running.items()):
            try:
                status = call(
                    cloudformation, "describe_stack_drift_detection_status", StackDriftDetectionId=detection_id
                )
            except (ClientError, BotoCoreError) as error:
                outcomes[name] = Outcome(name, "error", describe_error(error), detection_id=detection_id)
                del running[name]
                continue
            concluded = conclude(name, status)
            if concluded is not None:
                outcomes[name] = concluded
                del running[name]
        if not running:
            break
        if remaining_ms() < margin_ms + poll_seconds * 1000:
            for name, detection_id in running.items():
                outcomes[name] = Outcome(
                    name,
                    "incomplete",
                    "drift detection did not finish within the function's timeout; nothing published this run "
                    "(CloudFormation keeps the result in the stack's drift information)",
                    detection_id=detection_id,
                )
            break
        wait(poll_seconds)

    ordered = [outcomes[name] for name in stack_names if name in outcomes]
    data = metric_data(ordered, clock())
    for index in range(0, len(data), 500):  # PutMetricData takes at most 1000 datapoints per request
        call(cloudwatch, "put_metric_data", Namespace=namespace, MetricData=data[index : index + 500])
    for outcome in ordered:
        runtime.log("info", "drift-check", f"{outcome.stack}: {outcome.result}", **outcome.as_log())
    summary = {o.stack: o.as_log() for o in ordered}
    failed = [o for o in ordered if o.result in FAILED]
    if failed:
        raise DriftCheckError(
            f"drift check failed for {len(failed)} of {len(ordered)} stacks: "
            + "; ".join(f"{o.stack}: {o.result} ({o.reason})" for o in failed)
        )
    return summary


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point (EventBridge scheduled event)."""
    names = json.loads(os.environ["STACK_NAMES"])
    return check_stacks(
        names,
        cloudformation=boto3.client("cloudformation", config=runtime.RETRY_CONFIG),
        cloudwatch=boto3.client("cloudwatch", config=runtime.RETRY_CONFIG),
        remaining_ms=context.get_remaining_time_in_millis if context is not None else (lambda: 60_000),
        namespace=os.environ.get("NAMESPACE", NAMESPACE),
    )
