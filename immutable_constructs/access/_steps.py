"""SessionManagerAccess's checks and build steps, and the props that flow through them.

The constructor gathers its keyword arguments once into :class:`SessionProps`; :func:`check_session`
checks them together and works out a :class:`SessionPlan` (document name, run-as user, session
limits, lock retention); :func:`build_logging` makes the key, bucket and log groups the sessions are
logged to, :func:`build_documents` the Session documents that say so.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from .._private.validation import Problems
from ._checks import check_session_props, claim_document_name
from ._document import ACCOUNT_DEFAULT_DOCUMENT, check_run_as, session_document
from ._fleet_logging import FleetDocuments, document_arn
from ._logging import (
    SessionLogGroups,
    check_lock_retention,
    session_buckets,
    session_key,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .session_manager import SessionManagerAccess

_NOT_PROPS = ("self", "scope", "id", "__class__")
# The props check_session_props does not take (checked on their own below).
_CHECKED_APART = ("run_as_ssm_user", "tainted_host_grace_period", "log_lock_retention")


@dataclass(frozen=True, kw_only=True)
class SessionProps:
    """SessionManagerAccess's props, as the caller gave them (the spec has checked their types)."""

    vpc: ec2.IVpc | None = None
    endpoints: bool | None = None
    endpoint_subnets: ec2.SubnetSelection | None = None
    legacy_agent_endpoints: bool = False
    log_to_s3: bool = True
    log_bucket: s3.IBucket | None = None
    s3_key_prefix: str = "sessions/"
    log_to_cloudwatch: bool = True
    log_group: logs.ILogGroup | None = None
    log_retention: logs.RetentionDays | None = None
    encryption_key: kms.IKey | None = None
    idle_session_timeout: Duration | None = None
    max_session_duration: Duration | None = None
    run_as_user: str | None = None
    run_as_ssm_user: bool = False
    document_name: str | None = None
    use_account_default_document: bool = False
    shell_profile_linux: str | None = None
    tainted_host_grace_period: Duration | None = None
    log_lock_retention: Duration | None = None

    @classmethod
    def of(cls, arguments: Mapping[str, Any]) -> SessionProps:
        """The props from the constructor's ``locals()``."""
        return cls(**{name: value for name, value in arguments.items() if name not in _NOT_PROPS})


@dataclass(frozen=True)
class SessionPlan:
    """What the checks worked out: the session limits, the document's name, the run-as user, the lock."""

    idle: int | str | None
    maximum: int | str | None
    name: str | None
    run_as: str | None
    lock_retention: Duration


def check_session(access: SessionManagerAccess, props: SessionProps) -> SessionPlan:
    """Every check of the props together, raised as one ValidationError; the plan the build steps follow."""
    problems = Problems(access)
    together = {f.name: getattr(props, f.name) for f in fields(props) if f.name not in _CHECKED_APART}
    idle, maximum = check_session_props(problems, **together)
    default = props.use_account_default_document
    name = ACCOUNT_DEFAULT_DOCUMENT if default else props.document_name
    claim_document_name(access, problems, name, default_document=default)
    run_as = check_run_as(problems, props.run_as_user, props.run_as_ssm_user)
    lock_retention = check_lock_retention(problems, props.log_lock_retention, props.log_bucket)
    problems.raise_if_any()
    return SessionPlan(idle, maximum, name, run_as, lock_retention)


def build_logging(access: SessionManagerAccess, props: SessionProps, plan: SessionPlan) -> SessionLogGroups | None:
    """The key, the transcript bucket and the log groups (the construct's own and one per fleet added)."""
    access.key = props.encryption_key if props.encryption_key is not None else session_key(access)
    access.bucket = None
    if props.log_to_s3:
        access.bucket = (
            props.log_bucket
            if props.log_bucket is not None
            else session_buckets(access, access.key, plan.lock_retention)
        )
    access.log_group = None
    groups: SessionLogGroups | None = None
    if props.log_to_cloudwatch:
        if props.log_group is None:
            groups = SessionLogGroups(access, access.key, props.log_retention or logs.RetentionDays.ONE_YEAR)
        access.log_group = props.log_group if groups is None else groups.shared
    return groups


def build_documents(
    access: SessionManagerAccess, props: SessionProps, plan: SessionPlan, groups: SessionLogGroups | None
) -> FleetDocuments:
    """The construct's Session document, and the factory of one per fleet added (same settings, own prefix)."""
    document_args = dict(
        name=plan.name,
        key=access.key,
        bucket=access.bucket,
        s3_key_prefix=props.s3_key_prefix,
        log_group=access.log_group,
        idle=plan.idle,
        maximum=plan.maximum,
        run_as_user=plan.run_as,
        shell_profile_linux=props.shell_profile_linux,
    )
    access.document = session_document(access, **document_args)  # type: ignore[arg-type]
    access.document_name = plan.name if plan.name is not None else access.document.ref
    return FleetDocuments(access, document_args, shared_arn=document_arn(access, access.document), log_groups=groups)
