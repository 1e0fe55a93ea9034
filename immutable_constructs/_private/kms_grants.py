"""Key-policy grants for services that act through service-linked roles, and for consuming accounts.

KMS checks a key policy when it is written and rejects one whose principal does not exist
(``MalformedPolicyDocumentException``). A service-linked role exists only once the account
first used its service (``AWSServiceRoleForAutoScaling`` appears with the first Auto Scaling
group, ``AWSServiceRoleForImageBuilder`` with the first build), so these statements never name
the role as principal: they name any principal (``*``) and narrow it with the conditions
``aws:PrincipalAccount`` (this account) and ``aws:PrincipalArn`` (exactly the role's ARN).
That policy deploys in a fresh account and takes effect as soon as the role is created.

Documents:

- EC2 Auto Scaling User Guide, "Required AWS KMS key policy for use with encrypted volumes":
  the service-linked role needs ``kms:Encrypt``, ``kms:Decrypt``, ``kms:ReEncrypt*``,
  ``kms:GenerateDataKey*``, ``kms:DescribeKey`` and ``kms:CreateGrant`` with
  ``kms:GrantIsForAWSResource`` = true (Example 1); for another account, that account's root
  gets the same actions and creates a grant for its own service-linked role (Example 2).
- IAM User Guide, "AWS global condition context keys": ``aws:PrincipalArn``,
  ``aws:PrincipalAccount``, ``aws:PrincipalOrgID``, ``aws:PrincipalOrgPaths``.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from .checkov import skip_checkov

USE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey")
_WILDCARD_REASON = (
    "Every '*' principal in this key policy is narrowed by conditions: aws:PrincipalAccount and "
    "aws:PrincipalArn to one service-linked role (which may not exist yet when the key is created, and KMS "
    "refuses policies naming principals that do not exist), or aws:PrincipalOrgID/aws:PrincipalOrgPaths to "
    "the organizations and OUs the AMIs are shared with."
)


def service_linked_role_arn(stack: Stack, service: str, role_name: str, *, account: str | None = None) -> str:
    """``arn:<partition>:iam::<account>:role/aws-service-role/<service>/<role_name>``."""
    return f"arn:{stack.partition}:iam::{account or stack.account}:role/aws-service-role/{service}/{role_name}"


def allow_service_linked_role(
    key: kms.IKey,
    *,
    service: str,
    role_name: str,
    use_sid: str,
    grant_sid: str,
    use_actions: Sequence[str] = USE_ACTIONS,
    account: str | None = None,
) -> bool:
    """Let one service-linked role use ``key`` and create grants for AWS resources (EBS volumes).

    Returns ``False`` when the key's policy cannot be changed here (an imported key): the caller
    then tells the user what the key's owner must add.
    """
    if not isinstance(key, kms.Key):
        return False
    stack = Stack.of(key)
    only_the_role = {
        "StringEquals": {"aws:PrincipalAccount": account or stack.account},
        "ArnEquals": {"aws:PrincipalArn": service_linked_role_arn(stack, service, role_name, account=account)},
    }
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid=use_sid,
            actions=list(use_actions),
            principals=[iam.AnyPrincipal()],
            resources=["*"],
            conditions=only_the_role,
        )
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid=grant_sid,
            actions=["kms:CreateGrant"],
            principals=[iam.AnyPrincipal()],
            resources=["*"],
            conditions={**only_the_role, "Bool": {"kms:GrantIsForAWSResource": "true"}},
        )
    )
    _skip_wildcard_principal(key)
    return True


def allow_image_builder_service_linked_role(key: kms.IKey) -> bool:
    """Image Builder's service-linked role: encrypted build volumes and notifications."""
    return allow_service_linked_role(
        key,
        service="imagebuilder.amazonaws.com",
        role_name="AWSServiceRoleForImageBuilder",
        use_sid="ImageBuilderUsesKey",
        grant_sid="ImageBuilderGrantsForVolumes",
    )


