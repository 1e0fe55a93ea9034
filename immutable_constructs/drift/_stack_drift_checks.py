"""The props of :class:`StackDriftAlarm`, checked: one ``ValidationError`` naming every problem."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from aws_cdk import Duration, FeatureFlags, Stack, Token
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


def check_alarm_actions(
    scope: Construct, alarm: cloudwatch.Alarm, actions: Sequence[cloudwatch.IAlarmAction], alarm_count: int
) -> None:
    """Every action (a topic, a Lambda function, a scaling policy, an EC2 or SSM action) is of the alarms' own region
    (CloudWatch alarm actions are regional) and one this stack can reference. Each action is bound to ``alarm`` as
    the alarms will bind it (binding twice to one alarm adds nothing twice: a Lambda action's permission is
    found by its id), and the region of the ARN it gives is compared with the stack's."""
    own = Stack.of(scope)
    problems = Problems(scope)
    for index, action in enumerate(actions):
        prop = f"add_alarm_action(actions[{index}])"
        if (
            isinstance(action, cw_actions.LambdaAction)
            and alarm_count > 1
            and not FeatureFlags.of(scope).is_enabled(_FLAG)
        ):
            # Without the flag CDK gives every alarm's invoke permission the same id: the second alarm fails to bind.
            problems.add(prop, action, f"is a Lambda action for {alarm_count} alarms, which needs {_FLAG}", _FLAG_FIX)
            continue
        if Token.is_unresolved(own.region):
            continue  # an environment-agnostic stack: AWS judges the region
        try:
            resolved = own.resolve(action.bind(scope, alarm).alarm_action_arn)
        except Exception:  # CDK's CannotUseCrossEnvironment
            problems.add(
                prop,
                action,
                "acts on a resource a stack of another account or region creates, which this stack cannot reference",
                "use a topic, function or policy of this stack's account and region (e.g. AlarmTopic.of(stack).topic)",
            )
            continue
        region = _arn_region(resolved)
        problems.require(
            region is None or region == own.region,
            prop,
            resolved,
            f"acts in region {region}, and the alarms are in {own.region}: CloudWatch alarm actions must be in the "
            "alarm's region",
            "use a topic, function or policy of this stack's region (e.g. AlarmTopic.of(stack).topic)",
        )
    problems.raise_if_any()


_FLAG = "@aws-cdk/aws-cloudwatch-actions:changeLambdaPermissionLogicalIdForLambdaAction"
_FLAG_FIX = f'set "{_FLAG}": true in cdk.json\'s context (cdk init sets it), or notify an SNS topic that invokes it'


def _arn_region(resolved: object) -> str | None:
    """The region an ARN names, when it is written out (a string, or an ``Fn::Join`` of strings and a partition);
    None when it is a reference to a resource of this stack (``Ref``, ``Fn::GetAtt``)."""
    if isinstance(resolved, dict) and list(resolved) == ["Fn::Join"]:
        separator, parts = resolved["Fn::Join"]
        resolved = separator.join(p if isinstance(p, str) else "{}" for p in parts)
    if not isinstance(resolved, str):
        return None
    parts = resolved.split(":")
    region = parts[3] if len(parts) > 3 and parts[0] == "arn" else ""
    return region if region and "{" not in region and "$" not in region else None
