"""Alarm when a CloudFormation stack has drifted from its template.

``StackDriftAlarm(self, "Drift")`` runs CloudFormation drift detection on its own stack once a day
(a Lambda function on an EventBridge schedule), publishes the verdict as CloudWatch metrics and
alarms to a KMS-encrypted SNS topic when the stack has drifted:

* namespace ``ImmutableConstructs/StackDrift``, dimension ``StackName``;
* ``StackDrifted``: 1 drifted, 0 in sync; ``DriftedResources``: how many resources drifted;
* one alarm per stack on ``StackDrifted`` (Maximum over an hour >= 1); missing data keeps the
  last state (nothing is published while a stack is being updated or detection did not finish);
* one alarm when the check itself fails (the function's ``Errors``): throttling that outlasted
  the retries, a watched stack that no longer exists, a detection CloudFormation could not finish.

Permissions (each rests on the document named next to it in the code): CloudFormation reads every
resource of a stack *with the caller's permissions* when it detects drift (CloudFormation User
Guide, "Detect unmanaged configuration changes to stacks and resources with drift detection",
"Considerations when detecting drift"), so the function's role may read exactly what the read handlers of
the resource types in the watched stacks list in their CloudFormation schemas (``_read_policy.py``), and
decrypt (``kms:Decrypt``) only with the watched stacks' keys, only through the services that need it
(issue 28; it replaces the AWS-managed ``ReadOnlyAccess``, which could read every object, log event,
message and parameter of the account).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from aws_cdk import Annotations, Aspects, CfnResource, Duration, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from .._links import doc_url
from .._private.alarm_topic import AlarmTopic
from .._private.handler_function import handler_code, handler_function, handler_log_group
from .._private.limits import alarm_description, lambda_description
from .._private.nag import acknowledge_wildcards
from .._private.origin import record_origin
from .._private.props import Rule, checked
from ._read_policy import ReadPolicyWriter
from ._stack_drift_checks import check_alarm_actions, check_props

__all__ = ["StackDriftAlarm"]

NAMESPACE = "ImmutableConstructs/StackDrift"
_HANDLER = Path(__file__).resolve().parent / "stack_drift_handler"
_WARN_ROLE = "immutable-constructs:driftRoleNotChanged"
#: CloudWatch dimension values are 1 to 255 characters; a stack name at most 128.
_DIMENSION = Rule(blank=False, max_length=255, fix="pass the name of a watched stack, e.g. 'shop-network'")
# CloudWatch checks a metric's period at synth (1, 5, 10, 30 or a multiple of 60 seconds): a token cannot pass.
_PERIOD = Rule(token=False, fix="pass a literal period, e.g. Duration.hours(1)")


def _shown(name: str) -> str:
    """A stack name for a description: one known at deploy time only is not cut in half by a length limit."""
    return "(a name given at deploy time)" if Token.is_unresolved(name) else name


class StackDriftAlarm(Construct):
    """Detects drift on CloudFormation stacks on a schedule and alarms when one has drifted.

    :param stacks: the stacks to watch: ``Stack`` objects and/or stack names, in this account
        and region. Default: the stack this construct is in.
    :param schedule: when to check: an EventBridge ``cron(...)``/``rate(...)`` expression or an
        ``events.Schedule``. Default ``"rate(1 day)"``. A rate must be at least one hour (drift
        detection takes minutes and reads every resource).
    :param topic: the SNS topic the alarms notify. Default: the stack's alarm topic
        (``AlarmTopic.of(stack)``, the one every library alarm of the stack notifies: SSL-only,
        encrypted with its own rotated KMS key, whose policy lets this account's CloudWatch alarms
        publish; SNS Developer Guide, "Enable compatibility between event sources from AWS services and
        encrypted topics"). A topic you pass must allow that itself (``cloudwatch.amazonaws.com``: ``sns:Publish`` and,
        when encrypted, ``kms:Decrypt`` and ``kms:GenerateDataKey*`` on its key).
    :param role: the role the function runs as. Default: a new role that may read what drift detection
        reads for the resource types of the watched stacks (their schemas' read-handler permissions),
        decrypt with the watched stacks' keys through those services only, and run the detection on the
        watched stacks. A role you pass gets the detection statements only: read access to the stacks'
        resources is yours to grant (the escape hatch for stacks this app does not define).
    :param timeout: how long one check may take; detections still running then are reported next
        time. Default 5 minutes; 1 to 15 minutes.
    :param log_retention: how long the function's logs are kept. Default one year.

    Attributes: ``alarms`` (stack name -> alarm), ``alarm`` (the first stack's alarm, the only one
    by default), ``check_failed_alarm``, ``topic``, ``function``, ``role``, ``rule``, ``key`` (the stack
    alarm topic's key; None for a topic you pass). ``add_alarm_action`` adds actions to every alarm of this construct.
    """

    NAMESPACE = NAMESPACE

    @checked(
        topic=Rule(same_region=True, fix="use a topic of this stack's region (CloudWatch alarm actions)"),
        stacks=Rule(fix="list each stack (or stack name) once"),
        role=Rule(any_region="IAM is global"),
    )
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        stacks: Sequence[Stack | str] | None = None,
        schedule: str | events.Schedule = "rate(1 day)",
        topic: sns.ITopic | None = None,
        role: iam.IRole | None = None,
        timeout: Duration | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        super().__init__(scope, id)
        record_origin(self)  # the user's line that created it, for the SARIF report
        own = Stack.of(self)
        timeout = Duration.minutes(5) if timeout is None else timeout
        names = check_props(self, own, stacks, schedule, topic, role, timeout, log_retention)
        self.stack_names: tuple[str, ...] = names

        # --- notifications -----------------------------------------------------------------
        # Every library alarm of a stack notifies one topic (issue 24): the stack's alarm topic, whose
        # key and policy let this account's CloudWatch alarms publish (_private/alarm_topic.py).
        self.key: kms.IKey | None = None
        if topic is None:
            stack_topic = AlarmTopic.of(self)
            topic, self.key = stack_topic.topic, stack_topic.key
        self.topic: sns.ITopic = topic

        # --- the function ------------------------------------------------------------------
        self.role: iam.IRole = role or self._new_role(stacks if stacks is not None else [own])
        log_group = handler_log_group(self, "Logs", log_retention)
        self._grant_detection(own, names, log_group, own_role=role is None)
        self._build_function(names, log_group, timeout, schedule)
        self._build_alarms(names)

    # -- the build steps ----------------------------------------------------------------------

    def _grant_detection(self, own: Stack, names: Sequence[str], log_group: logs.ILogGroup, *, own_role: bool) -> None:
        """What the function needs beyond reading the resources: detect drift on the watched stacks, read the
        detection status, publish its metrics, write its log."""
        stack_arns = [own.format_arn(service="cloudformation", resource="stack", resource_name=f"{n}/*") for n in names]
        statements = [
            # Service Authorization Reference, AWS CloudFormation: DetectStackDrift and DetectStackResourceDrift
            # take the stack ARN; DescribeStackDriftDetectionStatus has no resource type.
            iam.PolicyStatement(
                sid="DetectDrift",
                actions=[
                    "cloudformation:DescribeStacks",
                    "cloudformation:DetectStackDrift",
                    "cloudformation:DetectStackResourceDrift",
                ],
                resources=stack_arns,
            ),
            iam.PolicyStatement(
                sid="ReadDetectionStatus", actions=["cloudformation:DescribeStackDriftDetectionStatus"], resources=["*"]
            ),
            # CloudWatch User Guide, "Using condition keys to limit access to CloudWatch namespaces".
            iam.PolicyStatement(
                sid="PublishDriftMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": NAMESPACE}},
            ),
            iam.PolicyStatement(
                sid="Logs", actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            ),
        ]
        for statement in statements:
            self.role.add_to_principal_policy(statement)
        if not own_role:
            Annotations.of(self).add_warning_v2(
                _WARN_ROLE,
                "role is yours: it needs read access to every resource of the watched stacks (e.g. the AWS-managed "
                "ReadOnlyAccess policy) or drift detection fails; a role imported with mutable=False does not get "
                "this construct's statements either: add them yourself (docs/operations.md).",
            )
        reason = (
            "A stack's ARN ends in an id CloudFormation assigns at creation (and again when the stack is "
            "re-created); the stack name before it is fixed."
        )
        acknowledge_wildcards(
            self,
            {
                **dict.fromkeys(stack_arns, reason),
                "*": "DescribeStackDriftDetectionStatus has no resource type; PutMetricData has none either and is "
                f"limited to the namespace {NAMESPACE} by a condition.",
            },
        )

    def _build_function(
        self, names: Sequence[str], log_group: logs.ILogGroup, timeout: Duration, schedule: str | events.Schedule
    ) -> None:
        """The function and the schedule that runs it."""
        environment = {"STACK_NAMES": json.dumps(list(names)), "NAMESPACE": NAMESPACE}
        self.function = handler_function(
            self,
            "Function",
            code=handler_code(_HANDLER),
            entry="handler",
            role=self.role,
            log_group=log_group,
            timeout=timeout,
            retry_attempts=0,  # the next scheduled run is the retry; a failure alarms through Errors
            description=lambda_description(f"Detect CloudFormation drift on {', '.join(map(_shown, names))}"),
            environment=environment,
            no_dead_letter_queue="Invoked by a schedule: a failed run has no event worth replaying, the next run "
            "is the retry, and a failure raises the construct's CheckFailed alarm.",
        )
        self.rule = events.Rule(
            self,
            "Schedule",
            description=f"Detect drift on {len(names)} stack(s)",
            schedule=schedule if isinstance(schedule, events.Schedule) else events.Schedule.expression(schedule),
            targets=[targets.LambdaFunction(self.function, retry_attempts=2)],
        )

    def _build_alarms(self, names: Sequence[str]) -> None:
        """An alarm per watched stack, and one when a check fails; all notify the topic."""
        action = cw_actions.SnsAction(self.topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        for index, name in enumerate(names):
            alarm = self.metric_drifted(name).create_alarm(
                self,
                # a name known at deploy time only (a CfnParameter) cannot be part of a construct id
                f"Stack{index}Drifted" if Token.is_unresolved(name) else f"{name}Drifted",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                # Nothing is published while the stack is being updated or detection did not finish:
                # keep the last verdict rather than raise or clear the alarm on a guess.
                treat_missing_data=cloudwatch.TreatMissingData.IGNORE,
                alarm_description=alarm_description(
                    f"CloudFormation stack {name} has drifted from its template: someone changed its resources "
                    "outside CloudFormation. See which with 'aws cloudformation describe-stack-resource-drifts "
                    f"--stack-name {name} --stack-resource-drift-status-filters MODIFIED DELETED', then re-deploy: "
                    + doc_url("docs/operations.md", "stack-drift-alarms")
                ),
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.alarms[name] = alarm
        self.alarm: cloudwatch.Alarm = self.alarms[names[0]]
        self.check_failed_alarm = self.function.metric_errors(period=Duration.hours(1)).create_alarm(
            self,
            "CheckFailed",
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=alarm_description(
                f"The drift check of {self.node.path} failed: a watched stack is gone, drift detection could not "
                "read a resource, or AWS throttled it past its retries. The function's log names the stack and why."
            ),
        )
        self.check_failed_alarm.add_alarm_action(action)

    @checked(stack_name=_DIMENSION, period=_PERIOD)
    def metric_drifted(self, stack_name: str, *, period: Duration | None = None) -> cloudwatch.Metric:
        """``StackDrifted`` of ``stack_name`` (1 drifted, 0 in sync), Maximum per hour (a literal ``period``)."""
        return cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name="StackDrifted",
            dimensions_map={"StackName": stack_name},
            statistic="Maximum",
            period=period or Duration.hours(1),
        )

    @checked(stack_name=_DIMENSION, period=_PERIOD)
    def metric_drifted_resources(self, stack_name: str, *, period: Duration | None = None) -> cloudwatch.Metric:
        """``DriftedResources`` of ``stack_name``, Maximum per hour by default (``period``: not a token)."""
        return cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name="DriftedResources",
            dimensions_map={"StackName": stack_name},
            statistic="Maximum",
            period=period or Duration.hours(1),
        )

    @checked(actions=Rule(same_region=True, fix="use actions of this stack's region (CloudWatch alarm actions)"))
    def add_alarm_action(self, *actions: cloudwatch.IAlarmAction) -> None:
        """Add actions (a pager topic, an incident tool...) to every drift alarm and to the check-failed alarm."""
        check_alarm_actions(self, self.check_failed_alarm, actions, len(self.alarms) + 1)
        for alarm in (*self.alarms.values(), self.check_failed_alarm):
            alarm.add_alarm_action(*actions)

    def _new_role(self, stacks: Sequence[Stack | str]) -> iam.Role:
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Detect CloudFormation drift: read the watched stacks' resources as their read handlers do",
        )
        # Written when aspects run: resources added to a watched stack after this construct are read too.
        read = iam.Policy(self, "ReadPolicy", roles=[role])
        # The read actions come from the resource schemas' read handlers (AWS's statement of what a read
        # needs); a few name actions cfn-lint's copy of the Service Authorization Reference does not list
        # yet (managed-fleets:Get* for Auto Scaling groups, vpc-lattice:DescribeServiceNetworkVpcEndpoint-
        # Association for VPC endpoints). Kept, since dropping one could fail detection on that type; W3037
        # is silenced on this generated policy only (tools/drift_read_permissions.py).
        cfn_policy = read.node.default_child
        if isinstance(cfn_policy, CfnResource):
            cfn_policy.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3037"]}})
        Aspects.of(self).add(ReadPolicyWriter(self, read, stacks))
        return role
