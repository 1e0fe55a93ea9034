"""Where sessions are logged: the key, the session-log and access-log buckets, the log group, and
what an instance role needs to write there."""

from __future__ import annotations

from typing import TypeAlias

from aws_cdk import Aws, Duration, Names, RemovalPolicy, Token
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .._private.key_policies import allow_cloudwatch_logs
from .._private.secure_bucket import secure_bucket
from .._private.validation import Problems
from .._private.warnings import warn

#: Deliver server access logs through a bucket policy, never ACLs (set before any child exists).
S3_ACCESS_LOGS_USE_BUCKET_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"
WARN_KEY_POLICY = "immutable-constructs:sessionKeyPolicyNotUpdated"
#: the id before 0.2.0; acknowledging it still works
WARN_KEY_POLICY_FORMERLY = "immutable-constructs:session-manager-key-policy-not-updated"

#: ``(actions, resources, {resource: why it has a wildcard})``: one statement of the instance policy.
Statement: TypeAlias = tuple[list[str], list[str], dict[str, str]]


def session_key(scope: Construct) -> kms.Key:
    """``Key``: encrypts session data, the session-log bucket and the log group; rotated, retained."""
    return kms.Key(
        scope,
        "Key",
        description=f"Session Manager session data and session logs ({scope.node.path})",
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.RETAIN,
    )


#: How long a transcript is locked (Object Lock, compliance mode) unless ``log_lock_retention`` says otherwise.
DEFAULT_LOCK_RETENTION = Duration.days(365)


def check_lock_retention(problems: Problems, retention: object, log_bucket: object) -> Duration:
    """``log_lock_retention``: whole days from 1 to 36500 (100 years), and only for a bucket this construct creates."""
    if retention is None:
        return DEFAULT_LOCK_RETENTION
    problems.require(
        log_bucket is None,
        "log_lock_retention",
        retention,
        "applies to the session-log bucket this construct creates, and log_bucket is given",
        "turn Object Lock on for your own bucket yourself, or drop log_bucket",
    )
    if problems.duration("log_lock_retention", retention, fix="use e.g. Duration.days(365)"):
        assert isinstance(retention, Duration)
        try:
            days: float = retention.to_days()
        except Exception:  # not whole days, e.g. Duration.hours(36)
            days = 0.5
        problems.require(
            Token.is_unresolved(days) or (days == int(days) and 1 <= days <= 36500),
            "log_lock_retention",
            retention.to_human_string(),
            "must be whole days from 1 to 36500 (S3 Object Lock keeps whole days)",
            "use e.g. Duration.days(365)",
        )
        return retention
    return DEFAULT_LOCK_RETENTION


def session_buckets(scope: Construct, key: kms.IKey, lock_retention: Duration = DEFAULT_LOCK_RETENTION) -> s3.Bucket:
    """``SessionLogBucket`` (SSE-KMS with ``key``) whose server access logs go to ``AccessLogBucket``.

    Issue 28: the session-log bucket has S3 Object Lock in compliance mode with ``lock_retention`` as its
    default retention, so no one (a compromised host, an operator, an administrator, the root user) can delete
    or overwrite a transcript version before it expires; an overwrite only adds a version (S3 User Guide,
    "Locking objects with Object Lock": compliance mode; "Configuring S3 Object Lock": Object Lock needs
    versioning, and the access-log bucket stays unlocked because "S3 buckets with Object Lock can't be used
    as destination buckets for server access logs"). CloudFormation ``AWS::S3::Bucket``
    ``ObjectLockEnabled``/``ObjectLockConfiguration`` update without replacement (the resource schema lists
    neither as create-only; S3 turns Object Lock on for an existing versioned bucket, and never off).
    S3 refuses an upload to a locked bucket without ``Content-MD5`` or a checksum header; the SSM agent uploads
    transcripts with aws-sdk-go's ``s3manager`` from the transcript file (amazon-ssm-agent, ``s3util.S3Upload``),
    and aws-sdk-go adds ``Content-MD5`` to every upload of a seekable body (``service/s3/body_hash.go``,
    ``computeBodyHashes``). Not verified by a deploy here: a refused upload fires the fleet's session-logging alarm.
    """
    access_logs = secure_bucket(
        scope,
        "AccessLogBucket",
        key=None,
        no_access_logs_reason="This is the access-log bucket itself: it receives the server access logs of the "
        "session-log bucket, and logging it to itself would loop.",
    )
    return secure_bucket(
        scope,
        "SessionLogBucket",
        key=key,
        minimum_tls_version=1.2,
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix="session-log-bucket/",
        object_lock_retention=lock_retention,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="ExpireNoncurrentVersions",
                noncurrent_version_expiration=Duration.days(365),
                abort_incomplete_multipart_upload_after=Duration.days(7),
            )
        ],
    )


