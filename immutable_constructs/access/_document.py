"""The Session document: the session preferences every session started with it must follow."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from .._private.validation import Problems
from .._private.warnings import warn

#: The account and region's default session document (console, ``start-session`` without ``--document-name``).
ACCOUNT_DEFAULT_DOCUMENT = "SSM-SessionManagerRunShell"
DEFAULT_IDLE_MINUTES = 20
#: The OS user sessions run as by default: created without sudo in each added fleet's user data (issue 28).
DEFAULT_RUN_AS_USER = "session-user"
DEFAULT_MAX_MINUTES = 60
WARN_ACCOUNT_DEFAULT = "immutable-constructs:accountDefaultSessionDocument"
#: the id before 0.2.0; acknowledging it still works
WARN_ACCOUNT_DEFAULT_FORMERLY = "immutable-constructs:session-manager-account-default-document"


def session_document(
    scope: Construct,
    *,
    name: str | None,
    key: kms.IKey,
    bucket: s3.IBucket | None,
    s3_key_prefix: str,
    log_group: logs.ILogGroup | None,
    idle: int | str | None,
    maximum: int | str | None,
    run_as_user: str | None,
    shell_profile_linux: str | None,
) -> ssm.CfnDocument:
    """``AWS::SSM::Document`` ``Document`` of type ``Session`` (schema 1.0, ``Standard_Stream``) in ``scope``.

    Encryption is always required; a destination that is off (``None``) is an empty input.
    ``UpdateMethod: NewVersion`` updates the document in place when the content changes.
    """
    if name == ACCOUNT_DEFAULT_DOCUMENT:
        warn(
            scope,
            WARN_ACCOUNT_DEFAULT,
            f"This construct creates the account default session document {ACCOUNT_DEFAULT_DOCUMENT}. "
            "The deploy FAILS if it already exists in this account and region (it is created the first time "
            "anyone saves Session Manager preferences in the console): delete it first, and remember that "
            "deleting this stack deletes the account's session preferences.",
            formerly=WARN_ACCOUNT_DEFAULT_FORMERLY,
            fails="deploy",
        )
    inputs: dict[str, object] = {
        "s3BucketName": bucket.bucket_name if bucket is not None else "",
        "s3KeyPrefix": s3_key_prefix if bucket is not None else "",
        "s3EncryptionEnabled": True,
        "cloudWatchLogGroupName": log_group.log_group_name if log_group is not None else "",
        "cloudWatchEncryptionEnabled": True,
        "cloudWatchStreamingEnabled": log_group is not None,
        "kmsKeyId": key.key_id,
        "runAsEnabled": run_as_user is not None,
        "runAsDefaultUser": run_as_user or "",
        "idleSessionTimeout": str(idle if idle is not None else DEFAULT_IDLE_MINUTES),
        "maxSessionDuration": str(maximum if maximum is not None else DEFAULT_MAX_MINUTES),
        "shellProfile": {"linux": shell_profile_linux or "", "windows": ""},
    }
    return ssm.CfnDocument(
        scope,
        "Document",
        document_type="Session",
        document_format="JSON",
        name=name,
        update_method="NewVersion",
        content={
            "schemaVersion": "1.0",
            "description": f"Logged, encrypted session preferences ({scope.node.path})",
            "sessionType": "Standard_Stream",
            "inputs": inputs,
        },
    )


def create_run_as_user(fleet: object, user: str | None) -> None:
    """Create ``user`` (no password, no sudo, not in wheel) at boot on the hosts of ``fleet``.

    Session Manager's Run As (Systems Manager User Guide, "Turn on Run As support for Linux and macOS
    managed nodes"): the agent starts the session as ``runAsDefaultUser``, which must exist on the host.
    ``useradd`` adds no group with sudo rights, so the session cannot become root. A fleet without Linux
    ``user_data`` (not an ``ImmutableFleet``/``BlueGreenFleet``) is left alone: the user must exist there.
    """
    user_data = getattr(fleet, "user_data", None)
    if user is None or not isinstance(user_data, ec2.UserData) or "<powershell>" in user_data.render():
        return
    user_data.add_commands(
        f"# immutable-constructs: Session Manager sessions run as {user}, without sudo (issue 28)",
        f"id -u {user} >/dev/null 2>&1 || useradd --create-home --shell /bin/bash {user}",
    )


def check_run_as(problems: Problems, run_as_user: str | None, run_as_ssm_user: object) -> str | None:
    """The OS user sessions run as (``None``: the agent's ``ssm-user``, break glass); both props at once is refused."""
    problems.flag("run_as_ssm_user", run_as_ssm_user)
    problems.require(
        not (run_as_ssm_user is True and run_as_user is not None),
        "run_as_user",
        run_as_user,
        "is set together with run_as_ssm_user=True",
        "pass one of them: run_as_user for a named user, run_as_ssm_user=True to break glass",
    )
    return None if run_as_ssm_user is True else (run_as_user or DEFAULT_RUN_AS_USER)
