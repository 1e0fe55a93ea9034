"""Each fleet's sessions are logged under its own S3 prefix, through its own Session document, and an alarm
fires when one of its hosts' SSM agent reports that it could not log a session (issue 28, item 4).

Why a document per fleet: the SSM agent names a transcript ``<s3KeyPrefix>/<session id>.log``
(amazon-ssm-agent, ``agent/session/plugins/shell/shell.go``, ``finishLogging``: ``fileutil.BuildS3Path(
config.OutputS3KeyPrefix, logFileName)`` with ``logFileName = SessionId + ".log"``). The key holds no instance
or fleet, so the only way to keep one fleet's hosts out of another fleet's transcripts is a prefix per fleet,
and the prefix is an input of the Session document: one document per fleet, and each fleet's instance role may
``s3:PutObject`` under its own prefix only.

What IAM cannot do: ``ssm:StartSession`` authorizes the instance and the document as two resources, and no
condition key ties one to the other (Service Authorization Reference, Systems Manager: ``StartSession`` takes
``ssm:SessionDocumentAccessCheck`` and resource tags only). An operator allowed on two fleets can start a
session on a host of one with the other's document; that host is then denied the upload of the transcript.
The alarm below fires on exactly that (and on every other failed upload), and the CloudWatch stream, which
names the target instance in every event, still records the session.

The alarm's signal: every agent binary logs through the agent's seelog configuration to
``/var/log/amazon/ssm/amazon-ssm-agent.log`` (``seelog_unix.xml``), which every fleet's CloudWatch agent ships
to the fleet's log group (``fleet/_agent.py``, ``SYSTEM_LOGS``). The messages matched are the agent's own:
``shell.go`` ``uploadShellSessionLogsToS3`` ("Failed to upload shell session logs to S3") and
``checkForLoggingInterruption`` ("... logging might be interrupted", when the transcript file loses its
append-only attribute or disappears); ``cloudwatchlogsservice.go`` ``StreamData`` ("Failed to upload message to
CloudWatch", "Log stream stopped", "Log streaming cannot be continued", "Error Creating Log Stream for
CloudWatchLogs output"). No AWS metric reports a failed session-log upload or an interrupted stream: Session
Manager publishes no CloudWatch metrics, and the log group's ``IncomingLogEvents`` cannot tell "no session"
from "an agent that stopped streaming".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, cast

from aws_cdk import CfnOutput, Duration, Names, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from .._private.alarm_topic import notify
from ._logging import SessionLogGroups, instance_logging_statements
from ._operators import Grantable, grant_through, instance_logging_policy

#: What the SSM agent logs when a session's transcript did not reach S3 or CloudWatch Logs (module docstring).
AGENT_LOGGING_FAILURES = (
    "Failed to upload shell session logs to S3",
    "Failed to upload message to CloudWatch",
    "Log stream stopped",
    "Log streaming cannot be continued",
    "Error Creating Log Stream for CloudWatchLogs output",
    "logging might be interrupted",
)
#: The metric the fleet's metric filter counts matches into, in the fleet's own namespace.
METRIC_NAME = "SessionLoggingFailures"


@dataclass(frozen=True)
class FleetLogging:
    """What :func:`fleet_logging` made for one fleet."""

    prefix: str
    document: ssm.CfnDocument
    alarm: cloudwatch.Alarm | None
    #: the fleet's own session log group (``None``: CloudWatch logging is off, or the user's ``log_group`` is shared)
    log_group: logs.ILogGroup | None = None


def fleet_key(path: str) -> str:
    """Eight upper-case hex digits of the fleet's construct path (stable, and the same in every id)."""
    return hashlib.sha256(path.encode()).hexdigest()[:8].upper()


def fleet_prefix(base: str, fleet: Construct) -> str:
    """``<base><fleet unique id>/``: the S3 prefix of one fleet's transcripts."""
    return f"{base}{Names.unique_id(fleet)}/"


def document_arn(scope: Construct, document: ssm.CfnDocument) -> str:
    """The ARN of a Session document of ``scope``'s stack."""
    return Stack.of(scope).format_arn(service="ssm", resource="document", resource_name=document.ref)


def fleet_document_name(name: str | None, key: str) -> str | None:
    """``<document_name>-<key>`` when the user named the document (at most 128 characters), else generated."""
    if name is None or name == "SSM-SessionManagerRunShell" or Token.is_unresolved(name):
        return None  # generated: the account default is the construct's own, a token cannot be cut to length
    return f"{name[: 128 - len(key) - 1]}-{key}"


