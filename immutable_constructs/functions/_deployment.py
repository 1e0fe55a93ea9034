"""The release permissions of a :class:`VersionedFunction`: CodeDeploy's service role for Lambda deployments,
scoped to the one function and alias it moves, and the function's own execution role.

AWS documents behind each statement (checked on the synthesized template by tests/functions/):

* CodeDeploy User Guide, "Step 2: Create a service role for CodeDeploy" (Lambda deployments use the AWS
  managed policy ``AWSCodeDeployRoleForLambdaLimited``; AWS Managed Policy Reference, that policy:
  ``cloudwatch:DescribeAlarms``, ``lambda:GetAlias``, ``lambda:UpdateAlias``,
  ``lambda:GetProvisionedConcurrencyConfig`` and ``sns:Publish`` on ``*``, ``lambda:InvokeFunction`` on
  ``function:CodeDeployHook_*``). Issue 26, least privilege as in ``fleet/_release_policies.py``: the alias
  actions on this function and its alias only, provisioned-concurrency reads on this function's versions,
  no ``sns:Publish`` (CodeDeploy publishes only to trigger topics; the group has none), and the hooks are
  granted ``lambda:InvokeFunction`` by ARN, so they need no ``CodeDeployHook_`` name;
* CodeDeploy User Guide, "Cross-service confused deputy prevention": for Lambda deployments
  ``aws:SourceArn`` is the deployment group CodeDeploy assumes the role for (any group of the function's own
  application: the group's name is CloudFormation's, known only after the role);
* Lambda Developer Guide, "Sending Lambda function logs to CloudWatch Logs": the execution role writes to
  the function's log group (``logs:CreateLogStream``, ``logs:PutLogEvents``); no ``logs:CreateLogGroup``,
  the group is created by this construct with its retention.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .._private.limits import iam_description
from .._private.nag import acknowledge_wildcards
from .._private.trust import confined_principal

__all__ = ["codedeploy_role", "execution_role", "grant_release"]


def codedeploy_role(scope: Construct, application: codedeploy.ILambdaApplication) -> iam.Role:
    """CodeDeploy's service role (id ``DeploymentRole``): assumable by CodeDeploy for the application's groups."""
    stack = Stack.of(scope)
    groups = stack.format_arn(
        service="codedeploy",
        resource="deploymentgroup",
        resource_name=f"{application.application_name}/*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    return iam.Role(
        scope,
        "DeploymentRole",
        assumed_by=confined_principal("codedeploy.amazonaws.com", stack, groups),
        description=iam_description(f"CodeDeploy service role of the versioned function {scope.node.path}"),
    )


def grant_release(
    scope: Construct,
    role: iam.Role,
    function: lambda_.IFunction,
    alias: lambda_.Alias,
    hooks: Sequence[lambda_.IFunction],
) -> iam.Policy:
    """What CodeDeploy does during a Lambda deployment (AWSCodeDeployRoleForLambdaLimited), on this function: one
    policy (id ``DeploymentPolicy``) that the alias depends on, since moving the alias starts each release."""
    versions = f"{function.function_arn}:*"
    statements = [
        # Read the alias, then shift its weights to the new version (and back on rollback). Alias actions are
        # authorized on the function or the alias ARN (Lambda Developer Guide, "Fine-tuning the Resources and
        # Conditions sections of policies"): both, nothing else.
        iam.PolicyStatement(
            sid="MoveAlias",
            actions=["lambda:GetAlias", "lambda:UpdateAlias"],
            # The alias's ARN written out, not its Ref: the alias depends on this policy.
            resources=[function.function_arn, f"{function.function_arn}:{alias.alias_name}"],
        ),
        # CodeDeploy waits for the new version's provisioned concurrency before it shifts traffic.
        iam.PolicyStatement(
            sid="ReadProvisionedConcurrency",
            actions=["lambda:GetProvisionedConcurrencyConfig"],
            resources=[function.function_arn, versions],
        ),
        # Alarm state before and during the deployment (Service Authorization Reference, CloudWatch:
        # DescribeAlarms takes no resource ARN).
        iam.PolicyStatement(sid="ReadAlarms", actions=["cloudwatch:DescribeAlarms"], resources=["*"]),
    ]
    if hooks:
        # CodeDeploy invokes each hook by the name in the alias's update policy (the unqualified function).
        statements.append(
            iam.PolicyStatement(
                sid="InvokeTrafficHooks", actions=["lambda:InvokeFunction"], resources=[h.function_arn for h in hooks]
            )
        )
    policy = iam.Policy(scope, "DeploymentPolicy", statements=statements, roles=[role])
    acknowledge_wildcards(
        policy,
        {
            versions: "The versions of this one function: each release publishes a new one, numbered by Lambda.",
            "*": "cloudwatch:DescribeAlarms takes no resource ARN (CodeDeploy reads the rollback alarms' state).",
        },
    )
    return policy


def execution_role(scope: Construct, log_group: logs.ILogGroup) -> iam.Role:
    """The function's role (id ``Role``): it may write to its own log group and nothing else until granted."""
    role = iam.Role(
        scope,
        "Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=iam_description(f"Execution role of the versioned function {scope.node.path}"),
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="WriteOwnLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        )
    )
    return role
