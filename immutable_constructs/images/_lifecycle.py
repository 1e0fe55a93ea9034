"""Expiry: an Image Builder lifecycle policy deprecates, then deletes, old AMIs of this recipe.

Promoted images (tagged by the promotion function) and images launched recently are excluded;
the AWS-managed ``EC2ImageBuilderLifecycleExecutionPolicy`` acts only on resources tagged
``CreatedBy=EC2 Image Builder``.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_imagebuilder as imagebuilder
from constructs import Construct

from .._private import tags
from .._private.trust import confined_principal

MANAGED_POLICY = "service-role/EC2ImageBuilderLifecycleExecutionPolicy"


def build_lifecycle(
    scope: Construct,
    *,
    prefix: str,
    line: str,
    version: str,
    recipe: imagebuilder.CfnImageRecipe,
    kept_channel: str,
    keep_at_least: int,
    deprecate_after_days: int,
    delete_after_days: int,
    keep_launched_within_days: int,
) -> tuple[iam.Role, imagebuilder.CfnLifecyclePolicy]:
    """The lifecycle role and policy; AMIs tagged promoted to ``kept_channel`` are never expired."""
    role = _lifecycle_role(scope)
    exclusions = imagebuilder.CfnLifecyclePolicy.ExclusionRulesProperty(
        amis=imagebuilder.CfnLifecyclePolicy.AmiExclusionRulesProperty(
            last_launched=imagebuilder.CfnLifecyclePolicy.LastLaunchedProperty(
                value=keep_launched_within_days, unit="DAYS"
            ),
            tag_map={tags.PROMOTED: kept_channel},
        )
    )
    include = imagebuilder.CfnLifecyclePolicy.IncludeResourcesProperty(amis=True, snapshots=True)

    def detail(
        action: imagebuilder.CfnLifecyclePolicy.ActionProperty, days: int
    ) -> imagebuilder.CfnLifecyclePolicy.PolicyDetailProperty:
        return imagebuilder.CfnLifecyclePolicy.PolicyDetailProperty(
            action=action,
            filter=imagebuilder.CfnLifecyclePolicy.FilterProperty(
                type="AGE", value=days, unit="DAYS", retain_at_least=keep_at_least
            ),
            exclusion_rules=exclusions,
        )

    policy = imagebuilder.CfnLifecyclePolicy(
        scope,
        "Lifecycle",
        name=f"{prefix}-lifecycle",
        description=f"{line}: deprecate after {deprecate_after_days} days, delete after {delete_after_days}",
        execution_role=role.role_arn,
        resource_type="AMI_IMAGE",
        status="ENABLED",
        resource_selection=imagebuilder.CfnLifecyclePolicy.ResourceSelectionProperty(
            recipes=[
                imagebuilder.CfnLifecyclePolicy.RecipeSelectionProperty(
                    name=recipe.name, semantic_version=f"{version}.x"
                )
            ]
        ),
        policy_details=[
            detail(imagebuilder.CfnLifecyclePolicy.ActionProperty(type="DEPRECATE"), deprecate_after_days),
            detail(
                imagebuilder.CfnLifecyclePolicy.ActionProperty(type="DELETE", include_resources=include),
                delete_after_days,
            ),
        ],
    )
    policy.node.add_dependency(recipe)
    return role, policy


def _lifecycle_role(scope: Construct) -> iam.Role:
    """The role Image Builder's lifecycle management acts through (the service's managed policy)."""
    role = iam.Role(
        scope,
        "LifecycleRole",
        # Issue 28: Image Builder User Guide, "Cross-service confused deputy prevention" (aws:SourceAccount).
        assumed_by=confined_principal("imagebuilder.amazonaws.com", Stack.of(scope)),
        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(MANAGED_POLICY)],
        description="Image Builder lifecycle: deprecate and delete old images of this pipeline",
    )
    Validations.of(role).acknowledge(
        Acknowledgment(
            id=f"AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{MANAGED_POLICY}]",
            reason="EC2ImageBuilderLifecycleExecutionPolicy is the service's documented lifecycle role policy "
            "and only acts on resources tagged CreatedBy=EC2 Image Builder.",
        )
    )
    return role
