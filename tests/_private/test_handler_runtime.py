"""The one runtime of the four handlers (immutable_constructs/_private/handler_runtime.py), tested once:
retries with full jitter on throttling, 5xx and connection errors only; the same copy in every asset;
one JSON key set in the logs."""

from __future__ import annotations

import ast
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
            "drift/stack_drift_handler", "images/first_image_handler", "images/key_grant_handler")  # fmt: skip


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


# -- every handler uses the runtime, none carries retry machinery of its own --------------------------------

RETRY_CODES = runtime.THROTTLING_CODES | runtime.TRANSIENT_CODES


def own_retry_machinery(source: str) -> list[str]:
    """What in a handler's ``index.py`` retries, backs off or configures retries without the runtime."""
    tree = ast.parse(source)
    found: list[str] = []
    aliases = {"runtime.RETRY_CONFIG"}  # a module-level alias of the runtime's configuration is the runtime's
    for node in tree.body:
        if isinstance(node, ast.Assign) and ast.unparse(node.value) == "runtime.RETRY_CONFIG":
            aliases.update(ast.unparse(target) for target in node.targets)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"imports {a.name}" for a in node.names if a.name == "random"]
        elif isinstance(node, ast.ImportFrom):
            if node.module in ("random", "botocore.config") or (
                node.module == "time" and any(a.name == "sleep" for a in node.names)
            ):
                found.append(f"imports from {node.module}")
        elif isinstance(node, ast.Attribute) and node.attr == "sleep" and ast.unparse(node.value) != "runtime":
            found.append(f"line {node.lineno}: {ast.unparse(node)} (sleeps outside the runtime)")
        elif isinstance(node, ast.Constant) and node.value in RETRY_CODES:
            found.append(f"line {node.lineno}: names the retryable error code {node.value!r}")
        elif isinstance(node, ast.Call) and ast.unparse(node.func) == "boto3.client":
            config = [k for k in node.keywords if k.arg == "config"]
            if not config or ast.unparse(config[0].value) not in aliases:
                found.append(f"line {node.lineno}: a client without the runtime's retry configuration")
    return found


def imports_the_runtime(source: str) -> bool:
    """``import handler_runtime as runtime`` (in the Lambda asset) with ``from . import handler_runtime as
    runtime`` as the package fallback."""
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            imported |= {(getattr(node, "level", 0), a.name, a.asname) for a in node.names}
    return {(0, "handler_runtime", "runtime"), (1, "handler_runtime", "runtime")} <= imported


@pytest.mark.parametrize("folder", HANDLERS)
def test_every_handler_uses_the_runtime_and_no_retry_of_its_own(folder: str) -> None:
    source = (PACKAGE / folder / "index.py").read_text()
    assert imports_the_runtime(source), f"{folder}/index.py does not import its copy of handler_runtime"
    assert own_retry_machinery(source) == [], f"{folder}/index.py: use handler_runtime.call instead"


NAMES = (
    "blue-green",
    "promotion",
    "tainted-hosts",
    "stack-drift",
    "first-image",
    "key-grant",
)  # runtime.HANDLER of each


