"""The release permissions of a :class:`BlueGreenFleet` (issue 28): what CodeDeploy's service role and the
blue/green handler may do, each action on this fleet's own launch template, groups, instances and target
group. Every statement names the AWS document it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

from .._private.nag import acknowledge_wildcards


@dataclass(frozen=True)
class ReleaseParts:
    """What the handler's and CodeDeploy's permissions are scoped to."""

    application: codedeploy.IServerApplication
    deployment_group_name: str
    deployment_config: codedeploy.IServerDeploymentConfig
    instance_role: iam.IRole
    launch_template: ec2.LaunchTemplate
    target_group_arn: str | None = None  # the one target group CodeDeploy moves; None: any of the account
    instance_tag: tuple[str, str] | None = None  # the fleet tag every instance carries from the launch template


def deployment_group_arn(stack: Stack, parts: ReleaseParts) -> str:
    """The ARN of the fleet's deployment group."""
    return stack.format_arn(
        service="codedeploy",
        resource="deploymentgroup",
        resource_name=f"{parts.application.application_name}/{parts.deployment_group_name}",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def codedeploy_statements(stack: Stack, parts: ReleaseParts) -> list[iam.PolicyStatement]:
    """AWSCodeDeployRole (v11) for one fleet: each action on the fleet's own groups, instances and target group.

    Left out: ``sns:Publish`` (CodeDeploy publishes only to trigger topics, and the handler configures none),
    the Classic Load Balancer actions (the fleet has an ALB target group only). What cannot be scoped stays on
    ``*``: the Describe actions, ``tag:GetResources`` and ``cloudwatch:DescribeAlarms`` take no resource ARN
    (Service Authorization Reference, Amazon EC2 Auto Scaling, Amazon EC2, Elastic Load Balancing V2, Resource
    Groups Tagging API, CloudWatch). CodeDeploy does not document which of the managed policy's actions an EC2
    blue/green deployment with COPY_AUTO_SCALING_GROUP uses, so every one of them is kept, only narrowed.
    """
    group = parts.deployment_group_name
    ec2_arn = f"arn:{stack.partition}:ec2:{stack.region}:{stack.account}"
    statements = [
        iam.PolicyStatement(
            sid="ManageFleetGroups",
            actions=[
                f"autoscaling:{a}"
                for a in (
                    "AttachLoadBalancerTargetGroups",
                    "AttachLoadBalancers",
                    "CompleteLifecycleAction",
                    "CreateAutoScalingGroup",
                    "CreateOrUpdateTags",
                    "DeleteAutoScalingGroup",
                    "DeleteLifecycleHook",
                    "EnableMetricsCollection",
                    "PutLifecycleHook",
                    "PutNotificationConfiguration",
                    "PutScalingPolicy",
                    "PutScheduledUpdateGroupAction",
                    "PutWarmPool",
                    "RecordLifecycleActionHeartbeat",
                    "ResumeProcesses",
                    "SuspendProcesses",
                    "UpdateAutoScalingGroup",
                )
            ],
            resources=[group_arn(stack, f"{group}-*"), group_arn(stack, f"CodeDeploy_{group}_*")],
        ),
        iam.PolicyStatement(
            sid="ReadFleetState",
            actions=[
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeLifecycleHooks",
                "autoscaling:DescribeNotificationConfigurations",
                "autoscaling:DescribePolicies",
                "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribeScheduledActions",
                "cloudwatch:DescribeAlarms",
                "ec2:DescribeInstanceStatus",
                "ec2:DescribeInstances",
                "elasticloadbalancing:DescribeInstanceHealth",
                "elasticloadbalancing:DescribeLoadBalancerAttributes",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeTargetGroupAttributes",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
                "tag:GetResources",
            ],
            resources=["*"],
        ),
        iam.PolicyStatement(
            sid="CopyScalingAlarms",
            actions=["cloudwatch:PutMetricAlarm"],
            resources=[f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"],
        ),
    ]
    if parts.instance_tag is not None:
        # Service Authorization Reference, Amazon EC2: TerminateInstances on an instance supports aws:ResourceTag.
        key, value = parts.instance_tag
        statements.append(
            iam.PolicyStatement(
                sid="TerminateFleetInstances",
                actions=["ec2:TerminateInstances"],
                resources=[f"{ec2_arn}:instance/*"],
                conditions={"StringEquals": {f"aws:ResourceTag/{key}": value}},
            )
        )
    if parts.target_group_arn is not None:
        statements.append(
            iam.PolicyStatement(
                sid="MoveFleetTraffic",
                actions=["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
                resources=[parts.target_group_arn],
            )
        )
    return statements


def group_arn(stack: Stack, name: str) -> str:
    """The ARN of the Auto Scaling group(s) named ``name`` (which may end with ``*``)."""
    return stack.format_arn(
        service="autoscaling",
        resource="autoScalingGroup",
        resource_name=f"*:autoScalingGroupName/{name}",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def launch_statements(stack: Stack, parts: ReleaseParts, sid: str) -> list[iam.PolicyStatement]:
    """``ec2:RunInstances`` bound to the fleet's launch template, and tags only on the instances it creates.

    EC2 User Guide, "Control the use of launch templates" (condition keys ``ec2:LaunchTemplate`` and
    ``ec2:IsLaunchTemplateResource``) and "Grant permission to tag Amazon EC2 resources during creation"
    (``ec2:CreateAction``). What RunInstances creates or picks has ids unknown at synth (instances,
    volumes, network interfaces; subnets and security groups Auto Scaling passes), so those are
    wildcards, each bound to this fleet's launch template. The image must be the template's own (not an
    override) and owned by this account or by Amazon (``ec2:Owner``): no community or Marketplace AMI.
    """
    ec2_arn = f"arn:{stack.partition}:ec2:{stack.region}:{stack.account}"
    template_arn = f"{ec2_arn}:launch-template/{parts.launch_template.launch_template_id}"
    from_template = {"ArnLike": {"ec2:LaunchTemplate": template_arn}}
    return [
        iam.PolicyStatement(sid=f"{sid}Template", actions=["ec2:RunInstances"], resources=[template_arn]),
        iam.PolicyStatement(
            sid=f"{sid}FromTemplate",
            actions=["ec2:RunInstances"],
            resources=_created_by_launch(stack)[:-1],
            conditions=from_template,
        ),
        iam.PolicyStatement(
            sid=f"{sid}Image",
            actions=["ec2:RunInstances"],
            resources=[_created_by_launch(stack)[-1]],
            conditions={
                **from_template,
                "Bool": {"ec2:IsLaunchTemplateResource": "true"},
                "StringEquals": {"ec2:Owner": [stack.account, "amazon"]},
            },
        ),
        iam.PolicyStatement(
            sid=f"{sid}TagOnCreate",
            actions=["ec2:CreateTags"],
            resources=_created_by_launch(stack)[:3],
            conditions={"StringEquals": {"ec2:CreateAction": "RunInstances"}},
        ),
    ]


def _created_by_launch(stack: Stack) -> list[str]:
    """What RunInstances creates or picks per release: unknown ids, so wildcards (the image last)."""
    ec2_arn = f"arn:{stack.partition}:ec2:{stack.region}:{stack.account}"
    return [
        f"{ec2_arn}:instance/*",
        f"{ec2_arn}:volume/*",
        f"{ec2_arn}:network-interface/*",
        f"{ec2_arn}:subnet/*",
        f"{ec2_arn}:security-group/*",
        f"arn:{stack.partition}:ec2:{stack.region}::image/*",
    ]


def acknowledge_launch(policy: iam.Policy, stack: Stack, who: str) -> None:
    reason = (
        f"{who} with ec2:RunInstances from this fleet's launch template; RunInstances also authorizes the "
        "instances, volumes and network interfaces it creates (unknown ids), the subnet, security group and "
        "AMI (which changes with every release)."
    )
    acknowledge_wildcards(policy, dict.fromkeys(_created_by_launch(stack), reason))
