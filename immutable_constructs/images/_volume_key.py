"""What the Image Builder execution role needs of the pipeline's key to launch build and test instances.

Which principal EBS acts for: with an ``ExecutionRole`` on the pipeline, Image Builder assumes that role
to run the build and test workflows (Image Builder User Guide, "Configure image pipeline workflows",
"Specify the IAM service role that Image Builder uses to run workflow actions"), so ``ec2:RunInstances``
for the build and test instances, whose volumes the recipe encrypts with the pipeline's key, is the
execution role's call. That is why ``EC2ImageBuilderExecutionPolicy``, the policy the guide recommends
for that role, carries the EBS key statements (``EC2KMSPermissions``: ``kms:Encrypt``, ``Decrypt``,
``ReEncryptFrom``/``ReEncryptTo``, ``GenerateDataKeyWithoutPlaintext`` for ``aws:ebs:id`` contexts;
``EC2KMSDescribeKeyPermissions``; ``EC2KMSGrantKeyPermissions``: ``kms:CreateGrant`` with
``kms:GrantIsForAWSResource``; each through ``kms:ViaService`` ``ec2.*.amazonaws.com``; policy version
v2, read from its JSON document). The service-linked role ``AWSServiceRoleForImageBuilder`` acts only
without an execution role (the key policy lets it use the key anyway, ``_key.py``); the instance profile
is the instances' own identity after launch and never creates their volumes.

What EBS needs of the principal that launches: ``kms:CreateGrant``, ``kms:Decrypt``, ``kms:DescribeKey``,
``kms:GenerateDataKeyWithoutPlaintext`` and ``kms:ReEncrypt*`` (Amazon EBS User Guide, "Requirements for
Amazon EBS encryption", "Permissions for users", with ``kms:GrantIsForAWSResource`` on CreateGrant).
These statements grant exactly that on the pipeline's key, through EC2 only, so a role you pass without
the managed policy can build too, and the role this construct makes does not depend on the managed
policy's wildcard (``arn:aws:kms:*:*:key/*``) for its own key. IAM statements take effect because the
key policy of a key made here delegates to the account (CDK's default key policy); an imported key's
policy must do the same or name the role.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

#: What EBS calls KMS for when it creates an encrypted volume for the launching principal.
VOLUME_KEY_ACTIONS = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)


def volume_key_statements(stack: Stack, key: kms.IKey) -> list[iam.PolicyStatement]:
    """The execution role's use of the pipeline key for encrypted build and test volumes, through EC2 only."""
    through_ec2 = {"StringEquals": {"kms:ViaService": f"ec2.{stack.region}.amazonaws.com"}}
    return [
        iam.PolicyStatement(
            sid="BuildVolumesUseKey",
            actions=list(VOLUME_KEY_ACTIONS),
            resources=[key.key_arn],
            conditions=through_ec2,
        ),
        iam.PolicyStatement(
            sid="BuildVolumesGrantKey",
            actions=["kms:CreateGrant"],
            resources=[key.key_arn],
            conditions={**through_ec2, "Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    ]


def distribution_key_statements(keys: Mapping[str, str]) -> list[iam.PolicyStatement]:
    """The execution role's use of each region's distribution key (``distribution_kms_keys``), through EC2 only.

    Copying the AMI into a region re-encrypts its snapshots with that region's key (Image Builder User Guide,
    "Set up cross-account AMI distribution", "Encryption keys"); EBS needs of the caller what it needs for a
    volume (the module docstring). The managed policy grants the same on every key; these statements let a role
    you pass without it copy too. The key's own policy must allow this account (its owner's job: keys of other
    regions are not in this stack). A key named by its alias ARN (an ``ImageDistributionKey`` of a stack in
    that region: its key id is not known here) is matched by ``kms:ResourceAliases`` (AWS KMS Developer Guide,
    "Use aliases to control access to KMS keys"), on that region's and account's keys.
    """
    if not keys:
        return []
    arns = sorted({k for k in keys.values() if ":alias/" not in k})
    aliases = sorted({k for k in keys.values() if ":alias/" in k})
    through_ec2 = {"StringLike": {"kms:ViaService": "ec2.*.amazonaws.com"}}
    statements: list[iam.PolicyStatement] = []
    for sid, resources, extra in (
        ("DistributionKeys", arns, {}),
        (
            "DistributionAliases",
            sorted({alias_keys(a) for a in aliases}),
            {"ForAnyValue:StringEquals": {"kms:ResourceAliases": sorted({a.split(":", 5)[5] for a in aliases})}},
        ),
    ):
        if not resources:
            continue
        statements += [
            iam.PolicyStatement(
                sid=f"{sid}Use",
                actions=list(VOLUME_KEY_ACTIONS),
                resources=resources,
                conditions={**through_ec2, **extra},
            ),
            iam.PolicyStatement(
                sid=f"{sid}Grant",
                actions=["kms:CreateGrant"],
                resources=resources,
                conditions={**through_ec2, **extra, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        ]
    return statements


def alias_keys(alias_arn: str) -> str:
    """The keys of an alias ARN's region and account: ``arn:<partition>:kms:<region>:<account>:key/*``."""
    return alias_arn.split(":alias/", 1)[0] + ":key/*"
