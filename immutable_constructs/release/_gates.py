"""The alarm gate of one stack of a release stage, and the CodePipeline stage conditions that watch the gates.

A wave's stage may bake on at most five alarms: a stage's ``OnSuccess`` holds exactly one condition of at
most five rules (CloudFormation, ``AWS::CodePipeline::Pipeline`` ``SuccessConditions``: Conditions minimum
1, maximum 1; ``Condition``: Rules maximum 5). So every stack of a release stage that holds fleets gets one
**composite alarm** (``ReleaseGate``) that is in ALARM when any of its fleets' rollback alarms is, with a
deterministic name the pipeline can write into its rule, and a role the pipeline assumes to read it.

The ``CloudWatchAlarm`` rule (CodePipeline User Guide, rule reference "CloudWatchAlarm": ``AlarmName``,
``WaitTime`` in minutes) reads the alarm in the rule's ``Region`` with the rule's ``RoleArn``, "the IAM
service role that performs the declared rule. This is assumed through the roleArn for the pipeline"
(CodePipeline API Reference, ``RuleExecutionInput``), the same way as a cross-account action's role; so the
gate's reader role lives in the target account and trusts the pipeline's account, and the pipeline's role may
assume exactly those roles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Stack, Stage
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam

#: The fleet alarm that is not a rollback alarm (fleet/alarms.py: missing data breaches it).
_NOT_ROLLBACK = "AgentSilenceAlarm"


@dataclass(frozen=True)
class Gate:
    """One stack's gate: where its composite alarm lives and the role that reads it."""

    stack_name: str
    account: str
    region: str
    alarm_name: str
    role_name: str

    def role_arn(self, partition: str) -> str:
        return f"arn:{partition}:iam::{self.account}:role/{self.role_name}"


def rollback_alarms(stack: Stack) -> list[cloudwatch.Alarm]:
    """The rollback alarms of every ImmutableFleet and BlueGreenFleet of ``stack`` (not of nested stages)."""
    from ..fleet import BlueGreenFleet, ImmutableFleet

    alarms: list[cloudwatch.Alarm] = []
    for construct in stack.node.find_all():
        if isinstance(construct, (ImmutableFleet, BlueGreenFleet)) and Stack.of(construct) is stack:
            alarms += [a for a in construct.alarms if a.node.id != _NOT_ROLLBACK]
    return alarms


def add_gates(stage: Stage, pipeline_account: str) -> list[Gate]:
    """A gate in every stack of ``stage`` that holds fleets (none: the stage has nothing to bake on)."""
    gates = []
    for stack in (c for c in stage.node.find_all() if isinstance(c, Stack) and Stage.of(c) is stage):
        alarms = rollback_alarms(stack)
        if alarms:
            gates.append(_gate(stack, alarms, pipeline_account))
    return gates


def _gate(stack: Stack, alarms: Sequence[cloudwatch.Alarm], pipeline_account: str) -> Gate:
    # IAM role names are unique per account and at most 64 characters: a hash of stack name and region.
    digest = hashlib.sha256(f"{stack.stack_name}/{stack.region}".encode()).hexdigest()[:16]
    gate = Gate(
        stack_name=stack.stack_name,
        account=stack.account,
        region=stack.region,
        alarm_name=f"{stack.stack_name}-release-gate"[-255:],
        role_name=f"release-gate-{digest}",
    )
    alarm = cloudwatch.CompositeAlarm(
        stack,
        "ReleaseGate",
        composite_alarm_name=gate.alarm_name,
        alarm_description=f"A release pipeline rolls back this stack's wave when this alarm is in ALARM: any of "
        f"its fleets' rollback alarms ({len(alarms)}) is.",
        alarm_rule=cloudwatch.AlarmRule.any_of(
            *(cloudwatch.AlarmRule.from_alarm(a, cloudwatch.AlarmState.ALARM) for a in alarms)
        ),
    )
    role = iam.Role(
        stack,
        "ReleaseGateReader",
        role_name=gate.role_name,
        assumed_by=iam.AccountPrincipal(pipeline_account),
        description="The release pipeline reads this stack's release gate alarm (CodePipeline CloudWatchAlarm rule)",
    )
    # cloudwatch:DescribeAlarms takes the alarm ARN as resource (Service Authorization Reference, "Actions,
    # resources, and condition keys for Amazon CloudWatch": DescribeAlarms, resource type alarm; the same in
    # cfn-lint 1.58's copy, data/AdditionalSpecs/Policies.json). That the CloudWatchAlarm rule asks for the
    # alarm by name (so the ARN-scoped grant suffices) is this project's reading: the rule reference names no
    # permissions.
    role.add_to_policy(iam.PolicyStatement(actions=["cloudwatch:DescribeAlarms"], resources=[alarm.alarm_arn]))
    return gate


def bake_rules(gates: Sequence[Gate], minutes: int, partition: str, prefix: str) -> list[dict[str, Any]]:
    """One ``CloudWatchAlarm`` rule per gate, waiting ``minutes`` (the bake time)."""
    return [
        {
            "Name": f"{prefix}-{index}"[:100],
            "RuleTypeId": {"Category": "Rule", "Owner": "AWS", "Provider": "CloudWatchAlarm", "Version": "1"},
            "Configuration": {"AlarmName": gate.alarm_name, "WaitTime": str(minutes)},
            "Region": gate.region,
            "RoleArn": gate.role_arn(partition),
        }
        for index, gate in enumerate(gates, start=1)
    ]


def window_rule(name: str, cron: str, time_zone: str | None) -> dict[str, Any]:
    """A ``DeploymentWindow`` rule (CodePipeline User Guide, rule reference "DeploymentWindow": ``Cron``,
    ``TimeZone``)."""
    configuration = {"Cron": cron, **({"TimeZone": time_zone} if time_zone else {})}
    return {
        "Name": name[:100],
        "RuleTypeId": {"Category": "Rule", "Owner": "AWS", "Provider": "DeploymentWindow", "Version": "1"},
        "Configuration": configuration,
    }
