"""The one runtime of the library's Lambda handlers: retries with full jitter, the error codes that are
worth a retry, and structured JSON logs with one key set.

Each handler folder is its own Lambda asset (Lambda imports ``index.py`` from the asset root), so this
file ships as a byte-identical copy ``handler_runtime.py`` inside each of them (the folders
``tools/sync_handler_runtime.py`` lists, and writes the copies to); a test checks every copy against this
source. Standard library and boto3 only.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

#: Throttling, as the services spell it (Auto Scaling, EC2, CodeDeploy, SSM, CloudFormation, SNS, S3).
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ProvisionedThroughputExceededException",
    }
)
#: Server-side errors that say nothing about the request: the same request may succeed later.
TRANSIENT_CODES = frozenset(
    {"InternalFailure", "InternalError", "InternalServerError", "ServiceUnavailable", "RequestTimeout"}
)

#: botocore's own retries (adaptive mode backs off and rate-limits on throttling) for every client.
RETRY_CONFIG = Config(retries={"max_attempts": 10, "mode": "adaptive"})

#: One key set for every log line of every handler.
LOG_KEYS = ("level", "handler", "event", "message", "fields")

ATTEMPTS = 5
BASE_SECONDS = 1.0
CAP_SECONDS = 20.0

#: Replaced in tests so back-off does not sleep.
sleep: Callable[[float], None] = time.sleep

_LOG = logging.getLogger("immutable_constructs.handler")
_LOG.setLevel(logging.INFO)


def error_code(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


def is_throttling(error: BaseException) -> bool:
    return error_code(error) in THROTTLING_CODES


def is_transient(error: BaseException) -> bool:
    """Throttling, a server error (5xx), or the connection (refused, reset, timed out)."""
    if isinstance(error, ClientError):
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return is_throttling(error) or error_code(error) in TRANSIENT_CODES or status >= 500
    return isinstance(error, (BotoConnectionError, HTTPClientError))


def backoff(attempt: int, *, base: float = BASE_SECONDS, cap: float = CAP_SECONDS) -> float:
    """Full jitter: a uniform delay up to the exponential bound (AWS Architecture Blog, "Exponential Backoff
    And Jitter")."""
    return random.uniform(0.0, min(cap, base * 2.0**attempt))


def call(client: Any, operation: str, *, attempts: int = ATTEMPTS, **kwargs: Any) -> Any:
    """``client.operation(**kwargs)``, retried with full jitter on transient errors; then the error goes up.

    botocore already retries; this outer loop covers a storm that outlasts it. A non-idempotent call whose
    response was lost may be retried here: the caller must treat the retry's answer (``AlreadyExists`` and
    the like) as its own.
    """
    for attempt in range(attempts):
        try:
            return getattr(client, operation)(**kwargs)
        except (ClientError, BotoConnectionError, HTTPClientError) as error:
            if not is_transient(error) or attempt == attempts - 1:
                raise
            delay = backoff(attempt)
            log("warning", "retry", f"{operation} failed transiently; retrying", operation=operation,
                error=error_code(error) or type(error).__name__, delay=round(delay, 2))  # fmt: skip
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


HANDLER = "handler"


def log(level: str, event: str, message: str, **fields: Any) -> dict[str, Any]:
    """One JSON log line: ``level``, ``handler``, ``event`` (what happened, one word), ``message``, ``fields``."""
    record = {"level": level, "handler": HANDLER, "event": event, "message": message, "fields": fields}
    _LOG.log(getattr(logging, level.upper()), json.dumps(record, default=str, sort_keys=True))
    return record
