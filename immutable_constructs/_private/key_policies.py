"""Key-policy statements for AWS services that use a customer managed key through a service principal.

(Service-linked roles and consuming accounts are in ``kms_grants.py``.) Each statement is
built here once, so every construct that encrypts the same kind of resource grants the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import jsii
from aws_cdk import ArnFormat, IStableAnyProducer, Lazy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import IConstruct

if TYPE_CHECKING:  # only for the annotation: aws_cdk.interfaces is newer than some supported aws-cdk-lib versions
    from aws_cdk.interfaces import aws_events as events_refs


@jsii.implements(IStableAnyProducer)
class Producer:
    """A ``Lazy.any`` producer from a Python function (jsii needs an object implementing ``IStableAnyProducer``)."""

    def __init__(self, produce: Callable[[], object]) -> None:
        self._produce = produce

    def produce(self) -> object:
        return self._produce()


#: What CloudWatch Logs needs on the key of an encrypted log group.
CLOUDWATCH_LOGS_ACTIONS = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*")


def allow_cloudwatch_logs(key: kms.IKey, scope: IConstruct, *, log_group_name: str | list[str] | None = None) -> bool:
    """Let CloudWatch Logs use ``key`` for the log groups of ``scope``'s account and region, or for one.

    CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS Key Management
    Service", step 2: the key policy allows the service principal ``logs.<region>.amazonaws.com``
    ``kms:Encrypt*``, ``kms:Decrypt*``, ``kms:ReEncrypt*``, ``kms:GenerateDataKey*`` and
    ``kms:Describe*``, with ``ArnLike kms:EncryptionContext:aws:logs:arn``. Without it,
    creating a log group with this key fails. The condition is a pattern of this account and
    region's log groups, not one group's ARN: the group references the key, so naming it by its
    ``Arn`` attribute in the key policy would be a cycle.

    ``log_group_name`` (a name the template sets, so the ARN is known without referencing the group):
    issue 28, every action for that one group only, and for every other log group of this account
    and region only ``kms:Decrypt*``/``kms:Describe*``, so log groups encrypted with the key before it was
    scoped (a session log group with a generated name, retained when it was replaced) stay readable
    while no other group can be encrypted with it. A ``list`` of names is read when the template is
    written (each Session Manager fleet's own log group is appended as the fleet is added): the condition then
    names exactly those groups.

    Returns ``False`` when the key's policy cannot be changed here (an imported key): the caller
    then tells the user what the key's owner must add.
    """
    stack = Stack.of(scope)
    log_groups_here = stack.format_arn(
        service="logs",
        resource="log-group",
        resource_name="*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    service = iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")
    if log_group_name is None:
        result = key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[service],
                actions=list(CLOUDWATCH_LOGS_ACTIONS),
                resources=["*"],
                conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups_here}},
            )
        )
        return result.statement_added
    names = log_group_name

    def arn(name: str) -> str:
        return stack.format_arn(
            service="logs", resource="log-group", resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
        )

    this_group: object = (
        arn(names)
        if isinstance(names, str)
        else Lazy.any(Producer(lambda: arn(names[0]) if len(names) == 1 else [arn(n) for n in names]))
    )
    result = key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="CloudWatchLogsEncryptsTheLogGroup",
            principals=[service],
            actions=list(CLOUDWATCH_LOGS_ACTIONS),
            resources=["*"],
            conditions={"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": this_group}},
        )
    )
    if result.statement_added:
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsReadsEarlierLogGroups",
                principals=[service],
                actions=["kms:Decrypt*", "kms:Describe*"],
                resources=["*"],
                conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups_here}},
            )
        )
    return result.statement_added


def allow_eventbridge_to_publish(key: kms.IKey) -> None:
    """Let EventBridge rules deliver to an SNS topic that ``key`` encrypts.

    SNS Developer Guide, "Encryption at rest", "Enable compatibility between event sources from AWS
    services and encrypted topics": the source service (``events.amazonaws.com``) needs
    ``kms:GenerateDataKey*`` and ``kms:Decrypt`` in the key policy. Issue 28: only for this account's
    rules (``aws:SourceAccount``; the same page's example key policy conditions the service principal on
    its source, and the IAM User Guide, "The confused deputy problem", names the key).
    """
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="EventBridgePublishesNotifications",
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            principals=[iam.ServicePrincipal("events.amazonaws.com")],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": Stack.of(key).account}},
        )
    )


def allow_service_to_publish(topic: sns.ITopic, service: str) -> None:
    """Let ``service`` publish to ``topic`` for this account only (the confused deputy).

    EventBridge User Guide, "Amazon SNS permissions" (the topic policy names ``events.amazonaws.com``)
    and SNS Developer Guide, "Cross-service confused deputy prevention" (``aws:SourceAccount``/
    ``aws:SourceArn`` on a service principal's statement). Issue 28: the CDK's ``targets.SnsTopic``
    grants ``events.amazonaws.com`` on the topic and its key with no condition; :func:`topic_target`
    replaces it.
    """
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid=f"{service.split('.')[0].capitalize()}PublishesForThisAccount",
            actions=["sns:Publish"],
            principals=[iam.ServicePrincipal(service)],
            resources=[topic.topic_arn],
            conditions={"StringEquals": {"aws:SourceAccount": Stack.of(topic).account}},
        )
    )


@jsii.implements(events.IRuleTarget)
class topic_target:  # reads like the CDK's targets.SnsTopic it replaces
    """An EventBridge rule target publishing to ``topic``, with no grant of its own: the topic's policy
    comes from :func:`allow_service_to_publish`, its key's from :func:`allow_eventbridge_to_publish`."""

    def __init__(self, topic: sns.ITopic) -> None:
        self._topic = topic

    def bind(self, rule: events_refs.IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self._topic.topic_arn)
