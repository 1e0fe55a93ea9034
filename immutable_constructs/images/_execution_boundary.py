"""The permissions boundary of the execution role a pipeline creates (issue 28, item 9).

The role keeps the AWS-managed ``EC2ImageBuilderExecutionPolicy``, which the Image Builder User Guide
recommends for a custom execution role ("Configure image pipeline workflows"), because a scoped copy would
silently miss what AWS adds to it for the service. Its broad grants are capped by a boundary instead (IAM User
Guide, "Permissions boundaries for IAM entities": a role may do only what both its policies and its boundary
allow). The boundary allows every action of the managed policy, version v2 of 2026-07-08 (AWS Managed Policy
Reference, ``EC2ImageBuilderExecutionPolicy``), and of the pipeline's own statements, on any resource, except
four that it scopes to this pipeline:

- ``iam:PassRole``: the managed policy passes *any* role of the account to EC2 (``IAMPassRolePermissions``), so
  whoever may point an Image Builder resource at this role could launch an instance with any role. Here: only
  the pipeline's build instance role, only to EC2 (the infrastructure configuration's instance profile).
- ``sns:Publish``: any topic of the account (``PublishNotificationToCustomerSNSPermissions``). Here: the
  pipeline's topic (the infrastructure configuration's ``SnsTopicArn``).
- ``ssm:PutParameter``: ``/imagebuilder/*`` (``ParameterStorePermissionsForImageBuilderParameters``). Here: the
  pipeline's catalog parameter, in its regions and accounts (the distribution's ``SsmParameterConfigurations``).
- ``sts:AssumeRole``: ``EC2ImageBuilderDistributionCrossAccountRole`` in any account
  (``CrossAccountAssumeRolePermissions``). Here: that role in the pipeline's distribution accounts only, or none.

What it costs: an action AWS adds to the managed policy later is outside the boundary until this list is
updated (the build then fails with AccessDenied naming the action).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aws_cdk import Aws, CfnResource
from aws_cdk import aws_iam as iam
from constructs import Construct

from .._private.checkov import skip_checkov
from .._private.nag import acknowledge_wildcards

#: Every action of EC2ImageBuilderExecutionPolicy v2 but the four this boundary scopes.
MANAGED_ACTIONS = (
    "ec2:AttachImageWatermark",
    "ec2:CancelExportTask",
    "ec2:CopyImage",
    "ec2:CreateImage",
    "ec2:CreateLaunchTemplateVersion",
    "ec2:CreateTags",
    "ec2:DeregisterImage",
    "ec2:DescribeExportImageTasks",
    "ec2:DescribeHosts",
    "ec2:DescribeImages",
    "ec2:DescribeImportImageTasks",
    "ec2:DescribeInstanceAttribute",
    "ec2:DescribeInstanceStatus",
    "ec2:DescribeInstanceTypeOfferings",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeInstances",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:DescribeLaunchTemplates",
    "ec2:DescribeSnapshots",
    "ec2:DescribeSubnets",
    "ec2:DescribeTags",
    "ec2:EnableFastLaunch",
    "ec2:ExportImage",
    "ec2:ModifyImageAttribute",
    "ec2:ModifyLaunchTemplate",
    "ec2:ModifySnapshotAttribute",
    "ec2:RegisterImage",
    "ec2:RunInstances",
    "ec2:StartInstances",
    "ec2:StopInstances",
    "ec2:TerminateInstances",
    "ecr:BatchDeleteImage",
    "ecr:CreateRepository",
    "ecr:TagResource",
    "events:DeleteRule",
    "events:DescribeRule",
    "events:PutRule",
    "events:PutTargets",
    "events:RemoveTargets",
    "iam:CreateServiceLinkedRole",
    "imagebuilder:StartImagePipelineExecution",
    "imagebuilder:TagResource",
    "inspector2:ListCoverage",
    "inspector2:ListFindings",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "license-manager:UpdateLicenseSpecificationsForResource",
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "ssm:AddTagsToResource",
    "ssm:CreateAssociation",
    "ssm:DeleteAssociation",
    "ssm:DescribeAssociationExecutions",
    "ssm:DescribeInstanceAssociationsStatus",
    "ssm:DescribeInstanceInformation",
    "ssm:GetCommandInvocation",
    "ssm:GetParameter",
    "ssm:ListCommandInvocations",
    "ssm:ListInventoryEntries",
    "ssm:SendCommand",
)
#: The actions the boundary allows on this pipeline's resources only.
SCOPED = ("iam:PassRole", "sns:Publish", "ssm:PutParameter", "sts:AssumeRole")


def execution_boundary(
    scope: Construct,
    *,
    instance_role: iam.IRole,
    topic_arn: str,
    parameter_arns: Sequence[str],
    distribution_accounts: Sequence[str],
    own_statements: Iterable[iam.PolicyStatement],
) -> iam.ManagedPolicy:
    """``ExecutionBoundary``: what the execution role may ever do (module docstring)."""
    own = {a for s in own_statements for a in s.actions}
    actions = sorted((set(MANAGED_ACTIONS) | own) - set(SCOPED))
    statements = [
        iam.PolicyStatement(sid="WhatImageBuilderDoes", actions=actions, resources=["*"]),
        iam.PolicyStatement(
            sid="PassOnlyTheBuildInstanceRole",
            actions=["iam:PassRole"],
            resources=[instance_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
        ),
        iam.PolicyStatement(sid="PublishToThePipelineTopic", actions=["sns:Publish"], resources=[topic_arn]),
        iam.PolicyStatement(
            sid="WriteTheCatalogParameter", actions=["ssm:PutParameter"], resources=list(parameter_arns)
        ),
    ]
    if distribution_accounts:
        statements.append(
            iam.PolicyStatement(
                sid="DistributeToTheConfiguredAccounts",
                actions=["sts:AssumeRole"],
                resources=[
                    f"arn:{Aws.PARTITION}:iam::{account}:role/EC2ImageBuilderDistributionCrossAccountRole"
                    for account in distribution_accounts
                ],
            )
        )
    boundary = iam.ManagedPolicy(
        scope,
        "ExecutionBoundary",
        description="Permissions boundary of the Image Builder execution role: this pipeline's role, topic, "
        "parameter and accounts only (immutable-constructs)",
        statements=statements,
    )
    cfn = boundary.node.default_child
    assert isinstance(cfn, CfnResource)
    for check in ("CKV_AWS_108", "CKV_AWS_109", "CKV_AWS_111"):  # data exfiltration, permissions, write on "*"
        skip_checkov(
            cfn,
            check,
            "A permissions boundary grants nothing (IAM User Guide, 'Permissions boundaries for IAM entities'): it "
            "caps the execution role, whose own policies scope every resource; PassRole, Publish, PutParameter and "
            "AssumeRole are capped to this pipeline's resources here.",
        )
    acknowledge_wildcards(
        boundary,
        {
            "*": "A permissions boundary grants nothing: it caps the execution role at the actions of "
            "EC2ImageBuilderExecutionPolicy and of the pipeline's own statements, which scope their resources; "
            "PassRole, Publish, PutParameter and AssumeRole are capped to this pipeline's resources."
        },
    )
    return boundary