class FleetDocuments:
    """The Session documents of one ``SessionManagerAccess``: its own (``shared_arn``) and one per fleet added."""

    def __init__(
        self,
        access: Construct,
        document_args: dict[str, Any],
        *,
        shared_arn: str,
        log_groups: SessionLogGroups | None = None,
    ) -> None:
        self._access, self._args, self._shared_arn, self._log_groups = access, document_args, shared_arn, log_groups
        self.by_fleet: dict[str, FleetLogging] = {}
        self._every: iam.PolicyStatement | None = None  # the access-tag operator policy's document statement

    def add(self, fleet: Construct, principal: iam.IPrincipal) -> None:
        """The fleet's document, prefix, log group and alarm; its role may log under its own prefix, to its own
        log group (when this construct created the session log group; a user's ``log_group`` is shared), only."""
        args = self._args
        scope, logging = fleet_logging(
            self._access,
            fleet,
            document_args=args,
            base_prefix=args["s3_key_prefix"],
            s3=args["bucket"] is not None,
            log_groups=self._log_groups,
        )
        self.by_fleet[fleet.node.path] = logging
        group = logging.log_group or args["log_group"]
        statements = instance_logging_statements(args["key"], args["bucket"], logging.prefix, group)
        policy = instance_logging_policy(scope, (reasons for _a, _r, reasons in statements))
        grant_through(self._access, policy, Grantable(principal), statements)
        if self._every is not None:
            self._every.add_resources(document_arn(self._access, logging.document))

    def arns(self, fleet_path: str | None) -> list[str]:
        """The fleet's document, or (``None``) the shared one and every fleet's so far."""
        if fleet_path is not None:
            return [document_arn(self._access, self.by_fleet[fleet_path].document)]
        return [self._shared_arn, *(document_arn(self._access, f.document) for f in self.by_fleet.values())]

    def follow(self, statement: iam.PolicyStatement) -> None:
        """Add the document of every fleet added from now on to ``statement`` too."""
        self._every = statement


def fleet_logging(
    access: Construct,
    fleet: Construct,
    *,
    document_args: dict[str, Any],
    base_prefix: str,
    s3: bool,
    log_groups: SessionLogGroups | None = None,
) -> tuple[Construct, FleetLogging]:
    """``Fleet<key>`` under ``access``: the fleet's session log group (``LogGroup``, when ``log_groups``), its
    Session document (``Document``), its start-session command (``StartSessionCommand``) and, for a fleet with a
    log group and a metrics namespace (``ImmutableFleet``, ``BlueGreenFleet``), the metric filter and alarm on its
    agents' session-logging failures."""
    from ._document import session_document

    key = fleet_key(fleet.node.path)
    scope = Construct(access, f"Fleet{key}")
    prefix = fleet_prefix(base_prefix, fleet) if s3 else base_prefix
    group = log_groups.for_fleet(scope, key) if log_groups is not None else None
    args = {**document_args, "s3_key_prefix": prefix, "name": fleet_document_name(document_args.get("name"), key)}
    if group is not None:
        args["log_group"] = group
    document = session_document(scope, **args)
    CfnOutput(
        scope,
        "StartSessionCommand",
        value=f"aws ssm start-session --target <instance-id> --document-name {document.ref}",
        description=f"Start a logged shell session on an instance of {fleet.node.path} (replace <instance-id>).",
    )
    return scope, FleetLogging(prefix=prefix, document=document, alarm=_alarm(scope, fleet), log_group=group)


def _alarm(scope: Construct, fleet: Construct) -> cloudwatch.Alarm | None:
    log_group = getattr(fleet, "log_group", None)
    namespace = getattr(fleet, "metrics_namespace", None)
    if not hasattr(log_group, "log_group_name") or not isinstance(namespace, str):
        return None
    logs.MetricFilter(
        scope,
        "AgentLoggingFailures",
        log_group=cast(logs.ILogGroup, log_group),
        filter_pattern=logs.FilterPattern.any_term(*AGENT_LOGGING_FAILURES),
        metric_namespace=namespace,
        metric_name=METRIC_NAME,
        metric_value="1",
    )
    alarm = cloudwatch.Alarm(
        scope,
        "SessionLoggingAlarm",
        alarm_description=(
            f"A host of {fleet.node.path} could not log a Session Manager session (its SSM agent reported a failed "
            "S3 upload or an interrupted CloudWatch stream): the transcript of that session may be missing. See "
            "the host's stream /var/log/amazon/ssm/amazon-ssm-agent.log in the fleet's log group."
        ),
        metric=cloudwatch.Metric(
            namespace=namespace, metric_name=METRIC_NAME, statistic="Sum", period=Duration.minutes(5)
        ),
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        # no failure, no data: a fleet nobody opens sessions on is fine
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    notify(scope, alarm)  # the stack's alarm topic (_private/alarm_topic.py), like every library alarm
    return alarm
