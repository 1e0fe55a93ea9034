"""Input checks of SessionManagerAccess: the props together (each prop's type and AWS limits are its spec,
``_props.py``), and one session document name per account and region. Every problem is collected; the
constructor raises them as one ValidationError."""

from __future__ import annotations

import json
import re
import weakref

from aws_cdk import Duration, Stack, Tokenization
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct, IConstruct

from .._private.validation import Problems, is_unresolved
from ._document import ACCOUNT_DEFAULT_DOCUMENT, DEFAULT_IDLE_MINUTES, DEFAULT_MAX_MINUTES

_DOCUMENT_NAME_RE = re.compile(r"^[a-zA-Z0-9_\-.]{3,128}$")
_RESERVED_DOCUMENT_PREFIXES = ("aws", "amazon")  # compared lower-case: covers AWS-, Amazon, aws, amazon
_LINUX_USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
#: SSM documents are at most 64 KB (Systems Manager quotas, "Document size"); the shell profile is stored
#: JSON-escaped in the session document, next to about 1 KB of preferences: 4 KB are left for them.
SHELL_PROFILE_MAX = 64 * 1024 - 4096

# Session documents created in this process, per app: (account, region, name) -> construct path.
_DOCUMENTS: weakref.WeakKeyDictionary[IConstruct, dict[tuple[str, str, str], str]] = weakref.WeakKeyDictionary()


def claim_document_name(scope: Construct, problems: Problems, name: str | None, *, default_document: bool) -> None:
    """Refuse a second session document of the same name in one account and region (the deploy would fail)."""
    if name is None or is_unresolved(name):
        return
    stack = Stack.of(scope)
    key = (stack.account, stack.region, name)
    claimed = _DOCUMENTS.setdefault(scope.node.root, {})
    other = claimed.get(key)
    if other is not None and other != scope.node.path:
        prop = "use_account_default_document" if default_document else "document_name"
        problems.add(
            prop,
            True if default_document else name,
            f"{other} already creates the session document {name!r} in this account and region "
            "(one document name per account and region: the second deploy would fail)",
            "use one SessionManagerAccess for the account, or give each its own document_name"
            if not default_document
            else "let only one SessionManagerAccess take over the account default document",
        )
        return
    claimed[key] = scope.node.path


def check_session_props(
    problems: Problems,
    *,
    vpc: ec2.IVpc | None,
    endpoints: bool | None,
    endpoint_subnets: ec2.SubnetSelection | None,
    legacy_agent_endpoints: bool,
    log_to_s3: bool,
    log_bucket: s3.IBucket | None,
    s3_key_prefix: str,
    log_to_cloudwatch: bool,
    log_group: logs.ILogGroup | None,
    log_retention: logs.RetentionDays | None,
    encryption_key: kms.IKey | None,
    idle_session_timeout: Duration | None,
    max_session_duration: Duration | None,
    run_as_user: str | None,
    document_name: str | None,
    use_account_default_document: bool,
    shell_profile_linux: str | None,
) -> tuple[int | str | None, int | str | None]:
    """The props together (their types and ranges are the spec's, ``_props.py``). Returns the idle and maximum
    session minutes for the document (a token string when unresolved, ``None`` when invalid)."""
    problems.require(
        log_to_s3 or log_to_cloudwatch,
        "log_to_s3/log_to_cloudwatch",
        (log_to_s3, log_to_cloudwatch),
        "sessions must be logged, but both log destinations are turned off",
        "leave log_to_s3 or log_to_cloudwatch (or both) at True",
    )
    problems.require(
        log_bucket is None or log_to_s3,
        "log_bucket",
        log_bucket,
        "a log bucket was given while log_to_s3=False, so it would never be used",
        "remove log_bucket or set log_to_s3=True",
    )
    problems.require(
        log_group is None or log_to_cloudwatch,
        "log_group",
        log_group,
        "a log group was given while log_to_cloudwatch=False, so it would never be used",
        "remove log_group or set log_to_cloudwatch=True",
    )
    problems.require(
        log_retention is None or (log_to_cloudwatch and log_group is None),
        "log_retention",
        log_retention,
        "retention only applies to the log group this construct creates, and none is created",
        "remove log_retention, or drop log_group and keep log_to_cloudwatch=True",
    )
    problems.require(
        not s3_key_prefix.startswith("/"),
        "s3_key_prefix",
        s3_key_prefix,
        "S3 keys are relative: a leading '/' creates an empty top-level folder",
        "drop the leading '/', e.g. 'sessions/'",
    )
    if shell_profile_linux is not None and not is_unresolved(shell_profile_linux):
        size = len(json.dumps(shell_profile_linux).encode("utf-8"))
        problems.require(
            size <= SHELL_PROFILE_MAX,
            "shell_profile_linux",
            f"{shell_profile_linux[:40]!r}... ({len(shell_profile_linux)} characters)",
            f"is {size} bytes in the session document (JSON-escaped); SSM documents are limited to 64 KB, "
            f"so the profile must stay under {SHELL_PROFILE_MAX} bytes",
            "keep the profile to a few commands and put the rest in a script baked into the image",
        )
    idle = session_minutes(problems, "idle_session_timeout", idle_session_timeout, DEFAULT_IDLE_MINUTES, 60)
    maximum = session_minutes(problems, "max_session_duration", max_session_duration, DEFAULT_MAX_MINUTES, 1440)
    if isinstance(idle, int) and isinstance(maximum, int):
        problems.require(
            idle <= maximum,
            "idle_session_timeout",
            f"{idle} min",
            f"the idle timeout is longer than max_session_duration ({maximum} min), so it can never apply",
            "make idle_session_timeout at most max_session_duration",
        )
    if run_as_user is not None:
        problems.require(
            bool(_LINUX_USER_RE.fullmatch(run_as_user)),
            "run_as_user",
            run_as_user,
            "not a valid Linux user name (lower-case letter or '_', then up to 31 of [a-z0-9_-])",
            "use an existing OS user such as 'ec2-user' or 'ssm-operator'",
        )
    if document_name is not None:
        _check_document_name(problems, document_name, use_account_default_document)
    if vpc is None:
        _check_no_vpc(problems, endpoints, endpoint_subnets, legacy_agent_endpoints)
    return idle, maximum


