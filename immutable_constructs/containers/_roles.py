"""The roles of an :class:`ImmutableService`: each trusted only for this account, each allowed only its job."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from constructs import Construct

from .._private.trust import confined_principal


def task_roles(scope: Construct) -> tuple[iam.Role, iam.Role]:
    """The task role (no permissions: grant the app's own) and the execution role (CDK grants it the image
    pull, the log group and each secret as the task definition uses them). ECS calls both through
    ``ecs-tasks.amazonaws.com``; the trust is confined to this account (Amazon ECS Developer Guide,
    "Amazon ECS task IAM role" and "Amazon ECS task execution IAM role", confused deputy prevention)."""
    stack = Stack.of(scope)
    task = iam.Role(
        scope,
        "TaskRole",
        assumed_by=confined_principal("ecs-tasks.amazonaws.com", stack),
        description="What the service's containers may do (nothing until granted)",
    )
    execution = iam.Role(
        scope,
        "ExecutionRole",
        assumed_by=confined_principal("ecs-tasks.amazonaws.com", stack),
        description="ECS pulls the image, writes the logs and reads the secrets with it",
    )
    return task, execution


def load_balancer_role(
    scope: Construct,
    *,
    listener_arn: str,
    rule_arn: str,
    target_groups: tuple[elbv2.IApplicationTargetGroup, elbv2.IApplicationTargetGroup],
) -> iam.Role:
    """The infrastructure role ECS assumes to move traffic between the blue and green target groups.

    Amazon ECS Developer Guide, "Amazon ECS infrastructure IAM role for load balancers": trusted by
    ``ecs.amazonaws.com``; AWS's managed policy ``AmazonECSInfrastructureRolePolicyForLoadBalancers`` allows
    the Describe calls on every resource and listener/rule changes and target registration on any load
    balancer. Here: the Describe calls (no resource-level permissions) and changes only to this service's
    production listener, its rule and its two target groups.
    """
    role = iam.Role(
        scope,
        "LoadBalancerRole",
        assumed_by=confined_principal("ecs.amazonaws.com", Stack.of(scope)),
        description="ECS moves production traffic between the service's blue and green target groups",
    )
    role.add_to_policy(
        iam.PolicyStatement(
            sid="ReadTheLoadBalancer",
            actions=[
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
            resources=["*"],  # Describe* take no resource-level permissions (Service Authorization Reference)
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            sid="ShiftProductionTraffic",
            actions=["elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule"],
            resources=[listener_arn, rule_arn],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            sid="RegisterTasks",
            actions=["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            resources=[group.target_group_arn for group in target_groups],
        )
    )
    return role
