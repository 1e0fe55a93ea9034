"""The tainted-host function's permissions, each with the AWS document it rests on."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs

from .._private.tags import FLEET as FLEET_TAG_KEY

#: The namespace the function publishes its counts in (``cloudwatch:namespace`` condition).
NAMESPACE = "ImmutableConstructs/TaintedHosts"
# The taint tags the function writes (tainted_hosts_handler/index.py; a test checks they agree). Not
# imported from there: the handler imports boto3, which a CDK app need not have.
TAG_BY = "immutable-constructs:tainted-by"
TAG_AT = "immutable-constructs:tainted-at"


def instance_arns(stack: Stack) -> str:
    """Every instance of the stack's account and region (CreateTags is narrowed by conditions)."""
    return stack.format_arn(
        service="ec2", resource="instance", resource_name="*", arn_format=ArnFormat.SLASH_RESOURCE_NAME
    )


def group_arns(stack: Stack) -> str:
    """Every Auto Scaling group of the stack's account and region (SetInstanceHealth is narrowed by a condition)."""
    return stack.format_arn(
        service="autoscaling",
        resource="autoScalingGroup",
        resource_name="*:autoScalingGroupName/*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def replace_statement(stack: Stack, values: list[str]) -> iam.PolicyStatement:
    """SetInstanceHealth on groups carrying one of ``values`` (the fleets whose tainted hosts are replaced)."""
    # Service Authorization Reference (EC2 Auto Scaling): SetInstanceHealth acts on the instance's
    # autoScalingGroup and supports autoscaling:ResourceTag/${TagKey}; both fleets tag their groups.
    return iam.PolicyStatement(
        sid="ReplaceTaintedHosts",
        actions=["autoscaling:SetInstanceHealth"],
        resources=[group_arns(stack)],
        conditions={"StringEquals": {f"autoscaling:ResourceTag/{FLEET_TAG_KEY}": values}},
    )


def statements(
    stack: Stack, watched: list[str], replace: iam.PolicyStatement | None, log_group: logs.ILogGroup
) -> list[iam.PolicyStatement]:
    """Each permission the function uses; ``watched`` are every watched fleet tag value (tag-only ones
    too), ``replace`` the :func:`replace_statement` (None while no fleet is replaced)."""
    return [
        # Service Authorization Reference (EC2, Systems Manager, EC2 Auto Scaling): DescribeInstances,
        # DescribeSessions and DescribeAutoScalingInstances have no resource types: Resource "*".
        iam.PolicyStatement(
            sid="ReadFleetsAndSessions",
            actions=["ec2:DescribeInstances", "ssm:DescribeSessions", "autoscaling:DescribeAutoScalingInstances"],
            resources=["*"],
        ),
        # Amazon EC2 User Guide, "Grant permission to tag Amazon EC2 resources" / Service Authorization
        # Reference (EC2): CreateTags on an instance ARN supports aws:ResourceTag/${TagKey} and aws:TagKeys.
        iam.PolicyStatement(
            sid="TagTaintedHosts",
            actions=["ec2:CreateTags"],
            resources=[instance_arns(stack)],
            conditions={
                "StringEquals": {f"aws:ResourceTag/{FLEET_TAG_KEY}": watched},
                "ForAllValues:StringEquals": {"aws:TagKeys": [TAG_BY, TAG_AT]},
            },
        ),
        *([replace] if replace is not None else []),
        # Amazon CloudWatch User Guide, "Using condition keys to limit access to CloudWatch namespaces".
        iam.PolicyStatement(
            sid="PublishCounts",
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": NAMESPACE}},
        ),
        # AWS Lambda Developer Guide, "Sending Lambda function logs to CloudWatch Logs": the execution role
        # needs logs:CreateLogStream and logs:PutLogEvents on its log group (the group exists already).
        iam.PolicyStatement(
            sid="Logs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn, f"{log_group.log_group_arn}:*"],
        ),
    ]
