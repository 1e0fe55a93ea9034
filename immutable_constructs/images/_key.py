"""The pipeline's KMS key and who may use it at run time (statements from ``_private/kms_grants.py`` and
``_private/key_policies.py``)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct

from .._private.key_policies import allow_eventbridge_to_publish
from .._private.kms_grants import (
    allow_autoscaling_service_linked_role,
    allow_consuming_accounts,
    allow_image_builder_service_linked_role,
)
from .._private.warnings import warn

WARN_IMPORTED_KEY = "immutable-constructs:importedPipelineKey"


def create_key(scope: Construct) -> kms.Key:
    """A key with rotation, retained when the stack is deleted (AMI snapshots outlive the stack)."""
    return kms.Key(
        scope,
        "Key",
        description=f"Golden image pipeline {scope.node.path}: volumes, components, logs, notifications",
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.RETAIN,
    )


def allow_services_to_use_key(
    scope: Construct,
    key: kms.IKey,
    *,
    topic: bool,
    accounts: Sequence[str],
    organizations: Sequence[str],
    organizational_units: Sequence[str],
) -> None:
    """Let the services that use the key at run time use it.

    Image Builder's service-linked role (encrypted build volumes); EC2 Auto Scaling's service-linked
    role (fleets launch from AMIs whose snapshots the key encrypts); the accounts, organizations and
    OUs the AMIs are shared with or copied to; and, when ``topic`` (the pipeline creates its topic),
    EventBridge. Service-linked roles are matched by ``aws:PrincipalArn``, so the policy deploys
    before they exist. An imported key's policy cannot be changed here: a warning says what its owner
    must add.
    """
    if not allow_image_builder_service_linked_role(key):
        warn(
            scope,
            WARN_IMPORTED_KEY,
            "encryption_key is imported, so its key policy is not changed here: it must let "
            "AWSServiceRoleForImageBuilder and AWSServiceRoleForAutoScaling use the key and create grants "
            "(EC2 Auto Scaling guide, 'Required AWS KMS key policy for use with encrypted volumes'), or "
            "every launch from these AMIs fails. See docs/golden-images.md.",
            fails="launch",
        )
        return
    allow_autoscaling_service_linked_role(key)
    allow_consuming_accounts(
        key,
        accounts=sorted({*accounts}),
        organization_arns=organizations,
        organizational_unit_arns=organizational_units,
    )
    if topic:
        allow_eventbridge_to_publish(key)
