"""Logged, encrypted, tag-scoped AWS Systems Manager Session Manager access to immutable fleets.

Servers built with this library are never changed after they start, nobody logs in to change
them, and there are no SSH keys and no port 22/3389 ingress. When an operator must look at a
running server, Session Manager is the only door, and :class:`SessionManagerAccess` makes sure
that door logs everything and opens only for the people and instances it was built for.

It creates a KMS key, the session-log destinations (an S3 bucket with its access-log bucket, a
CloudWatch Logs log group), an ``AWS::SSM::Document`` of type ``Session`` that requires them,
a ``CfnOutput`` with the ``aws ssm start-session`` command and, for VPCs without internet
egress, the VPC endpoints; each prop's ``:param`` says what it does by default. It never attaches
``AmazonSSMManagedInstanceCore`` and never opens a port on your instances. Instance roles get
exactly the logging permissions (:meth:`~SessionManagerAccess.add_fleet`,
:meth:`~SessionManagerAccess.grant_instance_logging`); operators get ``ssm:StartSession`` only
with this document and only on instances carrying the right tag
(:meth:`~SessionManagerAccess.grant_start_session`). Both are customer managed policies owned by
this construct, which carry the precise cdk-nag ``AwsSolutions-IAM5`` acknowledgements for their
unavoidable wildcards, so app teams inherit them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

from aws_cdk import CfnOutput, Duration, Names, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from constructs import Construct, IConstruct

from .._private import tags
from .._private.origin import record_origin
from .._private.props import checked
from .._private.validation import Problems
from ._document import create_run_as_user
from ._endpoints import Endpoint, session_endpoints
from ._fleet_logging import FleetLogging
from ._logging import (
    S3_ACCESS_LOGS_USE_BUCKET_POLICY,
    instance_logging_statements,
)
from ._operators import (
    attach,
    grant_through,
    instance_logging_policy,
    operator_policy,
    operator_policy_id,
)
from ._props import FLEET, INSTANCE_ID, PRINCIPAL, SESSION_MANAGER_ACCESS
from ._steps import SessionProps, build_documents, build_logging, check_session
from ._tainted import check_added_again, watch

if TYPE_CHECKING:
    from ..drift.tainted_hosts import TaintedHostReplacement

__all__ = ["SessionManagerAccess", "SessionTarget"]


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


class SessionManagerAccess(Construct):
    """Session Manager as the only, always-logged way into immutable servers.

    Every prop is optional; ``None`` means the default its ``:param`` describes. Invalid props are
    reported together in one ``ValidationError``; unresolved tokens are not judged.

    :param vpc: VPC whose instances need Session Manager. Default: none, no endpoints are created.
    :param endpoints: create VPC endpoints in ``vpc``: interface endpoints ``ssm``, ``ssmmessages``,
        ``kms`` and (when logging to CloudWatch) ``logs``, all with private DNS and one shared
        security group (HTTPS 443 from the VPC CIDR only, no egress), plus an S3 gateway endpoint
        when logging to S3. Default (``None``): create them when ``vpc`` has isolated subnets and no
        private subnets with egress, i.e. instances could not reach the regional endpoints
        otherwise (``False`` on such a VPC warns). Set ``False`` when the VPC already has them (a
        second ``ssm`` endpoint with private DNS, or a second S3 gateway endpoint on the same route
        tables, fails to deploy).
    :param endpoint_subnets: where the interface endpoints go (and whose route tables get the S3
        gateway endpoint). Default: CDK's default selection (private with egress, else isolated).
    :param legacy_agent_endpoints: also create the ``ec2messages`` endpoint, needed only by SSM
        agents older than 3.3.40.0. Default ``False``.
    :param log_to_s3: write a transcript of every session to S3. Default ``True``.
    :param log_bucket: existing bucket for session logs (must have default encryption, because
        the document requires it). Default: a new bucket, SSE-KMS with ``encryption_key`` and an S3
        bucket key, all public access blocked, SSL-only with TLS 1.2 minimum, versioned,
        bucket-owner-enforced, noncurrent versions expire after 365 days, incomplete uploads are
        aborted after 7 days, current objects never expire; its server access logs go to a second
        new bucket (SSE-S3, SSL-only, public access blocked, delivery by bucket policy, never ACLs).
        Both are RETAINED when the stack is deleted: audit logs outlive the servers they describe.
    :param s3_key_prefix: key prefix of the session logs. Default ``"sessions/"``; not starting with ``/``, at
        most 668 bytes. Each fleet added logs under ``<s3_key_prefix><fleet unique id>/`` only (:meth:`add_fleet`).
    :param log_lock_retention: S3 Object Lock (compliance mode: nobody can delete or overwrite a version sooner)
        of the session-log bucket this construct creates. Default 365 days; whole days, 1-36500; not with log_bucket.
    :param log_to_cloudwatch: stream sessions to CloudWatch Logs while they run. Default ``True``.
        At least one of ``log_to_s3``/``log_to_cloudwatch`` must stay on: sessions are always logged.
    :param log_group: existing log group (must be KMS-encrypted), shared by :attr:`document` and every fleet
        added. Default: new log groups encrypted with ``encryption_key``, RETAINED on delete:
        ``/immutable-constructs/sessions/<stack name>/<construct unique id>`` for :attr:`document` and, below it,
        one per fleet added (:meth:`add_fleet`), which only that fleet's hosts may write.
    :param log_retention: retention of the log groups this construct creates. Default
        ``RetentionDays.ONE_YEAR``.
    :param encryption_key: KMS key for session data (``kmsKeyId``), the bucket and the log group.
        Default: a new key with rotation, RETAINED on delete. When this construct creates the log
        groups, a statement letting ``logs.<region>.amazonaws.com`` use the key for exactly those
        groups is added to the key policy (impossible for an imported key: a
        warning says so and you must add it yourself).
    :param idle_session_timeout: idle sessions end after this. Default 20 minutes; 1-60 whole
        minutes.
    :param max_session_duration: sessions end after this. Default 60 minutes; 1-1440 whole minutes,
        not shorter than the idle timeout.
    :param run_as_user: OS user sessions run as on Linux (Run As). Default: ``session-user``, a user
        without sudo that :meth:`add_fleet` creates in each fleet's user data (issue 28: the agent's own
        ``ssm-user`` is in sudoers, so every operator was root). A user you name must exist on the hosts
        of fleets you do not add. Must match ``^[a-z_][a-z0-9_-]{0,31}$``.
    :param run_as_ssm_user: break glass: sessions run as the agent's ``ssm-user``, which can ``sudo``
        (SSM User Guide, "Turn on or turn off ssm-user account administrative permissions"). Default ``False``.
    :param document_name: name of the Session document. Default: CloudFormation generates one.
        Must match ``^[a-zA-Z0-9_\\-.]{3,128}$`` and not start with ``aws``/``amazon`` (any case).
        Content changes update the document in place (``UpdateMethod: NewVersion``).
    :param use_account_default_document: name the document ``SSM-SessionManagerRunShell``, the
        account/region default used by the console and by ``start-session`` without
        ``--document-name``. Default ``False``: that document normally exists already and the
        deploy then fails; a warning repeats this when you opt in.
    :param shell_profile_linux: commands run at the start of every Linux session (under 60 KB). Default: none.
    :param tainted_host_grace_period: how long a host someone opened a session on stays in service
        after its last session ended, before it is replaced (every ``ImmutableFleet``/``BlueGreenFleet``
        added is watched: :meth:`add_fleet`, :attr:`tainted_hosts`). Default 1 hour; 0 to 7 days.

    Attributes: ``document`` (the ``ssm.CfnDocument``), ``document_name`` (may be a token), ``key``,
    ``bucket`` and ``log_group`` (``None`` when that destination is off), ``endpoints`` (the created
    endpoints, maybe empty), ``access_tag``, ``tainted_hosts`` and ``fleet_logging`` (per fleet added).
    """

    # What the build steps (_steps.py) make, set on the construct as they go.
    key: kms.IKey
    bucket: s3.IBucket | None
    log_group: logs.ILogGroup | None
    document: ssm.CfnDocument
    document_name: str

    @checked(**SESSION_MANAGER_ACCESS)
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
        run_as_ssm_user: bool = False,
        document_name: str | None = None,
        use_account_default_document: bool = False,
        shell_profile_linux: str | None = None,
        tainted_host_grace_period: Duration | None = None,
        log_lock_retention: Duration | None = None,
    ) -> None:
        super().__init__(scope, id)
        record_origin(self)  # the user's line that created it, for the SARIF report
        props = SessionProps.of(locals())
        plan = check_session(self, props)
        self._run_as_user = plan.run_as

        if log_to_s3 and log_bucket is None:
            self.node.set_context(S3_ACCESS_LOGS_USE_BUCKET_POLICY, True)  # before any child exists
        self._access_tag: tuple[str, str] = (tags.SESSION_ACCESS, Names.unique_id(self))
        self._fleets: dict[str, SessionTarget] = {}
        self._operator_policies: dict[str, iam.ManagedPolicy] = {}
        self._instance_policy: iam.ManagedPolicy | None = None
        self._s3_key_prefix = s3_key_prefix
        self._tainted_grace = tainted_host_grace_period
        self._tainted_hosts: TaintedHostReplacement | None = None

        groups = build_logging(self, props, plan)
        self._documents = build_documents(self, props, plan, groups)
        self.fleet_logging: dict[str, FleetLogging] = self._documents.by_fleet

        self.endpoints: list[Endpoint] = []
        if vpc is not None:
            self.endpoints = session_endpoints(
                self,
                vpc,
                endpoints=endpoints,
                subnets=endpoint_subnets,
                legacy=legacy_agent_endpoints,
                cloudwatch=self.log_group is not None,
                s3=self.bucket is not None,
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

    @property
    def tainted_hosts(self) -> TaintedHostReplacement | None:
        """The ``TaintedHostReplacement`` watching the fleets added (created with the first
        ``ImmutableFleet``/``BlueGreenFleet``; ``None`` before). Add an action to its alarms:
        ``access.tainted_hosts.alarm.add_alarm_action(SnsAction(topic))``."""
        return self._tainted_hosts

    @checked(fleet=FLEET)
    def add_fleet(self, fleet: SessionTarget, *, replace_tainted_hosts: bool = True) -> None:
        """Make ``fleet`` reachable: grant its role the logging permissions and tag its instances.

        The fleet gets its own Session document (:attr:`fleet_logging`; a ``StartSessionCommand`` output) logging
        under ``<s3_key_prefix><fleet unique id>/`` and, unless ``log_group`` was given, streaming to a log group
        of its own (``<session log group name>/<8 hex digits of the fleet's path>``), and its role what
        :meth:`grant_instance_logging` grants for that prefix and that group only (a compromised host cannot
        overwrite other fleets' transcripts nor append to their streams); a fleet with a log group
        and metrics namespace, an alarm when a host's SSM agent reports a session it could not log. Every taggable
        resource of the fleet, including instances at launch, gets :attr:`access_tag`, so a :meth:`grant_start_session`
        without ``fleet`` covers it even if the grant came first. Instances launched before the tag existed match
        only once they are replaced. Calling it again for the same fleet does nothing. ``fleet`` must be a construct.

        An ``ImmutableFleet`` or ``BlueGreenFleet`` is also watched by :attr:`tainted_hosts`: a host someone opened
        a session on is tagged (who, when) and, once its sessions ended and ``tainted_host_grace_period`` passed,
        replaced. Another ``SessionTarget`` is not watched (a warning says so).

        :param replace_tainted_hosts: ``False`` turns replacement off for this fleet (a break-glass fleet): its
            hosts are still tagged and counted, never replaced, and the rule pack reports the fleet (IMM-REP6, a
            warning; acknowledge it with a reason). Decide it on the first call for the fleet: later calls, and
            ``grant_start_session(fleet=...)``, keep the choice, and turning replacement off after the fleet was
            added with it on is a ``ValidationError``. Default: ``True``.
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
            check_added_again(problems, self._tainted_hosts, fleet, path, replace=replace_tainted_hosts)
            return
        self._fleets[path] = fleet
        self._tainted_hosts = watch(
            self, self._tainted_hosts, fleet, replace=replace_tainted_hosts, grace_period=self._tainted_grace
        )
        self._documents.add(cast(Construct, fleet), fleet.grant_principal)
        key, value = self._access_tag
        Tags.of(cast(IConstruct, fleet)).add(key, value, apply_to_launched_instances=True)
        create_run_as_user(fleet, self._run_as_user)

    @checked(grantee=PRINCIPAL)
    def grant_instance_logging(self, grantee: iam.IGrantable) -> iam.Grant | None:
        """Grant an instance role what the SSM agent needs to log sessions of :attr:`document` and decrypt them.

        ``s3:PutObject`` on ``<bucket>/<s3_key_prefix>*``, ``s3:GetEncryptionConfiguration`` on the bucket;
        ``logs:CreateLogStream``/``PutLogEvents``/``DescribeLogStreams`` on the log group, ``logs:DescribeLogGroups``
        on ``*`` (no resource-level scope); ``kms:Decrypt``/``GenerateDataKey`` on the key; in one customer managed
        policy of this construct (``InstanceLoggingPolicy``) attached to the grantee's role, user or group.

        :returns: the grant (``apply_before`` makes resources wait for the policy), or ``None`` if nothing to grant.
        """
        statements = instance_logging_statements(self.key, self.bucket, self._s3_key_prefix, self.log_group)
        if self._instance_policy is None:
            self._instance_policy = instance_logging_policy(self, (reasons for _a, _r, reasons in statements))
        return grant_through(self, self._instance_policy, grantee, statements)

    @checked(principal=PRINCIPAL, fleet=FLEET)
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
            tag = fleet.instance_tag
            path: str | None = cast(Construct, fleet).node.path
            policy_id = operator_policy_id(path)
        else:
            tag, path = self._access_tag, None
            policy_id = operator_policy_id(None)
        policy = self._operator_policies.get(policy_id)
        if policy is None:
            documents = self._documents.arns(path)  # without a fleet: every document, later fleets' too
            policy, statement = operator_policy(self, policy_id, tag, document_arns=documents, key_arn=self.key.key_arn)
            if fleet is None:
                self._documents.follow(statement)
            self._operator_policies[policy_id] = policy
        attach(self, policy, principal.grant_principal, "principal")

    @checked(instance_id=INSTANCE_ID)
    def start_session_command(self, instance_id: str = "<instance-id>") -> str:
        """The AWS CLI line that starts a logged session on ``instance_id`` with this document.

        :param instance_id: the instance. Default: ``<instance-id>`` (a placeholder to fill in)."""
        return f"aws ssm start-session --target {instance_id} --document-name {self.document_name}"
