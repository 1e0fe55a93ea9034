"""Helpers for a CDK custom-resource Provider (``custom_resources.Provider``) a construct owns.

The framework's own functions, roles and waiter state machine are not configurable: trace the
waiter and acknowledge, with reasons, exactly the findings the framework causes.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import custom_resources as cr
from constructs import IConstruct

from .._private.checkov import skip_checkov
from .._private.nag import acknowledge_wildcards

#: Why the functions of a custom resource have no dead-letter queue (checkov CKV_AWS_116).
NO_DEAD_LETTER_QUEUE = (
    "Part of a CloudFormation custom resource: the Provider framework reports every failure to "
    "CloudFormation (the stack update fails and rolls back); a dead-letter queue would hold events "
    "nobody can answer any more."
)


def acknowledge_provider(provider: cr.Provider, handlers: Sequence[lambda_.IFunction]) -> None:
    """The CDK Provider framework's own roles and state machine are not configurable here."""
    invoke = (
        "the CDK Provider framework invokes this function by ARN with any version or alias suffix "
        "(lambda:InvokeFunction on <arn>:*); the framework writes this policy itself."
    )
    framework = [
        fn
        for fn in provider.node.find_all()
        if isinstance(fn, lambda_.Function) and fn.node.id in ("framework-isComplete", "framework-onTimeout")
    ]
    reasons = {f"{fn.function_arn}:*": invoke for fn in [*handlers, *framework]}
    reasons["*"] = (
        "the waiter state machine's log delivery (logs:CreateLogDelivery, PutResourcePolicy and the like) "
        "and X-Ray tracing (xray:PutTraceSegments and the like) support no resource-level permissions."
    )
    acknowledge_wildcards(provider, reasons)
    # Trace the waiter state machine (AwsSolutions-SF2) rather than acknowledge it.
    waiter = provider.node.find_child("waiter-state-machine")
    cfn_machine = waiter.node.default_child
    assert isinstance(cfn_machine, sfn.CfnStateMachine)
    cfn_machine.tracing_configuration = sfn.CfnStateMachine.TracingConfigurationProperty(enabled=True)
    waiter_role = waiter.node.find_child("Role")
    assert isinstance(waiter_role, iam.Role)
    # Issue 28: Step Functions Developer Guide, "Cross-service confused deputy prevention": the trust names the
    # source account (the state machine's own ARN would be a cycle: the state machine references the role).
    cfn_role = waiter_role.node.default_child
    assert isinstance(cfn_role, CfnResource)
    cfn_role.add_property_override(
        "AssumeRolePolicyDocument.Statement.0.Condition",
        {"StringEquals": {"aws:SourceAccount": Stack.of(provider).account}},
    )
    waiter_role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=[
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
            ],
            resources=["*"],
        )
    )
    waiter_policy = waiter_role.node.try_find_child("DefaultPolicy")
    if waiter_policy is not None and isinstance(waiter_policy.node.default_child, CfnResource):
        skip_checkov(
            waiter_policy.node.default_child,
            "CKV_AWS_111",
            "Step Functions log delivery (logs:CreateLogDelivery and the like) and X-Ray tracing support no "
            "resource-level permissions.",
        )
    for fn in [*handlers, *(c for c in provider.node.find_all() if isinstance(c, lambda_.Function))]:
        if isinstance(fn.node.default_child, CfnResource):
            skip_checkov(fn.node.default_child, "CKV_AWS_116", NO_DEAD_LETTER_QUEUE)
    Validations.of(provider).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]",
            reason="The CDK Provider framework's own functions use AWSLambdaBasicExecutionRole to write their "
            "logs; the framework creates these roles itself.",
        )
    )


def depend_only_on_policies(
    provider: cr.Provider, handlers: Sequence[lambda_.Function], handler_policy: iam.Policy
) -> None:
    """Drop the DependsOn on a role that a function (or state machine) already references by GetAtt.

    CDK adds both; cfn-lint flags the role one (W3005). Each keeps its DependsOn on the policy,
    which no property references and which must exist before the function runs.
    """
    pairs: list[tuple[IConstruct, IConstruct]] = [(fn, handler_policy) for fn in handlers]
    for child in provider.node.find_all():
        role = child.node.try_find_child("ServiceRole") or child.node.try_find_child("Role")
        policy = role.node.try_find_child("DefaultPolicy") if role is not None else None
        if policy is not None and (isinstance(child, lambda_.Function) or child.node.id == "waiter-state-machine"):
            pairs.append((child, policy))
    for construct, policy in pairs:
        cfn = construct.node.default_child
        policy_cfn = policy.node.default_child
        if isinstance(cfn, CfnResource) and isinstance(policy_cfn, CfnResource):
            cfn.add_override("DependsOn", [Stack.of(cfn).get_logical_id(policy_cfn)])