def _check_document_name(problems: Problems, document_name: str, use_account_default_document: bool) -> None:
    problems.require(
        not use_account_default_document,
        "document_name",
        document_name,
        "document_name and use_account_default_document=True both choose the document name",
        "pass only one of them",
    )
    problems.require(
        bool(_DOCUMENT_NAME_RE.fullmatch(document_name)),
        "document_name",
        document_name,
        "SSM document names are 3-128 characters of letters, digits, '_', '-' and '.'",
        "rename it, e.g. 'WebFleet-Sessions'",
    )
    problems.require(
        not document_name.lower().startswith(_RESERVED_DOCUMENT_PREFIXES),
        "document_name",
        document_name,
        "names starting with 'aws' or 'amazon' (any case) are reserved by AWS",
        "choose a name with another prefix, e.g. 'Team-Sessions'",
    )
    problems.require(
        document_name != ACCOUNT_DEFAULT_DOCUMENT,
        "document_name",
        document_name,
        "this is the account default session document, which is opt-in",
        "set use_account_default_document=True instead (and read its warning)",
    )


def _check_no_vpc(
    problems: Problems, endpoints: bool | None, endpoint_subnets: ec2.SubnetSelection | None, legacy: bool
) -> None:
    problems.require(
        endpoints is not True,
        "endpoints",
        endpoints,
        "endpoints=True needs a VPC to put them in",
        "pass vpc=..., or remove endpoints",
    )
    problems.require(
        endpoint_subnets is None,
        "endpoint_subnets",
        endpoint_subnets,
        "endpoint subnets were given without a VPC",
        "pass vpc=..., or remove endpoint_subnets",
    )
    problems.require(
        not legacy,
        "legacy_agent_endpoints",
        legacy,
        "the ec2messages endpoint needs a VPC to go in",
        "pass vpc=..., or remove legacy_agent_endpoints",
    )


def session_minutes(
    problems: Problems, prop: str, value: Duration | None, default: int, upper: int
) -> int | str | None:
    """Whole minutes of ``value`` within 1..``upper`` (a token string if unresolved); ``None`` if invalid."""
    if value is None:
        return default
    try:
        minutes = value.to_minutes()
    except RuntimeError:
        problems.add(
            prop,
            value.to_human_string(),
            "Session Manager counts in whole minutes"
            + (" and a token duration cannot be converted" if value.is_unresolved() else ""),
            "use Duration.minutes(n)",
        )
        return None
    if is_unresolved(minutes):
        return Tokenization.stringify_number(minutes)
    problems.require(
        1 <= minutes <= upper,
        prop,
        value.to_human_string(),
        f"must be between 1 and {upper} minutes",
        f"use Duration.minutes(n) with 1 <= n <= {upper}",
    )
    return int(minutes) if 1 <= minutes <= upper else None
