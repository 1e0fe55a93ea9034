"""ImageDistributionKey: the KMS key a golden image pipeline re-encrypts its AMI copies with in another region.

KMS keys are regional, so the pipeline's own key cannot encrypt a copy in another region, and without a key
Image Builder uses the region's default EBS key, which cannot be shared (Image Builder User Guide, "Set up
cross-account AMI distribution", "Encryption keys": *Create a KMS key in your account in all Regions where
you build and distribute your AMI ... Update the key policy for all of those keys to allow destination
accounts to use your key*). This construct is that key, in a stack of that region of the pipeline's account,
with the same policy the pipeline's own key gets (``_key.py``): this account's Image Builder and Auto Scaling
service-linked roles, the accounts, organizations and OUs the AMIs are shared with or copied to
(``SharedAmis*``), rotation, retained on delete (the AMIs' snapshots outlive the stack). The pipeline's
execution role is allowed through the account (the key policy delegates to it) and its own statements.

Its alias has a fixed name, so the pipeline's stack in another region can name it without a cross-region
reference: ``distribution_kms_keys={"us-east-1": key.alias_arn}``.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from constructs import Construct

from .._private.kms_grants import (
    allow_autoscaling_service_linked_role,
    allow_consuming_accounts,
    allow_image_builder_service_linked_role,
)
from .._private.origin import record_origin
from .._private.props import Rule, checked
from .._private.validation import Problems, is_unresolved
from ._sharing import ACCOUNT, ORGANIZATION, ORGANIZATIONAL_UNIT

__all__ = ["ImageDistributionKey"]


class ImageDistributionKey(Construct):
    """A key for a pipeline's AMI copies in this stack's region, usable by the accounts the AMIs are shared with.

    :param alias_name: the key's alias. Default: ``"alias/golden-images"``.
    :param accounts: accounts the AMIs are shared with or copied to (``launch_permission_accounts`` and
        ``distribution_accounts``). Default: none.
    :param organizations: organization ARNs the AMIs are shared with. Default: none.
    :param organizational_units: OU ARNs the AMIs are shared with. Default: none.

    Pass ``alias_arn`` to ``GoldenImagePipeline(distribution_kms_keys={<this region>: key.alias_arn})``, and
    ``key.key.key_arn`` (after the deploy) to each consumer's ``ImageKeyGrant``.
    """

    @checked(
        alias_name=Rule(
            pattern=r"alias/(?!aws/)[A-Za-z0-9/_-]{1,250}", fix="e.g. 'alias/golden-images' (not under alias/aws/)"
        ),
        accounts=Rule(pattern=ACCOUNT, fix="list each 12-digit account id once"),
        organizations=Rule(pattern=ORGANIZATION, fix="e.g. 'arn:aws:organizations::111111111111:organization/o-…'"),
        organizational_units=Rule(
            pattern=ORGANIZATIONAL_UNIT, fix="e.g. 'arn:aws:organizations::111111111111:ou/o-…/ou-…'"
        ),
    )
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        alias_name: str = "alias/golden-images",
        accounts: Sequence[str] = (),
        organizations: Sequence[str] = (),
        organizational_units: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, id)
        record_origin(self)
        stack = Stack.of(self)
        problems = Problems(self)
        problems.require(
            not (is_unresolved(stack.region) or is_unresolved(stack.account)),
            "scope",
            stack.node.path,
            "is a stack without an explicit account and region, but alias_arn must name them for the pipeline's "
            "stack in another region",
            "give the stack env={'account': '111111111111', 'region': 'us-east-1'}",
        )
        problems.raise_if_any()
        #: The key (rotation on, retained on delete).
        self.key = kms.Key(
            self,
            "Key",
            description=f"Golden image copies in this region, {self.node.path}",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        kms.Alias(self, "Alias", alias_name=alias_name, target_key=self.key)
        allow_image_builder_service_linked_role(self.key)
        allow_autoscaling_service_linked_role(self.key)
        allow_consuming_accounts(
            self.key,
            accounts=sorted(set(accounts)),
            organization_arns=organizations,
            organizational_unit_arns=organizational_units,
        )
        #: ``arn:<partition>:kms:<region>:<account>:alias/<name>``: known at synth time in any stack.
        self.alias_arn = stack.format_arn(
            service="kms",
            resource="alias",
            resource_name=alias_name[len("alias/") :],
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
