"""Logged, encrypted, tag-scoped AWS Systems Manager Session Manager access to immutable fleets.

Servers built with this library are never changed after they start, nobody logs in to change
them, and there are no SSH keys and no port 22/3389 ingress. When an operator must look at a
running server, Session Manager is the only door, and :class:`SessionManagerAccess` makes sure
that door logs everything and opens only for the people and instances it was built for.

What ``SessionManagerAccess(scope, id)`` creates with every prop left at ``None``/its default:

* a **KMS key** (rotation on, removal policy RETAIN) that encrypts session traffic (``kmsKeyId``),
  the S3 session-log bucket and the CloudWatch log group. Pass ``encryption_key`` to use your own.
* an **S3 session-log bucket** (SSE-KMS with that key and an S3 bucket key, all public access
  blocked, SSL-only with TLS 1.2 minimum, versioned, bucket-owner-enforced object ownership,
  noncurrent versions expire after 365 days, incomplete uploads are aborted after 7 days, current
  objects never expire) whose server access logs go to a second **access-log bucket** (SSE-S3,
  SSL-only, public access blocked, delivery by bucket policy, never ACLs). Both buckets are
  RETAINED when the stack is deleted: audit logs outlive the servers they describe. Session logs
  are written under ``s3_key_prefix`` (default ``"sessions/"``). ``log_to_s3=False`` turns S3
  logging off; ``log_bucket`` uses an existing bucket instead (it must already be encrypted).
* a **CloudWatch Logs log group** encrypted with the key, retention ``log_retention`` (default
  ``RetentionDays.ONE_YEAR``), RETAINED on delete; sessions are streamed to it while they run.
  ``log_to_cloudwatch=False`` turns it off; ``log_group`` uses an existing (encrypted) group.
* an ``AWS::SSM::Document`` of type ``Session`` (``sessionType: Standard_Stream``) holding the
  session preferences: the log destinations above with encryption required, the key, an idle
  timeout of 20 minutes (``idle_session_timeout``, 1-60 min) and a maximum session length of
  60 minutes (``max_session_duration``, 1-1440 min), Run As off unless ``run_as_user`` is given,
  and an optional Linux shell profile. CloudFormation names the document (or ``document_name``);
  content changes update it in place (``UpdateMethod: NewVersion``). The account-wide default
  document ``SSM-SessionManagerRunShell`` is only taken over with
  ``use_account_default_document=True`` (off by default: it usually exists already, and a deploy
  that tries to create it fails).
* a ``CfnOutput`` with the exact ``aws ssm start-session`` command (see
  :meth:`SessionManagerAccess.start_session_command`).
* **VPC endpoints**, only when ``vpc`` is given and either ``endpoints=True`` or ``endpoints`` is
  ``None`` and the VPC has no private subnets with egress (``vpc.private_subnets`` is empty and
  ``vpc.isolated_subnets`` is not): interface endpoints ``ssm``, ``ssmmessages``, ``kms`` and, when
  logging to CloudWatch, ``logs`` (``ec2messages`` too with ``legacy_agent_endpoints=True``, only
  needed by SSM agents older than 3.3.40.0), all with private DNS and one shared security group
  (ingress HTTPS 443 from the VPC CIDR only, no egress); plus an S3 gateway endpoint when
  logging to S3. ``endpoint_subnets`` defaults to CDK's default subnet selection (private subnets
  with egress, else isolated subnets).

It never attaches ``AmazonSSMManagedInstanceCore`` and never opens a port on your instances (the
only ingress rule it creates is HTTPS from the VPC into its own endpoint security group). Instance roles
get exactly the logging permissions (:meth:`~SessionManagerAccess.add_fleet`,
:meth:`~SessionManagerAccess.grant_instance_logging`); operators get ``ssm:StartSession`` only with
this document and only on instances carrying the right tag
(:meth:`~SessionManagerAccess.grant_start_session`). Both are customer managed policies owned by
this construct, which carry the precise cdk-nag ``AwsSolutions-IAM5`` acknowledgements for their
unavoidable wildcards, so app teams inherit them.
"""

from __future__ import annotations

import hashlib
import re
from typing import Protocol, cast

import jsii
from aws_cdk import (
    Acknowledgment,
    Annotations,
    ArnFormat,
    CfnOutput,
    Duration,
    Names,
    RemovalPolicy,
    Stack,
    Tags,
    Tokenization,
    Validations,
)
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from constructs import Construct, IConstruct

