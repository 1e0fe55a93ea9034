"""Input checks of SessionManagerAccess: prop types, and one session document name per account and region."""

from __future__ import annotations

import weakref
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct, IConstruct

from .validation import Problems, is_unresolved

_INTERFACES: dict[str, tuple[Any, str]] = {
    "vpc": (ec2.IVpc, "a VPC (ec2.IVpc)"),
    "log_bucket": (s3.IBucket, "an S3 bucket (s3.IBucket)"),
    "log_group": (logs.ILogGroup, "a log group (logs.ILogGroup)"),
    "encryption_key": (kms.IKey, "a KMS key (kms.IKey)"),
}
_CLASSES: dict[str, tuple[Any, str]] = {
    "endpoint_subnets": (ec2.SubnetSelection, "an ec2.SubnetSelection"),
    "log_retention": (logs.RetentionDays, "a logs.RetentionDays"),
}
_FLAGS = ("endpoints", "legacy_agent_endpoints", "log_to_s3", "log_to_cloudwatch", "use_account_default_document")
_STRINGS = ("s3_key_prefix", "run_as_user", "document_name", "shell_profile_linux")
_DURATIONS = ("idle_session_timeout", "max_session_duration")

# Session documents created in this process, per app: (account, region, name) -> construct path.
_DOCUMENTS: weakref.WeakKeyDictionary[IConstruct, dict[tuple[str, str, str], str]] = weakref.WeakKeyDictionary()


def check_session_types(problems: Problems, **props: Any) -> None:
    """Every prop of SessionManagerAccess has its type (None = default); raises at once otherwise."""
    for prop, (kind, what) in _INTERFACES.items():
        if props.get(prop) is not None:
            problems.implements(
                prop, props[prop], kind, what=what, fix=f"pass {what.split(' (')[0]}, or leave it unset"
            )
    for prop, (kind, what) in _CLASSES.items():
        if props.get(prop) is not None:
            problems.instance(prop, props[prop], kind, what=what, fix=f"pass {what}, or leave it unset")
    for prop in _FLAGS:
        if props.get(prop) is not None or prop != "endpoints":  # only endpoints defaults to None
            problems.flag(prop, props.get(prop))
    for prop in _STRINGS:
        if (props.get(prop) is not None or prop == "s3_key_prefix") and not is_unresolved(props.get(prop)):
            problems.instance(prop, props.get(prop), str, what="a string", fix="pass a string, or leave it unset")
    for prop in _DURATIONS:
        if props.get(prop) is not None:
            problems.duration(prop, props[prop], fix="use Duration.minutes(n)")
    problems.raise_if_any()


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