def allow_autoscaling_service_linked_role(
    key: kms.IKey,
    *,
    role_name: str = "AWSServiceRoleForAutoScaling",
    account: str | None = None,
    sid_prefix: str = "AutoScaling",
) -> bool:
    """Let EC2 Auto Scaling launch instances whose EBS volumes (or AMI snapshots) ``key`` encrypts.

    EC2 Auto Scaling User Guide, "Required AWS KMS key policy for use with encrypted volumes",
    Example 1, with the role matched by ``aws:PrincipalArn`` so the policy deploys before the
    role exists. ``role_name`` is the default service-linked role; pass a custom-suffix one
    (``AWSServiceRoleForAutoScaling_<suffix>``) if the groups use it. Returns ``False`` for an
    imported key, whose policy its owner must change.
    """
    return allow_service_linked_role(
        key,
        service="autoscaling.amazonaws.com",
        role_name=role_name,
        use_sid=f"{sid_prefix}UsesKey",
        grant_sid=f"{sid_prefix}GrantsForVolumes",
        account=account,
    )


def allow_consuming_accounts(
    key: kms.IKey,
    *,
    accounts: Sequence[str] = (),
    organization_arns: Sequence[str] = (),
    organizational_unit_arns: Sequence[str] = (),
    sid_prefix: str = "SharedAmis",
) -> bool:
    """Let accounts that launch (or copy) AMIs encrypted with ``key`` use it and create grants.

    EC2 Auto Scaling User Guide, "Required AWS KMS key policy for use with encrypted volumes",
    Example 2 (cross-account): the key policy allows the other account; that account then creates
    a grant for its own ``AWSServiceRoleForAutoScaling`` (a key policy cannot do that part, since a
    cross-account principal also needs permission in its own account, which a service-linked role's
    fixed policy does not give). Organizations and OUs are matched with ``aws:PrincipalOrgID`` and
    ``aws:PrincipalOrgPaths``. The actions cover what the Amazon EBS User Guide lists for users of a shared
    snapshot's key ("Share the KMS key used to encrypt a shared Amazon EBS snapshot": ``DescribeKey``,
    ``CreateGrant``, ``GenerateDataKey``, ``GenerateDataKeyWithoutPlaintext``, ``ReEncrypt``, ``Decrypt``);
    ``CreateGrant`` has no ``kms:GrantIsForAWSResource`` because the consumer's grant for its Auto Scaling role
    is its own call. Returns ``False`` when nothing was added.
    """
    if not isinstance(key, kms.Key) or not (accounts or organization_arns or organizational_unit_arns):
        return False
    principals: list[tuple[str, list[iam.IPrincipal], dict[str, object] | None]] = []
    if accounts:
        principals.append(("Accounts", [iam.AccountPrincipal(a) for a in accounts], None))
    if organization_arns:
        org_ids = sorted({arn.rsplit("/", 1)[-1] for arn in organization_arns})
        principals.append(("Organizations", [iam.AnyPrincipal()], {"StringEquals": {"aws:PrincipalOrgID": org_ids}}))
    if organizational_unit_arns:
        # ou ARN: arn:aws:organizations::<management>:ou/<org-id>/<ou-id>; the path is <org-id>/<root-id>/.../<ou-id>/
        paths = sorted({"{}/*/{}/*".format(*arn.split(":ou/", 1)[1].split("/")) for arn in organizational_unit_arns})
        principals.append(
            ("OrganizationalUnits", [iam.AnyPrincipal()], {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": paths}})
        )
    for suffix, who, conditions in principals:
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"{sid_prefix}{suffix}UseKey",
                actions=list(USE_ACTIONS),
                principals=who,
                resources=["*"],
                conditions=conditions,
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"{sid_prefix}{suffix}CreateGrants",
                actions=["kms:CreateGrant"],
                principals=who,
                resources=["*"],
                conditions=conditions,
            )
        )
    if organization_arns or organizational_unit_arns:
        _skip_wildcard_principal(key)
    return True


def _skip_wildcard_principal(key: kms.Key) -> None:
    skip_checkov(
        key.node.default_child,  # type: ignore[arg-type]  # a kms.Key's default child is its CfnKey
        "CKV_AWS_33",
        _WILDCARD_REASON,
    )
