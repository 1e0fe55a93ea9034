"""Key-policy grants that AWS services need to use a customer managed KMS key.

EC2 Auto Scaling launches instances with its service-linked role
``AWSServiceRoleForAutoScaling``. When a launch template's (or an AMI's) EBS volumes are
encrypted with a customer managed key, that role must be allowed to use the key and to create
grants on it, or every launch fails (the group's activity shows
``Client.InternalError: Client error on launch``). AWS document: *Amazon EC2 Auto Scaling
User Guide*, "Required AWS KMS key policy for use with encrypted volumes".

The service-linked role is created by Auto Scaling on first use, so it may not exist when the
key is created, and KMS rejects a key policy naming a principal that does not exist
(``MalformedPolicyDocumentException``). The statements therefore name any principal and
narrow it to this account and to the role's ARN with ``aws:PrincipalAccount`` and
``aws:PrincipalArn`` conditions, which are evaluated at request time.
"""

from __future__ import annotations

from aws_cdk import Annotations, CfnResource, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from .checkov import skip_checkov

__all__ = ["AUTOSCALING_KEY_ACTIONS", "allow_autoscaling_service_linked_role", "autoscaling_service_linked_role_arn"]

AUTOSCALING_KEY_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
USE_SID = "AutoScalingServiceLinkedRoleUsesKey"
GRANT_SID = "AutoScalingServiceLinkedRoleCreatesGrants"


def autoscaling_service_linked_role_arn(stack: Stack) -> str:
    """ARN of EC2 Auto Scaling's default service-linked role in ``stack``'s account."""
    return (
        f"arn:{stack.partition}:iam::{stack.account}:role/aws-service-role/"
        "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )


def allow_autoscaling_service_linked_role(key: kms.IKey, *, scope: Construct | None = None) -> bool:
    """Let EC2 Auto Scaling's service-linked role launch instances with volumes encrypted by ``key``.

    Adds the two statements of the Auto Scaling guide to ``key``'s policy, once per key (calling it
    again for the same key adds nothing). For an imported key, whose policy this app cannot edit,
    adds the warning ``immutable-constructs:volumeKeyPolicy`` on ``scope`` (default: the key) saying
    what to add by hand. Returns whether the key's policy now carries the grant.
    """
    if key.node.try_find_child(f"{USE_SID}Marker") is not None:
        return True
    stack = Stack.of(key)
    only_the_role = {
        "StringEquals": {"aws:PrincipalAccount": stack.account},
        "ArnEquals": {"aws:PrincipalArn": autoscaling_service_linked_role_arn(stack)},
    }
    use = iam.PolicyStatement(
        sid=USE_SID,
        actions=AUTOSCALING_KEY_ACTIONS,
        principals=[iam.AnyPrincipal()],
        resources=["*"],
        conditions=only_the_role,
    )
    result = key.add_to_resource_policy(use)
    if not result.statement_added:
        Annotations.of(scope or key).add_warning_v2(
            "immutable-constructs:volumeKeyPolicy",
            f"volume_key {key.key_arn} is imported, so its key policy cannot be edited here. EC2 Auto Scaling "
            "launches instances with its service-linked role AWSServiceRoleForAutoScaling, which must be allowed "
            "kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey and kms:CreateGrant "
            "(with kms:GrantIsForAWSResource=true) on it, or every launch fails. Add those statements to the key's "
            "policy (EC2 Auto Scaling User Guide, 'Required AWS KMS key policy for use with encrypted volumes'; "
            "docs/deploying.md shows them).",
        )
        return False
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid=GRANT_SID,
            actions=["kms:CreateGrant"],
            principals=[iam.AnyPrincipal()],
            resources=["*"],
            conditions={**only_the_role, "Bool": {"kms:GrantIsForAWSResource": "true"}},
        )
    )
    Construct(key, f"{USE_SID}Marker")
    resource = key.node.default_child
    if isinstance(resource, CfnResource):
        skip_checkov(
            resource,
            "CKV_AWS_33",
            "The principal '*' is narrowed by aws:PrincipalAccount and aws:PrincipalArn to EC2 Auto Scaling's "
            "service-linked role, which may not exist yet when the key is created.",
        )
    return True
