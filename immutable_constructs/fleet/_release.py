"""The release machinery of a :class:`BlueGreenFleet`: what CodeDeploy and the fleet's custom
resource need, built in the fleet's scope with the construct ids the fleet always used.

* :func:`codedeploy_service_role`: CodeDeploy's service role, allowed to launch the green fleet
  from the fleet's launch template (CodeDeploy User Guide, "Create a service role for CodeDeploy":
  ``AWSCodeDeployRole`` plus ``ec2:RunInstances``/``iam:PassRole`` for launch templates). Issue 28:
  instead of ``AWSCodeDeployRole`` itself (which may terminate any instance, change any Auto Scaling
  group and register any target), its actions (AWS Managed Policy Reference, ``AWSCodeDeployRole``
  v11) scoped to this fleet (``codedeploy_statements``), and a trust limited to this fleet's
  deployment group;
* :func:`deployment_provider`: the handler functions (``blue_green_handler/index.py``) and the
  Provider whose waiter polls them, each permission scoped to the fleet's own resources.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import custom_resources as cr
from constructs import Construct

from .._private.handler_function import handler_code, handler_function, handler_log_group, handler_role
from .._private.limits import iam_description, lambda_description
from .._private.nag import acknowledge_wildcards
from .._private.trust import confined_principal
from ._provider_framework import NO_DEAD_LETTER_QUEUE, acknowledge_provider, depend_only_on_policies
from ._release_policies import (
    ReleaseParts,
    acknowledge_launch,
    codedeploy_statements,
    deployment_group_arn,
    group_arn,
    launch_statements,
)

HANDLER_DIR = Path(__file__).resolve().parent / "blue_green_handler"


def codedeploy_service_role(scope: Construct, parts: ReleaseParts) -> tuple[iam.Role, iam.Policy]:
    """CodeDeploy's service role (id CodeDeployRole) and its launch policy (id CodeDeployLaunchPolicy)."""
    stack = Stack.of(scope)
    # CodeDeploy User Guide, "Cross-service confused deputy prevention": for EC2 deployments aws:SourceArn is
    # the deployment group CodeDeploy assumes the role for.
    service_role = iam.Role(
        scope,
        "CodeDeployRole",
        assumed_by=confined_principal("codedeploy.amazonaws.com", stack, deployment_group_arn(stack, parts)),
        description=iam_description(f"CodeDeploy service role of the blue/green fleet {scope.node.path}"),
    )
    service_policy = iam.Policy(
        scope,
        "CodeDeployLaunchPolicy",
        statements=[
            *launch_statements(stack, parts, "LaunchGreenFleet"),
            iam.PolicyStatement(
                sid="PassInstanceRole",
                actions=["iam:PassRole"],
                resources=[parts.instance_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
            ),
            *codedeploy_statements(stack, parts),
        ],
    )
    service_policy.attach_to_role(service_role)
    acknowledge_launch(service_policy, stack, "CodeDeploy launches the green group's instances")
    group = parts.deployment_group_name
    acknowledge_wildcards(
        service_policy,
        {
            "*": "AWSCodeDeployRole's Describe actions, tag:GetResources and cloudwatch:DescribeAlarms take no "
            "resource ARN (Service Authorization Reference).",
            group_arn(stack, f"{group}-*"): "the fleet's first Auto Scaling group is named after the deployment "
            "group; its ARN contains a generated UUID.",
            group_arn(stack, f"CodeDeploy_{group}_*"): "CodeDeploy names each green Auto Scaling group after the "
            "deployment group and the deployment id it creates.",
            f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*": "CodeDeploy copies the "
            "blue group's scaling alarms to the green group under names it picks.",
        },
    )
    return service_role, service_policy


def deployment_provider(
    scope: Construct, parts: ReleaseParts, service_role: iam.IRole, timeout: Duration
) -> tuple[cr.Provider, iam.Policy]:
    """The handler (ids HandlerRole, HandlerLogs, HandlerPolicy, OnEvent, IsComplete) and its Provider."""
    stack = Stack.of(scope)
    path = scope.node.path
    role = handler_role(scope, "HandlerRole", iam_description(f"Deploys the blue/green fleet {path}"))
    log_group = handler_log_group(scope, "HandlerLogs", logs.RetentionDays.ONE_MONTH)
    handler_policy = iam.Policy(
        scope, "HandlerPolicy", statements=_handler_statements(stack, parts, service_role, log_group)
    )
    handler_policy.attach_to_role(role)
    acknowledge_launch(handler_policy, stack, "the handler creates the first Auto Scaling group")
    group = parts.deployment_group_name
    acknowledge_wildcards(
        handler_policy,
        {
            "*": "autoscaling:DescribeAutoScalingGroups/DescribeScalingActivities and "
            "elasticloadbalancing:DescribeTargetHealth support no resource-level permissions.",
            group_arn(stack, f"{group}-*"): "the fleet's first Auto Scaling group "
            "is named after the deployment group; its ARN contains a generated UUID.",
            group_arn(stack, f"CodeDeploy_{group}_*"): "CodeDeploy names each "
            "green Auto Scaling group after the deployment group and the deployment id it creates.",
            f"{log_group.log_group_arn}:*": "the handler writes log streams Lambda names at run time "
            "into its own log group.",
        },
    )
    code = handler_code(HANDLER_DIR)

    def handler(name: str, entry: str) -> lambda_.Function:
        return handler_function(
            scope,
            name,
            code=code,
            entry=entry,
            role=role,
            log_group=log_group,
            timeout=Duration.minutes(5),
            description=lambda_description(f"blue/green fleet {path}: {entry}"),
            no_dead_letter_queue=NO_DEAD_LETTER_QUEUE,
        )

    on_event = handler("OnEvent", "on_event")
    is_complete = handler("IsComplete", "is_complete")
    for fn in (on_event, is_complete):
        fn.node.add_dependency(handler_policy)
    provider = cr.Provider(
        scope,
        "Provider",
        on_event_handler=on_event,
        is_complete_handler=is_complete,
        query_interval=Duration.seconds(30),
        total_timeout=timeout,
        log_group=logs.LogGroup(scope, "ProviderLogs", retention=logs.RetentionDays.ONE_MONTH),
        disable_waiter_state_machine_logging=False,
        waiter_state_machine_log_options=cr.LogOptions(
            destination=logs.LogGroup(scope, "WaiterLogs", retention=logs.RetentionDays.ONE_MONTH),
            level=sfn.LogLevel.ALL,
            include_execution_data=False,
        ),
    )
    acknowledge_provider(provider, [on_event, is_complete])
    depend_only_on_policies(provider, [on_event, is_complete], handler_policy)
    return provider, handler_policy


def _handler_statements(
    stack: Stack, parts: ReleaseParts, service_role: iam.IRole, log_group: logs.ILogGroup
) -> list[iam.PolicyStatement]:
    """The handler's permissions: it owns the deployment group and every Auto Scaling group of the fleet."""
    app = parts.application.application_name
    group = parts.deployment_group_name
    return [
        iam.PolicyStatement(
            sid="OwnTheDeploymentGroup",
            actions=[
                "codedeploy:CreateDeploymentGroup",
                "codedeploy:UpdateDeploymentGroup",
                "codedeploy:DeleteDeploymentGroup",
                "codedeploy:GetDeploymentGroup",
                "codedeploy:CreateDeployment",
                "codedeploy:GetDeployment",
                "codedeploy:ListDeployments",
                "codedeploy:StopDeployment",
                # The request token on the deployment group (issue 20): a cancelled request's waiter stops.
                # Service Authorization Reference, "Actions defined by AWS CodeDeploy": TagResource and
                # ListTagsForResource take the deploymentgroup resource type.
                "codedeploy:TagResource",
                "codedeploy:ListTagsForResource",
            ],
            resources=[deployment_group_arn(stack, parts)],
        ),
        iam.PolicyStatement(
            sid="DeployRevisions",
            actions=["codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"],
            resources=[
                stack.format_arn(
                    service="codedeploy",
                    resource="application",
                    resource_name=app,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        ),
        iam.PolicyStatement(
            sid="ReadDeploymentConfigs",
            actions=["codedeploy:GetDeploymentConfig"],
            resources=[
                stack.format_arn(
                    service="codedeploy",
                    resource="deploymentconfig",
                    resource_name=parts.deployment_config.deployment_config_name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        ),
        iam.PolicyStatement(
            sid="OwnTheFleetGroups",
            actions=[
                "autoscaling:CreateAutoScalingGroup",
                "autoscaling:UpdateAutoScalingGroup",
                "autoscaling:DeleteAutoScalingGroup",
                "autoscaling:CreateOrUpdateTags",
                "autoscaling:EnableMetricsCollection",
            ],
            resources=[
                group_arn(stack, f"{group}-*"),
                group_arn(stack, f"CodeDeploy_{group}_*"),
            ],
        ),
        iam.PolicyStatement(
            sid="ReadFleetState",
            actions=[
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeScalingActivities",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
            resources=["*"],
        ),
        *launch_statements(stack, parts, "LaunchFirstGroup"),
        # IAM User Guide, "iam:PassedToService": each role only to the service that uses it.
        iam.PolicyStatement(
            sid="PassInstanceRole",
            actions=["iam:PassRole"],
            resources=[parts.instance_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
        ),
        iam.PolicyStatement(
            sid="PassCodeDeployRole",
            actions=["iam:PassRole"],
            resources=[service_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "codedeploy.amazonaws.com"}},
        ),
        iam.PolicyStatement(
            sid="AutoScalingServiceLinkedRole",
            actions=["iam:CreateServiceLinkedRole"],
            resources=[
                f"arn:{stack.partition}:iam::{stack.account}:role/aws-service-role/autoscaling.amazonaws.com/"
                "AWSServiceRoleForAutoScaling"
            ],
            conditions={"StringEquals": {"iam:AWSServiceName": "autoscaling.amazonaws.com"}},
        ),
        iam.PolicyStatement(
            sid="Logs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn, f"{log_group.log_group_arn}:*"],
        ),
    ]