def session_log_group_name(scope: Construct) -> str:
    """``/immutable-constructs/sessions/<stack name>/<construct unique id>``: a name the template sets, so the key
    policy can name the group's ARN without referencing the group (which references the key)."""
    return f"/immutable-constructs/sessions/{Aws.STACK_NAME}/{Names.unique_id(scope)}"


class SessionLogGroups:
    """``LogGroup`` (the construct's own, for :attr:`SessionManagerAccess.document`) and one ``LogGroup`` per fleet
    added, all encrypted with ``key``, whose policy lets CloudWatch Logs use it for exactly these groups; retained.

    Issue 28: the groups have names of their own so that the key's CloudWatch Logs statement names them
    (``kms:EncryptionContext:aws:logs:arn``; CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs
    using AWS Key Management Service", whose example key policy names one log group's ARN) instead of every
    log group of the account and region. A group per fleet: the SSM agent names a session's stream by the
    session id only (amazon-ssm-agent, ``cloudwatchlogsservice.go``, ``StreamData``), so no IAM condition keeps
    one fleet's hosts out of another fleet's streams in a shared group; each fleet's instance role may write its
    own group only.
    """

    def __init__(self, scope: Construct, key: kms.IKey, retention: logs.RetentionDays) -> None:
        self._key, self._retention = key, retention
        self._names = [session_log_group_name(scope)]
        if not allow_cloudwatch_logs(key, scope, log_group_name=self._names):
            warn(
                scope,
                WARN_KEY_POLICY,
                "encryption_key is imported, so its key policy cannot be changed here. Add a statement allowing "
                "logs.<region>.amazonaws.com kms:Encrypt*/Decrypt*/ReEncrypt*/GenerateDataKey*/Describe* with "
                "condition ArnLike kms:EncryptionContext:aws:logs:arn (the session log group and, below it, each "
                "fleet's), or the log groups fail to create.",
                formerly=WARN_KEY_POLICY_FORMERLY,
                fails="deploy",
            )
        self.shared = self._group(scope, self._names[0])

    def for_fleet(self, scope: Construct, fleet_key: str) -> logs.LogGroup:
        """``LogGroup`` in ``scope``: ``<session log group name>/<fleet_key>`` (short and stable: a log group
        name has at most 512 characters, and the stack name and construct id already use up to 415)."""
        name = f"{self._names[0]}/{fleet_key}"
        self._names.append(name)
        return self._group(scope, name)

    def _group(self, scope: Construct, name: str) -> logs.LogGroup:
        return logs.LogGroup(
            scope,
            "LogGroup",
            log_group_name=name,
            encryption_key=self._key,
            retention=self._retention,
            removal_policy=RemovalPolicy.RETAIN,
        )


def instance_logging_statements(
    key: kms.IKey, bucket: s3.IBucket | None, s3_key_prefix: str, log_group: logs.ILogGroup | None
) -> list[Statement]:
    """What the SSM agent needs to write session logs to ``bucket``/``log_group`` and decrypt with ``key``."""
    statements: list[Statement] = []
    if bucket is not None:
        objects = bucket.arn_for_objects(f"{s3_key_prefix}*")
        statements.append(
            (
                ["s3:PutObject"],
                [objects],
                {objects: "Session transcripts are new objects named by session id under the session-log prefix."},
            )
        )
        statements.append((["s3:GetEncryptionConfiguration"], [bucket.bucket_arn], {}))
    if log_group is not None:
        group = log_group.log_group_arn
        statements.append(
            (
                ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                [group],
                {group: "One log stream per session in the session log group; stream names are session ids."},
            )
        )
        statements.append(
            (
                ["logs:DescribeLogGroups"],
                ["*"],
                {
                    "*": "Only logs:DescribeLogGroups, which has no resource-level scope; the SSM agent uses it to "
                    "check that the session log group exists and is encrypted."
                },
            )
        )
    statements.append((["kms:Decrypt", "kms:GenerateDataKey"], [key.key_arn], {}))
    return statements
