"""ImageDistributionTarget: what an account needs so a golden image pipeline of another account can copy AMIs
into it and write the catalog parameter there (``GoldenImagePipeline(distribution_accounts=[...])``).

Image Builder copies an AMI into a target account, and writes ``SsmParameterConfigurations`` with
``AmiAccountId`` there, by assuming the role ``EC2ImageBuilderDistributionCrossAccountRole`` in that account
(Image Builder User Guide, "Set up cross-account AMI distribution with Image Builder", "IAM policies"):

1. the role has exactly that name and trusts the pipeline's account (step 3's trust policy);
2. it has the AWS-managed ``Ec2ImageBuilderCrossAccountDistributionAccess`` (copy, describe, tag and share
   images; step 2); that policy has no ``ssm:PutParameter`` and no KMS actions, so
3. for an encrypted AMI (this library always encrypts them) it needs the KMS actions of step 4 on the keys
   that encrypt the AMI and its copies (the guide grants them on ``*``; here only the keys you name), and
4. for a parameter written in the account, ``ssm:PutParameter`` on it and ``ec2:DescribeImages`` (step 6;
   the guide's example names ``ImageBuilder-*`` parameters; here the catalog's first channel).

Without 3 the copy fails; without 4 the copy succeeds and the parameter write fails the distribution. Each
key's own policy must allow this account too (the pipeline's key does for ``distribution_accounts``;
``distribution_kms_keys`` are their owners' to change).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import Construct

from .._private.nag import acknowledge_wildcards
from .._private.origin import record_origin
from .._private.props import Rule, checked
from .._private.validation import Problems
from ._props import ARN_PLACE
from .catalog import AmiCatalog

__all__ = ["ImageDistributionTarget"]

ROLE_NAME = "EC2ImageBuilderDistributionCrossAccountRole"
MANAGED_POLICY = "Ec2ImageBuilderCrossAccountDistributionAccess"
#: Step 4 of "IAM policies" (the guide's inline policy for encrypted AMIs), its ``kms:ReEncrypt*`` and
#: ``kms:GenerateDataKey*`` spelled out as the actions EBS uses (``_volume_key.py``), no wildcard.
KEY_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
    "kms:CreateGrant",
    "kms:ListGrants",
    "kms:RevokeGrant",
)
_KEY_ARN = r"arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:key/[A-Za-z0-9-]{1,128}"
_REGION = r"[a-z]{2}(-[a-z]+)+-[0-9]+"


class ImageDistributionTarget(Construct):
    """The role a golden image pipeline of ``pipeline_account`` distributes AMIs into this account with.

    :param pipeline_account: the 12-digit account the pipeline runs in (the role trusts it). Required.
    :param catalog: the catalog whose first channel (``/images/<line>/candidate``) the distribution writes
        here, e.g. ``AmiCatalog(self, "Images", owner_account=...)`` or one of this account. Required.
    :param key_arns: ARNs of the KMS keys that encrypt the AMI and its copies: the pipeline's key
        (``pipeline.key``) and each of its ``distribution_kms_keys``. At least one.
    :param lines: the image lines distributed here. Default: every line of the catalog.
    :param regions: the regions the pipeline distributes to. Default: this stack's region.

    The role's name is fixed by Image Builder: one per account (``role``). Deploy this in each account of
    ``distribution_accounts`` before the pipeline's first build.
    """

    @checked(
        pipeline_account=ARN_PLACE["account"],
        catalog=Rule(any_region="only the catalog's parameter names are used"),
        key_arns=Rule(
            pattern=_KEY_ARN, fix="list each KMS key ARN once, e.g. 'arn:aws:kms:eu-west-1:111111111111:key/...'"
        ),
        lines=Rule(blank=False, fix="list each of the catalog's lines once, e.g. ['web']"),
        regions=Rule(pattern=_REGION, fix="list each region once, e.g. ['eu-west-1', 'us-east-1']"),
    )
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        pipeline_account: str,
        catalog: AmiCatalog,
        key_arns: Sequence[str],
        lines: Sequence[str] | None = None,
        regions: Sequence[str] | None = None,
    ) -> None:
        super().__init__(scope, id)
        record_origin(self)
        stack = Stack.of(self)
        chosen = list(lines) if lines is not None else list(catalog.lines)
        names = [catalog.parameter_name(line, catalog.first_channel) for line in chosen]  # checks each line
        self._require_keys(key_arns)
        self.role = iam.Role(
            self,
            "Role",
            role_name=ROLE_NAME,
            assumed_by=iam.AccountPrincipal(pipeline_account),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(MANAGED_POLICY)],
            description=f"EC2 Image Builder of account {pipeline_account} copies AMIs here and writes their parameters",
        )
        parameters = [
            stack.format_arn(service="ssm", resource="parameter", resource_name=name.lstrip("/"), region=region)
            for region in (regions or [stack.region])
            for name in names
        ]
        self.policy = iam.Policy(
            self,
            "Policy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(sid="UseImageKeys", actions=list(KEY_ACTIONS), resources=list(key_arns)),
                iam.PolicyStatement(sid="WriteCatalogParameter", actions=["ssm:PutParameter"], resources=parameters),
                # ec2:DescribeImages has no resource-level permissions (aws:ec2:image parameters validate the AMI).
                iam.PolicyStatement(sid="ValidateImageParameter", actions=["ec2:DescribeImages"], resources=["*"]),
            ],
        )
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{MANAGED_POLICY}]",
                reason="The Image Builder User Guide ('Set up cross-account AMI distribution') requires this "
                "AWS-managed policy on the cross-account distribution role.",
            )
        )
        acknowledge_wildcards(
            self.policy,
            {"*": "ec2:DescribeImages has no resource-level permissions (Image Builder's guide, step 6)."},
        )

    def _require_keys(self, key_arns: Sequence[str]) -> None:
        problems = Problems(self)
        problems.require(
            len(key_arns) >= 1,
            "key_arns",
            list(key_arns),
            "is empty, but this library's AMIs are always encrypted: the copy needs the keys",
            "pass the pipeline's key ARN and each of its distribution_kms_keys",
        )
        problems.raise_if_any()
