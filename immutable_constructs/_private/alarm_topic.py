"""One notification topic per stack that every alarm of the library notifies, so an alarm reaches a person.

``AlarmTopic.of(scope)`` is the stack's topic: the one given to ``AlarmTopic.use(stack, topic)``
before the library's constructs were added, else one created on first use at the stack's root
(construct id ``ImmutableAlarmTopic``): an SNS topic encrypted with its own KMS key (rotated),
whose policy refuses non-TLS requests and lets CloudWatch alarms of this account publish. Fleets
(unhealthy hosts, 5xx, CPU, agent silence), ``StackDriftAlarm`` (unless given its own topic),
``TaintedHostReplacement`` (overdue hosts, failed runs) and ``SessionManagerAccess``'s tainted-host
alarms add the topic as their alarm action; subscribe people or a pager to it
(``topic.add_subscription(...)``, docs/operations.md).

AWS documents behind each grant (checked on the synthesized template by tests/_private/test_alarm_topic.py):

* SNS Developer Guide, "Enable compatibility between event sources from AWS services and
  encrypted topics": CloudWatch needs ``kms:Decrypt`` and ``kms:GenerateDataKey*`` on the topic's
  key to publish to an encrypted topic (limited to this account with ``aws:SourceAccount``);
* SNS Developer Guide, "Example cases for Amazon SNS access control" (publishing from an AWS
  service, with ``aws:SourceAccount`` and ``aws:SourceArn`` against the confused deputy):
  ``sns:Publish`` for ``cloudwatch.amazonaws.com``, only for alarms of this account and region
  (``arn:<partition>:cloudwatch:<region>:<account>:alarm:*``);
* ``enforce_ssl``: the topic policy denies ``sns:Publish`` without ``aws:SecureTransport``
  (AWS Foundational Security Best Practices, SNS.x; AwsSolutions-SNS3).
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from ..errors import Problem, ValidationError
from .props import Rule, check_value, checked
from .validation import Problems

__all__ = ["ALARM_TOPIC_ID", "AlarmTopic", "notify"]

#: The id of the stack's topic construct, a direct child of the stack.
ALARM_TOPIC_ID = "ImmutableAlarmTopic"
_CLOUDWATCH = "cloudwatch.amazonaws.com"
#: CloudWatch alarm actions notify a topic of the alarm's own region.
_TOPIC = Rule(same_region=True, fix="use a topic of the stack's region (CloudWatch alarm actions are regional)")


class AlarmTopic(Construct):
    """The stack's alarm topic (use :meth:`of` and :meth:`use`, not the constructor).

    :param topic: the topic to use instead of creating one (what :meth:`use` passes). Default: a new
        SSL-only topic encrypted with its own rotated KMS key, which this account's CloudWatch alarms may
        publish to.

    Attributes: ``topic`` (the SNS topic every library alarm notifies) and ``key`` (its KMS key;
    None for a topic given to :meth:`use`).
    """

    @checked(topic=_TOPIC)
    def __init__(self, scope: Stack, id: str, *, topic: sns.ITopic | None = None) -> None:
        super().__init__(scope, id)
        problems = Problems(self)
        problems.instance("scope", scope, Stack, what="a Stack", fix="use AlarmTopic.of(construct) instead")
        problems.raise_if_any()
        self.key: kms.IKey | None = None
        if topic is None:
            key = kms.Key(self, "Key", enable_key_rotation=True, description=f"{scope.node.path} alarm notifications")
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="CloudWatchAlarmsPublish",
                    principals=[iam.ServicePrincipal(_CLOUDWATCH)],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],  # a key policy's resource is the key itself
                    # Confused-deputy protection, as on the topic policy (docs/security.md, issue 28).
                    conditions={"StringEquals": {"aws:SourceAccount": scope.account}},
                )
            )
            new_topic = sns.Topic(
                self, "Topic", master_key=key, enforce_ssl=True, display_name=f"{scope.node.path} alarms"
            )
            new_topic.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="CloudWatchAlarmsPublish",
                    principals=[iam.ServicePrincipal(_CLOUDWATCH)],
                    actions=["sns:Publish"],
                    resources=[new_topic.topic_arn],
                    conditions={
                        "StringEquals": {"aws:SourceAccount": scope.account},
                        "ArnLike": {
                            "aws:SourceArn": f"arn:{scope.partition}:cloudwatch:{scope.region}:{scope.account}:alarm:*"
                        },
                    },
                )
            )
            self.key, topic = key, new_topic
        self.topic: sns.ITopic = topic
        self.action = cw_actions.SnsAction(topic)

    @staticmethod
    @checked()
    def of(scope: Construct) -> AlarmTopic:
        """The alarm topic of ``scope``'s stack, created on first use."""
        stack = Stack.of(scope)
        found = stack.node.try_find_child(ALARM_TOPIC_ID)
        if isinstance(found, AlarmTopic):
            return found
        return AlarmTopic(stack, ALARM_TOPIC_ID)

    @staticmethod
    @checked(topic=_TOPIC)
    def use(stack: Stack, topic: sns.ITopic) -> AlarmTopic:
        """Make ``topic`` (e.g. the platform's pager topic) the alarm topic of ``stack``. Call it before
        adding the library's constructs. The topic must let ``cloudwatch.amazonaws.com`` publish (and, when
        encrypted, use its key), as the one the library creates does."""
        problems = Problems(f"{stack.node.path}/{ALARM_TOPIC_ID}")
        check_value(problems, "topic", topic, sns.ITopic, _TOPIC, stack)
        problems.raise_if_any()
        found = stack.node.try_find_child(ALARM_TOPIC_ID)
        if found is not None:
            raise ValidationError(
                f"{stack.node.path}/{ALARM_TOPIC_ID}",
                [
                    Problem(
                        "topic",
                        topic.node.path if isinstance(topic, Construct) else topic,
                        "comes after the stack's alarm topic was chosen (a library construct already uses it)",
                        "call AlarmTopic.use(stack, topic) before creating fleets, drift or tainted-host alarms",
                    )
                ],
            )
        return AlarmTopic(stack, ALARM_TOPIC_ID, topic=topic)


def notify(scope: Construct, *alarms: cloudwatch.Alarm) -> None:
    """Each alarm notifies the stack's alarm topic when it goes into ALARM and back to OK."""
    action = AlarmTopic.of(scope).action
    for alarm in alarms:
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
