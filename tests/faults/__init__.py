"""Fault injection for the custom resource handlers' AWS clients.

``FaultyClient`` wraps a boto3 client (moto or the model-validated CodeDeploy fake stay
underneath) and hands every API call to a ``FaultPlan``, which counts the calls of one
lifecycle across all clients and, at the N-th, injects one ``Fault``:

* ``throttle``: a ``Throttling`` error, the call had no effect (the handler's own back-off retries it);
* ``server``: an HTTP 500 ``InternalFailure``, no effect;
* ``connection``: botocore's ``EndpointConnectionError``, no effect;
* ``lost``: the call took effect, then the response was lost (``ReadTimeoutError``);
* ``crash``: the call took effect, then the Lambda died (``LambdaDied``, a ``BaseException`` so no
  ``except Exception`` clean-up runs, as when Lambda times out or runs out of memory);
* ``retried`` (``BOTOCORE_KINDS`` only): the call took effect, its response was lost and botocore
  retried it (botocore retries a read timeout): the handler gets the *retry's* answer, e.g.
  ``AlreadyExists`` or ``DeploymentLimitExceededException`` for a create that the first attempt made.

The injected errors (but ``retried``) reach the handler as if botocore's own retries had given up,
which is the worst case the handler must survive; the handler runtime (``handler_runtime.call``) then
retries them once more. What this stands in for is botocore's retry policy, botocore/retries/standard.py
(also used by the adaptive mode the handlers configure): ``TransientRetryableChecker`` retries HTTP
500-504, ``ConnectionError`` and ``HTTPClientError`` (``ReadTimeoutError`` is one: ``lost``, ``retried``),
``ThrottledRetryableChecker`` retries ``Throttling``; botocore/endpoint.py ``_needs_retry`` re-sends the
request. tests/_private/test_handler_runtime.py checks these premises against the installed botocore.

A plan may hold several faults (``faults``), each at its own call index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

KINDS = ("throttle", "server", "connection", "lost", "crash")
#: The kinds with botocore's retry of a lost response (used by the blue/green harness).
BOTOCORE_KINDS = (*KINDS, "retried")
#: Faults after which the operation may fail (all but throttling, which the handler absorbs).
SURFACING = ("server", "connection", "lost", "crash")


class LambdaDied(BaseException):
    """The handler's Lambda stopped right after an AWS call (timeout, out of memory)."""


@dataclass(frozen=True)
class Fault:
    kind: str
    at: int  # 1-based index of the call in the lifecycle

    def __str__(self) -> str:
        return f"{self.kind}@{self.at}"


@dataclass
class FaultPlan:
    fault: Fault | None = None
    calls: list[tuple[str, str]] = field(default_factory=list)
    fired: tuple[str, str] | None = None  # the first fault that fired
    more: tuple[Fault, ...] = ()  # further faults of the same plan, at later call indices
    fired_all: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, service, operation)
    armed: bool = False  # calls are counted (and the fault injected) only while armed
    observers: list[Callable[[str, str, dict[str, Any]], None]] = field(default_factory=list)

    def invoke(self, service: str, client: Any, operation: str, kwargs: dict[str, Any]) -> Any:
        for observe in self.observers:
            observe(service, operation, kwargs)
        method = getattr(client, operation)
        if not self.armed:
            return method(**kwargs)
        self.calls.append((service, operation))
        due = [f for f in (self.fault, *self.more) if f is not None and f.at == len(self.calls)]
        if not due:
            return method(**kwargs)
        self.fired = self.fired or (service, operation)
        api = client.meta.method_to_api_mapping.get(operation, operation)
        kind = due[0].kind
        self.fired_all.append((kind, service, operation))
        if kind == "throttle":
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, api)
        if kind == "server":
            raise ClientError(
                {
                    "Error": {"Code": "InternalFailure", "Message": "injected 500"},
                    "ResponseMetadata": {"HTTPStatusCode": 500},
                },
                api,
            )
        if kind == "connection":
            raise EndpointConnectionError(endpoint_url=f"https://{service}.us-east-1.amazonaws.com/")
        method(**kwargs)  # the call takes effect ...
        if kind == "retried":
            return method(**kwargs)  # ... and botocore's retry, answered by the service as it now is, is the answer
        if kind == "lost":
            raise ReadTimeoutError(endpoint_url=f"https://{service}.us-east-1.amazonaws.com/")
        if kind == "crash":
            raise LambdaDied(f"Lambda died after {service}.{operation}")
        raise ValueError(f"unknown fault kind {kind!r}")


class FaultyClient:
    """A boto3 client whose API calls go through a ``FaultPlan``; everything else is the client's."""

    def __init__(self, client: Any, service: str, plan: FaultPlan) -> None:
        self._client = client
        self._service = service
        self._plan = plan

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name.startswith("_") or not callable(attr) or name not in self._client.meta.method_to_api_mapping:
            return attr

        def api_call(**kwargs: Any) -> Any:
            return self._plan.invoke(self._service, self._client, name, kwargs)

        return api_call