from ._private.arns import instance_arn
from ._private.nag import acknowledge_wildcards
from ._private.secure_bucket import secure_bucket
from ._private.session_checks import check_session_types, claim_document_name
from ._private.validation import Problems, is_unresolved

__all__ = ["SessionManagerAccess", "SessionTarget"]

_ACCOUNT_DEFAULT_DOCUMENT = "SSM-SessionManagerRunShell"
_ACCESS_TAG_KEY = "immutable-constructs:session-access"
_DOCUMENT_NAME_RE = re.compile(r"^[a-zA-Z0-9_\-.]{3,128}$")
_RESERVED_DOCUMENT_PREFIXES = ("aws", "amazon")  # compared lower-case: covers AWS-, Amazon, aws, amazon
_LINUX_USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_DEFAULT_IDLE_MINUTES = 20
_DEFAULT_MAX_MINUTES = 60
_S3_ACCESS_LOGS_USE_BUCKET_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"
_WARN_ACCOUNT_DEFAULT = "immutable-constructs:session-manager-account-default-document"
_WARN_KEY_POLICY = "immutable-constructs:session-manager-key-policy-not-updated"
_WARN_NO_ENDPOINTS = "immutable-constructs:session-manager-isolated-vpc-without-endpoints"


class SessionTarget(Protocol):
    """What a fleet must provide to be reachable through :class:`SessionManagerAccess`.

    ``ImmutableFleet`` provides it. Any construct with an instance role and a tag that every
    instance of the fleet carries (propagated at launch) works.
    """

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The instance role of the fleet."""
        ...

    @property
    def instance_tag(self) -> tuple[str, str]:
        """``(key, value)`` carried by every instance of the fleet."""
        ...


@jsii.implements(iam.IGrantable)
class _Grantable:
    """An ``IGrantable`` view of a principal, for jsii methods that want a grantee."""

    def __init__(self, principal: iam.IPrincipal) -> None:
        self._principal = principal

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self._principal


@jsii.implements(iam.IPrincipal)
class _ManagedPolicyPrincipal:
    """A principal whose "own policy" is a managed policy of ours already attached to ``principal``.

    ``iam.Grant.add_to_principal`` through this view puts the statements into that managed policy
    (so cdk-nag acknowledgements live on our own child) and still returns a real ``iam.Grant``
    whose ``apply_before`` makes resources wait for the policy.
    """

    def __init__(self, policy: iam.ManagedPolicy, principal: iam.IPrincipal) -> None:
        self._policy = policy
        self._principal = principal

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self

    @property
    def assume_role_action(self) -> str:
        return self._principal.assume_role_action

    @property
    def policy_fragment(self) -> iam.PrincipalPolicyFragment:
        return self._principal.policy_fragment

    @property
    def principal_account(self) -> str | None:
        return self._principal.principal_account

    def add_to_policy(self, statement: iam.PolicyStatement) -> bool:
        return self.add_to_principal_policy(statement).statement_added

    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        self._policy.add_statements(statement)
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self._policy)


class SessionManagerAccess(Construct):
    """Session Manager as the only, always-logged way into immutable servers.

    Every prop is optional; ``None`` means the default described here and in the module docstring.

    :param vpc: VPC whose instances need Session Manager. Default: none, no endpoints are created.
    :param endpoints: create VPC endpoints in ``vpc``. Default (``None``): create them when ``vpc`` has
        isolated subnets and no private subnets with egress, i.e. instances could not reach the
        regional endpoints otherwise. Set ``False`` when the VPC already has them (a second ``ssm``
        endpoint with private DNS, or a second S3 gateway endpoint on the same route tables,
        fails to deploy).
    :param endpoint_subnets: where the interface endpoints go (and whose route tables get the S3
        gateway endpoint). Default: CDK's default selection (private with egress, else isolated).
    :param legacy_agent_endpoints: also create the ``ec2messages`` endpoint, needed only by SSM
        agents older than 3.3.40.0. Default ``False``.
    :param log_to_s3: write a transcript of every session to S3. Default ``True``.
    :param log_bucket: existing bucket for session logs (must have default encryption, because
        the document requires it). Default: a new bucket as described in the module docstring.
    :param s3_key_prefix: key prefix of the session logs. Default ``"sessions/"``; must not start
        with ``/``.
    :param log_to_cloudwatch: stream sessions to CloudWatch Logs. Default ``True``. At least one of
        ``log_to_s3``/``log_to_cloudwatch`` must stay on: sessions are always logged.
    :param log_group: existing log group (must be KMS-encrypted). Default: a new encrypted group.
    :param log_retention: retention of the log group this construct creates. Default
        ``RetentionDays.ONE_YEAR``.
    :param encryption_key: KMS key for session data, the bucket and the log group. Default: a new
        key with rotation, RETAINED on delete. When this construct creates the log group, a
        statement letting ``logs.<region>.amazonaws.com`` use the key for log groups of this
        account and region is added to the key policy (impossible for an imported key: a warning
        says so and you must add it yourself).
    :param idle_session_timeout: idle sessions end after this. Default 20 minutes; 1-60 whole
        minutes.
    :param max_session_duration: sessions end after this. Default 60 minutes; 1-1440 whole minutes,
        not shorter than the idle timeout.
    :param run_as_user: OS user sessions run as on Linux (turns on Run As). Default: off, sessions
        run as ``ssm-user``. Must match ``^[a-z_][a-z0-9_-]{0,31}$``.
    :param document_name: name of the Session document. Default: CloudFormation generates one.
        Must match ``^[a-zA-Z0-9_\\-.]{3,128}$`` and not start with ``aws``/``amazon`` (any case).
    :param use_account_default_document: name the document ``SSM-SessionManagerRunShell``, the
        account/region default used by the console and by ``start-session`` without
        ``--document-name``. Default ``False``: that document normally exists already and the
        deploy then fails; a warning repeats this when you opt in.
    :param shell_profile_linux: commands run at the start of every Linux session. Default: none.

    Attributes: ``document`` (the ``ssm.CfnDocument``), ``document_name`` (may be a token), ``key``,
    ``bucket`` and ``log_group`` (``None`` when that destination is off), ``endpoints`` (the created
    endpoints, maybe empty) and ``access_tag``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc | None = None,
        endpoints: bool | None = None,
        endpoint_subnets: ec2.SubnetSelection | None = None,
        legacy_agent_endpoints: bool = False,
        log_to_s3: bool = True,
        log_bucket: s3.IBucket | None = None,
        s3_key_prefix: str = "sessions/",
        log_to_cloudwatch: bool = True,
        log_group: logs.ILogGroup | None = None,
        log_retention: logs.RetentionDays | None = None,
        encryption_key: kms.IKey | None = None,
        idle_session_timeout: Duration | None = None,
        max_session_duration: Duration | None = None,
        run_as_user: str | None = None,
        document_name: str | None = None,
        use_account_default_document: bool = False,
        shell_profile_linux: str | None = None,
    ) -> None:
        super().__init__(scope, id)

        problems = Problems(self)
        check_session_types(
            problems,
            vpc=vpc,
            endpoints=endpoints,
            endpoint_subnets=endpoint_subnets,
            legacy_agent_endpoints=legacy_agent_endpoints,
            log_to_s3=log_to_s3,
            log_bucket=log_bucket,
            s3_key_prefix=s3_key_prefix,
            log_to_cloudwatch=log_to_cloudwatch,
            log_group=log_group,
            log_retention=log_retention,
            encryption_key=encryption_key,
            idle_session_timeout=idle_session_timeout,
            max_session_duration=max_session_duration,
            run_as_user=run_as_user,
            document_name=document_name,
            use_account_default_document=use_account_default_document,
            shell_profile_linux=shell_profile_linux,
        )
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
        idle = _session_minutes(problems, "idle_session_timeout", idle_session_timeout, _DEFAULT_IDLE_MINUTES, 60)
        maximum = _session_minutes(problems, "max_session_duration", max_session_duration, _DEFAULT_MAX_MINUTES, 1440)
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
                document_name != _ACCOUNT_DEFAULT_DOCUMENT,
                "document_name",
                document_name,
                "this is the account default session document, which is opt-in",
                "set use_account_default_document=True instead (and read its warning)",
            )
        if vpc is None:
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
                not legacy_agent_endpoints,
                "legacy_agent_endpoints",
                legacy_agent_endpoints,
                "the ec2messages endpoint needs a VPC to go in",
                "pass vpc=..., or remove legacy_agent_endpoints",
            )
        claim_document_name(
            self,
            problems,
            _ACCOUNT_DEFAULT_DOCUMENT if use_account_default_document else document_name,
            default_document=use_account_default_document,
        )
        problems.raise_if_any()

        stack = Stack.of(self)
        create_bucket = log_to_s3 and log_bucket is None
        create_log_group = log_to_cloudwatch and log_group is None
        if create_bucket:
            # Deliver server access logs through a bucket policy, never ACLs (set before any child exists).
            self.node.set_context(_S3_ACCESS_LOGS_USE_BUCKET_POLICY, True)

        self._access_tag: tuple[str, str] = (_ACCESS_TAG_KEY, Names.unique_id(self))
        self._fleets: dict[str, SessionTarget] = {}
        self._operator_policies: dict[str, iam.ManagedPolicy] = {}
        self._instance_policy: iam.ManagedPolicy | None = None

        self.key: kms.IKey = encryption_key or kms.Key(
            self,
            "Key",
            description=f"Session Manager session data and session logs ({self.node.path})",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.bucket: s3.IBucket | None = None
        if create_bucket:
            self.bucket = self._create_buckets()
        elif log_to_s3:
            self.bucket = log_bucket
        self._s3_key_prefix = s3_key_prefix

        self.log_group: logs.ILogGroup | None = None
        if create_log_group:
            self._allow_logs_to_use_key(stack)
            self.log_group = logs.LogGroup(
                self,
                "LogGroup",
                encryption_key=self.key,
                retention=log_retention or logs.RetentionDays.ONE_YEAR,
                removal_policy=RemovalPolicy.RETAIN,
            )
        elif log_to_cloudwatch:
            self.log_group = log_group

        if use_account_default_document:
            name: str | None = _ACCOUNT_DEFAULT_DOCUMENT
            Annotations.of(self).add_warning_v2(
                _WARN_ACCOUNT_DEFAULT,
                f"This construct creates the account default session document {_ACCOUNT_DEFAULT_DOCUMENT}. "
                "The deploy FAILS if it already exists in this account and region (it is created the first time "
                "anyone saves Session Manager preferences in the console): delete it first, and remember that "
                "deleting this stack deletes the account's session preferences.",
            )
        else:
            name = document_name
        self.document = ssm.CfnDocument(
            self,
            "Document",
            document_type="Session",
            document_format="JSON",
            name=name,
            update_method="NewVersion",
            content=self._document_content(idle, maximum, run_as_user, shell_profile_linux),
        )
        self.document_name: str = name if name is not None else self.document.ref
        self._document_arn = stack.format_arn(service="ssm", resource="document", resource_name=self.document_name)

        self.endpoints: list[ec2.InterfaceVpcEndpoint | ec2.GatewayVpcEndpoint] = []
        if vpc is not None:
            isolated_only = not vpc.private_subnets and bool(vpc.isolated_subnets)
            if endpoints is None:
                endpoints = isolated_only
            if endpoints:
                self.endpoints = self._create_endpoints(vpc, endpoint_subnets, legacy_agent_endpoints)
            elif isolated_only:
                Annotations.of(self).add_warning_v2(
                    _WARN_NO_ENDPOINTS,
                    "The VPC has only isolated subnets and endpoints=False: instances there reach Session Manager "
                    "only if the VPC already has the ssm, ssmmessages, kms, logs and S3 endpoints.",
                )

        CfnOutput(
            self,
            "StartSessionCommand",
            value=self.start_session_command(),
            description="Start a logged shell session on an instance (replace <instance-id>).",
        )

    @property
    def access_tag(self) -> tuple[str, str]:
        """``(key, value)`` that :meth:`add_fleet` puts on every instance of every fleet added.

        :meth:`grant_start_session` without ``fleet`` allows sessions on instances carrying it.
        """
        return self._access_tag

    def add_fleet(self, fleet: SessionTarget) -> None:
        """Make ``fleet`` reachable: grant its role the logging permissions and tag its instances.

        The fleet's role gets exactly what :meth:`grant_instance_logging` grants. Every taggable
        resource of the fleet, including instances at launch, gets :attr:`access_tag`, so a
        :meth:`grant_start_session` without ``fleet`` covers it even if the grant came first.
        Instances launched before the tag existed match only once they are replaced. Calling it
        again for the same fleet does nothing. ``fleet`` must be a construct.
        """
        problems = Problems(self)
        problems.require(
            isinstance(fleet, Construct),
            "fleet",
            fleet,
            "the fleet is not a construct, so its instances cannot be tagged",
            "pass the fleet construct itself (e.g. an ImmutableFleet)",
        )
        problems.raise_if_any()
        path = cast(Construct, fleet).node.path
        if path in self._fleets:
            return
        self._fleets[path] = fleet
        self.grant_instance_logging(_Grantable(fleet.grant_principal))
        key, value = self._access_tag
        Tags.of(cast(IConstruct, fleet)).add(key, value, apply_to_launched_instances=True)

    def grant_instance_logging(self, grantee: iam.IGrantable) -> iam.Grant | None:
        """Grant an instance role exactly what the SSM agent needs to log sessions and decrypt them.

        ``s3:PutObject`` on ``<bucket>/<s3_key_prefix>*`` and ``s3:GetEncryptionConfiguration`` on the
        bucket (when logging to S3); ``logs:CreateLogStream``, ``logs:PutLogEvents`` and
        ``logs:DescribeLogStreams`` on the log group plus ``logs:DescribeLogGroups`` on ``*`` (the
        action has no resource-level scope; when logging to CloudWatch); ``kms:Decrypt`` and
        ``kms:GenerateDataKey`` on the key. The statements live in one customer managed policy of
        this construct (``InstanceLoggingPolicy``) attached to the grantee's role, user or group.

        :returns: the grant (``apply_before`` makes resources wait for the policy), or ``None``
            when there is nothing to grant.
        """
        principal = grantee.grant_principal
        policy = self._instance_logging_policy()
        self._attach(policy, principal, "grantee")
        view = _Grantable(cast(iam.IPrincipal, _ManagedPolicyPrincipal(policy, principal)))
        grant: iam.Grant | None = None
        for actions, resources, _reasons in self._instance_logging_statements():
            added = iam.Grant.add_to_principal(grantee=view, actions=actions, resource_arns=resources)
            grant = added if grant is None else grant.combine(added)
        return grant

    def grant_start_session(self, principal: iam.IGrantable, *, fleet: SessionTarget | None = None) -> None:
        """Let ``principal`` start sessions with this document on tagged instances only.

        With ``fleet``, only that fleet's instances (``fleet.instance_tag``) are allowed, and the
        fleet is added first (:meth:`add_fleet`) so its sessions can be logged. Without it, every
        instance carrying :attr:`access_tag` is allowed, i.e. every fleet added, before or after.

        Granted, in a customer managed policy of this construct attached to the principal's role,
        user or group: ``ssm:StartSession`` on ``instance/*`` of this account and region with
        ``StringEquals ssm:resourceTag/<key>: <value>``, and on this document only, both with
        ``BoolIfExists ssm:SessionDocumentAccessCheck: true`` (so ``start-session`` without
        ``--document-name`` cannot fall back to an unlogged account default);
        ``ssm:TerminateSession``/``ssm:ResumeSession`` on the principal's own sessions
        (``ssm:resourceTag/aws:ssmmessages:session-id`` = ``${aws:userid}``);
        ``ssmmessages:OpenDataChannel`` on sessions of this account and region (AWS's current end-user
        policy examples grant it to session clients; a channel still needs the token of a session the
        principal started);
        ``ssm:DescribeSessions``, ``ssm:GetConnectionStatus`` and ``ssm:DescribeInstanceInformation``
        on ``*`` (no resource-level scope); ``kms:GenerateDataKey`` on the key.
        """
        if fleet is not None:
            self.add_fleet(fleet)
            key, value = fleet.instance_tag
            policy_id = "OperatorPolicy" + _short_hash(cast(Construct, fleet).node.path)
        else:
            key, value = self._access_tag
            policy_id = "OperatorPolicy"
        policy = self._operator_policies.get(policy_id)
        if policy is None:
            policy = self._create_operator_policy(policy_id, key, value)
            self._operator_policies[policy_id] = policy
        self._attach(policy, principal.grant_principal, "principal")

    def start_session_command(self, instance_id: str = "<instance-id>") -> str:
        """The AWS CLI line that starts a logged session on ``instance_id`` with this document."""
        return f"aws ssm start-session --target {instance_id} --document-name {self.document_name}"

    # -- private helpers ---------------------------------------------------------------------

    def _create_buckets(self) -> s3.Bucket:
        access_logs = secure_bucket(
            self,
            "AccessLogBucket",
            key=None,
            no_access_logs_reason="This is the access-log bucket itself: it receives the server access logs of the "
            "session-log bucket, and logging it to itself would loop.",
        )
        return secure_bucket(
            self,
            "SessionLogBucket",
            key=self.key,
            minimum_tls_version=1.2,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="session-log-bucket/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireNoncurrentVersions",
                    noncurrent_version_expiration=Duration.days(365),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
        )

    def _allow_logs_to_use_key(self, stack: Stack) -> None:
        # A pattern, not this group's ARN: the group references the key, so naming it here would be a cycle.
        log_groups_here = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        result = self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups_here}},
            )
        )
        if not result.statement_added:
            Annotations.of(self).add_warning_v2(
                _WARN_KEY_POLICY,
                "encryption_key is imported, so its key policy cannot be changed here. Add a statement allowing "
                "logs.<region>.amazonaws.com kms:Encrypt*/Decrypt*/ReEncrypt*/GenerateDataKey*/Describe* with "
                "condition ArnLike kms:EncryptionContext:aws:logs:arn, or the log group fails to create.",
            )

    def _document_content(
        self, idle: int | str | None, maximum: int | str | None, run_as_user: str | None, shell_linux: str | None
    ) -> dict[str, object]:
        inputs: dict[str, object] = {
            "s3BucketName": self.bucket.bucket_name if self.bucket is not None else "",
            "s3KeyPrefix": self._s3_key_prefix if self.bucket is not None else "",
            "s3EncryptionEnabled": True,
            "cloudWatchLogGroupName": self.log_group.log_group_name if self.log_group is not None else "",
            "cloudWatchEncryptionEnabled": True,
            "cloudWatchStreamingEnabled": self.log_group is not None,
            "kmsKeyId": self.key.key_id,
            "runAsEnabled": run_as_user is not None,
            "runAsDefaultUser": run_as_user or "",
            "idleSessionTimeout": str(idle if idle is not None else _DEFAULT_IDLE_MINUTES),
            "maxSessionDuration": str(maximum if maximum is not None else _DEFAULT_MAX_MINUTES),
            "shellProfile": {"linux": shell_linux or "", "windows": ""},
        }
        return {
            "schemaVersion": "1.0",
            "description": f"Logged, encrypted session preferences ({self.node.path})",
            "sessionType": "Standard_Stream",
            "inputs": inputs,
        }

    def _create_endpoints(
        self, vpc: ec2.IVpc, subnets: ec2.SubnetSelection | None, legacy: bool
    ) -> list[ec2.InterfaceVpcEndpoint | ec2.GatewayVpcEndpoint]:
        services: list[tuple[str, ec2.InterfaceVpcEndpointAwsService]] = [
            ("SsmEndpoint", ec2.InterfaceVpcEndpointAwsService.SSM),
            ("SsmMessagesEndpoint", ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES),
            ("KmsEndpoint", ec2.InterfaceVpcEndpointAwsService.KMS),
        ]
        if legacy:
            services.append(("Ec2MessagesEndpoint", ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES))
        if self.log_group is not None:
            services.append(("LogsEndpoint", ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS))
        # One security group for all interface endpoints. open=True (CDK's default) lets HTTPS 443 in from
        # the VPC CIDR and nothing else; endpoints only answer, so the group needs no egress.
        security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=vpc,
            description="Session Manager VPC endpoints: HTTPS from the VPC only",
            allow_all_outbound=False,
        )
        Validations.of(security_group).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-EC23",
                reason="The only ingress rule is TCP 443 from the VPC's own CIDR block, which is a CloudFormation "
                "reference the rule cannot evaluate; there is no 0.0.0.0/0 or ::/0 ingress.",
            )
        )
        created: list[ec2.InterfaceVpcEndpoint | ec2.GatewayVpcEndpoint] = [
            ec2.InterfaceVpcEndpoint(
                self,
                endpoint_id,
                vpc=vpc,
                service=service,
                subnets=subnets,
                private_dns_enabled=True,
                open=True,
                security_groups=[security_group],
            )
            for endpoint_id, service in services
        ]
        if self.bucket is not None:
            created.append(
                ec2.GatewayVpcEndpoint(
                    self,
                    "S3Endpoint",
                    vpc=vpc,
                    service=ec2.GatewayVpcEndpointAwsService.S3,
                    subnets=[subnets] if subnets is not None else None,
                )
            )
        return created

    def _instance_logging_statements(self) -> list[tuple[list[str], list[str], dict[str, str]]]:
        """``(actions, resources, {resource: why it has a wildcard})`` for the instance role."""
        statements: list[tuple[list[str], list[str], dict[str, str]]] = []
        if self.bucket is not None:
            objects = self.bucket.arn_for_objects(f"{self._s3_key_prefix}*")
            statements.append(
                (
                    ["s3:PutObject"],
                    [objects],
                    {objects: "Session transcripts are new objects named by session id under the session-log prefix."},
                )
            )
            statements.append((["s3:GetEncryptionConfiguration"], [self.bucket.bucket_arn], {}))
        if self.log_group is not None:
            group = self.log_group.log_group_arn
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
        statements.append((["kms:Decrypt", "kms:GenerateDataKey"], [self.key.key_arn], {}))
        return statements

    def _instance_logging_policy(self) -> iam.ManagedPolicy:
        if self._instance_policy is None:
            policy = iam.ManagedPolicy(
                self,
                "InstanceLoggingPolicy",
                description="Lets instances log and decrypt Session Manager sessions (immutable-constructs)",
            )
            for _actions, _resources, reasons in self._instance_logging_statements():
                acknowledge_wildcards(policy, reasons)
            self._instance_policy = policy
        return self._instance_policy

    def _create_operator_policy(self, policy_id: str, key: str, value: str) -> iam.ManagedPolicy:
        stack = Stack.of(self)
        instances = instance_arn(stack)
        sessions = stack.format_arn(service="ssm", resource="session", resource_name="*")
        document_check = {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
        policy = iam.ManagedPolicy(
            self,
            policy_id,
            description=f"Start logged Session Manager sessions on instances tagged {key} (immutable-constructs)",
            statements=[
                iam.PolicyStatement(
                    sid="StartSessionOnTaggedInstances",
                    actions=["ssm:StartSession"],
                    resources=[instances],
                    conditions={"StringEquals": {f"ssm:resourceTag/{key}": value}, **document_check},
                ),
                iam.PolicyStatement(
                    sid="StartSessionWithThisDocument",
                    actions=["ssm:StartSession"],
                    resources=[self._document_arn],
                    conditions=document_check,
                ),
                iam.PolicyStatement(
                    sid="ManageOwnSessions",
                    actions=["ssm:TerminateSession", "ssm:ResumeSession"],
                    resources=[sessions],
                    conditions={"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"}},
                ),
                iam.PolicyStatement(
                    sid="OpenSessionDataChannel",
                    actions=["ssmmessages:OpenDataChannel"],
                    resources=[sessions],
                ),
                iam.PolicyStatement(
                    sid="DescribeSessions",
                    actions=["ssm:DescribeSessions", "ssm:GetConnectionStatus", "ssm:DescribeInstanceInformation"],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="EncryptSessionData",
                    actions=["kms:GenerateDataKey"],
                    resources=[self.key.key_arn],
                ),
            ],
        )
        acknowledge_wildcards(
            policy,
            {
                instances: f"ssm:StartSession on instances is limited by condition to those tagged {key} and by "
                "ssm:SessionDocumentAccessCheck to this construct's logged document; instance ids are not known "
                "at synth time.",
                sessions: "Terminate/ResumeSession are limited by condition to the caller's own sessions "
                "(ssm:resourceTag/aws:ssmmessages:session-id = aws:userid); ssmmessages:OpenDataChannel also needs "
                "the token of a session the caller started. Session ids are generated per session.",
                "*": "Only ssm:DescribeSessions, ssm:GetConnectionStatus and ssm:DescribeInstanceInformation, which "
                "have no resource-level scope and are read-only.",
            },
        )
        return policy

    def _attach(self, policy: iam.ManagedPolicy, principal: iam.IPrincipal, prop: str) -> None:
        if hasattr(principal, "role_name"):
            policy.attach_to_role(cast(iam.IRole, principal))
        elif hasattr(principal, "user_name"):
            policy.attach_to_user(cast(iam.IUser, principal))
        elif hasattr(principal, "group_name"):
            policy.attach_to_group(cast(iam.IGroup, principal))
        else:
            problems = Problems(self)
            problems.add(
                prop,
                principal,
                "only an IAM role, user or group can be given a managed policy",
                "pass the role (or user/group) itself, e.g. the fleet's instance role or an operator role",
            )
            problems.raise_if_any()


def _session_minutes(
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


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8].upper()
