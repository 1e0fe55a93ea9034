"""The props of :class:`StackDriftAlarm`, checked: one ``ValidationError`` naming every problem."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from .._private.validation import Problems, is_unresolved

_STACK_NAME = r"[A-Za-z][-A-Za-z0-9]*"  # CloudFormation's stack name pattern, at most 128 characters
_RATE = re.compile(r"rate\((?P<n>[0-9]+) (?P<unit>minutes?|hours?|days?)\)")
_ENVIRONMENT_MAX = 3500  # Lambda allows 4 KB of environment variables in all; leave room for the rest


def check_props(
    scope: Construct,
    own: Stack,
    stacks: object,
    schedule: object,
    topic: object,
    role: object,
    timeout: object,
    log_retention: object,
) -> tuple[str, ...]:
    problems = Problems(scope)
    names: list[str] = []
    if stacks is None:
        stacks = [own]
    if problems.sequence("stacks", stacks, item="stacks or stack names", allow_empty=False):
        listed: Sequence[object] = stacks  # type: ignore[assignment]  # a list or tuple, checked above
        for index, item in enumerate(listed):
            prop = f"stacks[{index}]"
            if isinstance(item, Stack):
                name = item.stack_name
                if is_unresolved(name):
                    problems.add(
                        prop,
                        item.node.path,
                        "its name is only known at deploy time (a nested stack?)",
                        "pass the stack's name instead, or watch the parent stack",
                    )
                    continue
                if not _same_environment(own, item):
                    problems.add(
                        prop,
                        name,
                        f"is in {item.account}/{item.region}, not {own.account}/{own.region}",
                        "add a StackDriftAlarm to a stack in that account and region",
                    )
                    continue
            elif isinstance(item, str):
                name = item
                if not problems.text(
                    prop,
                    name,
                    pattern=_STACK_NAME,
                    max_length=128,
                    what="a CloudFormation stack name",
                    fix="a letter, then letters, digits and '-' (e.g. 'shop-network'); not an ARN",
                ):
                    continue
            else:
                problems.add(prop, item, "is not a Stack or a stack name", "pass a Stack or its name")
                continue
            if name in names:
                problems.add(prop, name, "is listed twice", "list each stack once")
                continue
            names.append(name)
        if len(json.dumps(names)) > _ENVIRONMENT_MAX:
            problems.add(
                "stacks",
                f"{len(names)} stacks",
                "the names exceed what the function's environment holds",
                "split them over two StackDriftAlarm constructs",
            )
    expression = schedule.expression_string if isinstance(schedule, events.Schedule) else schedule
    if isinstance(schedule, events.Schedule) or problems.schedule("schedule", schedule):
        match = _RATE.fullmatch(expression) if isinstance(expression, str) else None
        if match is not None and match["unit"].startswith("minute") and int(match["n"]) < 60:
            problems.add(
                "schedule",
                schedule,
                "is more often than hourly; each check reads every resource of every stack and takes minutes",
                "use e.g. 'rate(1 day)' or 'rate(6 hours)'",
            )
    if topic is not None:
        problems.implements(
            "topic", topic, sns.ITopic, what="an SNS topic", fix="pass an sns.Topic or Topic.from_topic_arn(...)"
        )
    if role is not None:
        problems.implements(
            "role", role, iam.IRole, what="an IAM role", fix="pass an iam.Role or Role.from_role_arn(...)"
        )
    if problems.duration("timeout", timeout) and isinstance(timeout, Duration) and not Token.is_unresolved(timeout):
        seconds = timeout.to_seconds()
        problems.require(
            60 <= seconds <= 900,
            "timeout",
            timeout,
            "must be from 1 to 15 minutes (Lambda's limit)",
            "use e.g. Duration.minutes(5)",
        )
    problems.instance(
        "log_retention",
        log_retention,
        logs.RetentionDays,
        what="a logs.RetentionDays",
        fix="use e.g. logs.RetentionDays.ONE_YEAR",
    )
    problems.raise_if_any()
    return tuple(names)


def _same_environment(own: Stack, other: Stack) -> bool:
    """False only when both stacks' account or region are known and differ."""
    for mine, theirs in ((own.account, other.account), (own.region, other.region)):
        if not Token.is_unresolved(mine) and not Token.is_unresolved(theirs) and mine != theirs:
            return False
    return True


def check_alarm_actions(scope: Construct, alarm: cloudwatch.Alarm, actions: Sequence[cloudwatch.IAlarmAction]) -> None:
    """An SNS action notifies a topic of the alarms' own region (CloudWatch alarm actions are regional), which
    this stack can reference (a topic another stack of another account or region creates cannot be)."""
    own = Stack.of(scope)
    problems = Problems(scope)
    for index, action in enumerate(actions):
        if not isinstance(action, cw_actions.SnsAction) or Token.is_unresolved(own.region):
            continue  # binding other actions has side effects (a Lambda permission...); AWS judges those
        arn = action.bind(scope, alarm).alarm_action_arn
        try:
            resolved = own.resolve(arn)
        except Exception:  # CDK's CannotUseCrossEnvironment
            problems.add(
                f"add_alarm_action(actions[{index}])",
                action,
                "notifies a topic a stack of another account or region creates, which this stack cannot reference",
                "use a topic of this stack's account and region (e.g. AlarmTopic.of(stack).topic)",
            )
            continue
        parts = resolved.split(":") if isinstance(resolved, str) else []
        region = parts[3] if len(parts) > 3 else own.region
        problems.require(
            region == own.region,
            f"add_alarm_action(actions[{index}])",
            resolved,
            f"notifies a topic in region {region}, and the alarms are in {own.region}: CloudWatch alarm actions "
            "must be in the alarm's region",
            "use a topic of this stack's region (e.g. AlarmTopic.of(stack).topic)",
        )
    problems.raise_if_any()