@pytest.mark.parametrize(("folder", "name"), list(zip(HANDLERS, NAMES, strict=True)))
def test_each_handler_imports_its_runtime_as_lambda_does(
    folder: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lambda imports index.py as a top-level module from the asset root: the runtime is the copy beside it."""
    import importlib.util
    import sys

    path = PACKAGE / folder / "index.py"
    spec = importlib.util.spec_from_file_location("index", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.syspath_prepend(str(path.parent))
    monkeypatch.delitem(sys.modules, "handler_runtime", raising=False)
    monkeypatch.setitem(sys.modules, "index", module)
    spec.loader.exec_module(module)
    assert module.runtime.__name__ == "handler_runtime"
    assert module.runtime.__file__ == str(path.parent / "handler_runtime.py")
    assert name == module.runtime.HANDLER, "every log line names the handler"
    assert callable(module.handler if hasattr(module, "handler") else module.on_event)


def test_every_handler_folder_is_on_the_runtime() -> None:
    """Every handler folder of the package is one of the handlers above: none runs without the runtime."""
    found = {str(p.parent.relative_to(PACKAGE)) for p in PACKAGE.glob("*/*_handler/index.py")}
    assert found == set(HANDLERS), f"handler folders not on the runtime: {sorted(found - set(HANDLERS))}"


def test_the_guard_finds_a_retry_loop_of_its_own() -> None:
    """The check above can fail: it finds each piece of a handler-made retry (the tainted-host function's
    before it moved onto the runtime)."""
    homegrown = """
import random
import time
import boto3
from botocore.config import Config as BotoConfig
RETRY = BotoConfig(retries={"max_attempts": 10, "mode": "adaptive"})
_THROTTLING = frozenset({"Throttling", "RequestLimitExceeded"})
def call(client, operation, **kwargs):
    for attempt in range(5):
        try:
            return getattr(client, operation)(**kwargs)
        except Exception as error:
            time.sleep(min(20.0, 2.0 ** attempt) * random.random())
ec2 = boto3.client("ec2")
"""
    found = own_retry_machinery(homegrown)
    assert found[:2] == ["imports random", "imports from botocore.config"]
    assert {"line 7: names the retryable error code 'Throttling'", "line 13: time.sleep (sleeps outside the runtime)",
            "line 14: a client without the runtime's retry configuration"} <= set(found)  # fmt: skip
    assert not imports_the_runtime(homegrown)


# -- what tests/faults stands in for: botocore's own retries ---------------------------------------------


def test_botocore_retries_a_lost_response_and_answers_with_the_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    """tests/faults' ``retried`` kind (the call took effect, its response was lost, the handler gets the retry's
    answer) mirrors botocore/retries/standard.py: ``TransientRetryableChecker`` retries ``HTTPClientError``,
    of which ``ReadTimeoutError`` is one, and botocore/endpoint.py ``_needs_retry`` sends the request again.
    Checked here on a real client with the runtime's configuration: the first send times out, the retry is
    answered AlreadyExists, and that is what the caller sees."""
    from botocore import endpoint
    from botocore.awsrequest import AWSResponse
    from botocore.retries import standard

    assert issubclass(ReadTimeoutError, standard.TransientRetryableChecker._TRANSIENT_EXCEPTION_CLS)
    monkeypatch.setattr(endpoint.time, "sleep", lambda seconds: None)
    c = boto3.client("autoscaling", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b",
                     config=runtime.RETRY_CONFIG)  # fmt: skip
    sends: list[str] = []

    class Raw:
        def stream(self, **_: object) -> list[bytes]:
            return [b"<ErrorResponse><Error><Type>Sender</Type><Code>AlreadyExists</Code><Message>group exists"
                    b"</Message></Error><RequestId>1</RequestId></ErrorResponse>"]  # fmt: skip

    def send(request: object, **_: object) -> AWSResponse:
        sends.append("sent")
        if len(sends) == 1:
            raise ReadTimeoutError(endpoint_url="https://autoscaling.us-east-1.amazonaws.com/")
        return AWSResponse("https://autoscaling.us-east-1.amazonaws.com/", 400, {}, Raw())

    c.meta.events.register("before-send.auto-scaling", send)
    with pytest.raises(ClientError, match="AlreadyExists"):
        c.create_auto_scaling_group(AutoScalingGroupName="g", MinSize=1, MaxSize=1)
    assert sends == ["sent", "sent"], "botocore sent it twice: the lost response's retry is the answer"


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        (
            "server",
            ClientError({"Error": {"Code": "InternalFailure"}, "ResponseMetadata": {"HTTPStatusCode": 500}}, "X"),
        ),
        ("connection", EndpointConnectionError(endpoint_url="https://x")),
        ("lost", ReadTimeoutError(endpoint_url="https://x")),
        ("throttle", ClientError({"Error": {"Code": "Throttling"}}, "X")),
    ],
)
def test_the_injected_faults_are_errors_botocore_itself_retries(kind: str, error: BaseException) -> None:
    """tests/faults injects each of these as if botocore's retries had given up on it (the worst case); that
    botocore retries them at all is botocore/retries/standard.py's ``TransientRetryableChecker`` (500-504,
    ``ConnectionError``, ``HTTPClientError``) and ``ThrottledRetryableChecker`` (``Throttling``). The runtime
    retries the same errors once more."""
    from botocore.retries import standard

    context = standard.RetryContext(
        attempt_number=1, caught_exception=None if isinstance(error, ClientError) else error
    )
    if isinstance(error, ClientError):
        context.parsed_response = error.response

        class Http:
            status_code = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))

        context.http_response = Http()
    checkers = (standard.TransientRetryableChecker(), standard.ThrottledRetryableChecker())
    assert any(c.is_retryable(context) for c in checkers), kind
    assert runtime.is_transient(error)
