"""What starts builds: the image pipeline (scheduled or manual) and the optional deploy-time image."""

from __future__ import annotations

from aws_cdk import Annotations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_imagebuilder as imagebuilder
from constructs import Construct

from .._private import tags

WARN_NO_SCAN = "immutable-constructs:imageScanningOff"
TEST_TIMEOUT_MINUTES = 90


def build_pipeline(
    scope: Construct,
    *,
    prefix: str,
    line: str,
    recipe: imagebuilder.CfnImageRecipe,
    recipe_version: str,
    content_hash: str,
    infrastructure: imagebuilder.CfnInfrastructureConfiguration,
    distribution: imagebuilder.CfnDistributionConfiguration,
    execution_role: iam.IRole,
    schedule: str,
    only_when_dependencies_updated: bool,
    schedule_timezone: str | None,
    image_tests: bool,
    image_scanning: bool,
) -> imagebuilder.CfnImagePipeline:
    """The pipeline; no ``Schedule`` when ``schedule`` is empty (manual runs only)."""
    pipeline = imagebuilder.CfnImagePipeline(
        scope,
        "Pipeline",
        name=f"{prefix}-pipeline",
        description=f"{line} golden image: recipe {recipe_version}",
        image_recipe_arn=recipe.attr_arn,
        infrastructure_configuration_arn=infrastructure.attr_arn,
        distribution_configuration_arn=distribution.attr_arn,
        image_tests_configuration=imagebuilder.CfnImagePipeline.ImageTestsConfigurationProperty(
            image_tests_enabled=image_tests, timeout_minutes=TEST_TIMEOUT_MINUTES
        ),
        image_scanning_configuration=imagebuilder.CfnImagePipeline.ImageScanningConfigurationProperty(
            image_scanning_enabled=image_scanning
        ),
        enhanced_image_metadata_enabled=True,
        execution_role=execution_role.role_arn,
        schedule=(
            imagebuilder.CfnImagePipeline.ScheduleProperty(
                schedule_expression=schedule,
                pipeline_execution_start_condition=(
                    "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE"
                    if only_when_dependencies_updated
                    else "EXPRESSION_MATCH_ONLY"
                ),
                timezone=schedule_timezone,
            )
            if schedule
            else None
        ),
        status="ENABLED",
        image_tags={tags.IMAGE_LINE: line, tags.CONTENT_HASH: content_hash},
    )
    if not image_scanning:
        Annotations.of(scope).add_warning_v2(
            WARN_NO_SCAN, "image_scanning=False: images are not scanned for CVEs by Amazon Inspector."
        )
    return pipeline


def build_image_on_deploy(
    scope: Construct,
    *,
    line: str,
    recipe: imagebuilder.CfnImageRecipe,
    content_hash: str,
    infrastructure: imagebuilder.CfnInfrastructureConfiguration,
    distribution: imagebuilder.CfnDistributionConfiguration,
    execution_role: iam.IRole,
    execution_policy: iam.Policy | None,
    image_tests: bool,
    image_scanning: bool,
) -> imagebuilder.CfnImage:
    """One image built while the stack deploys (the stack waits for it; a failed build rolls it back)."""
    image = imagebuilder.CfnImage(
        scope,
        "Image",
        image_recipe_arn=recipe.attr_arn,
        infrastructure_configuration_arn=infrastructure.attr_arn,
        distribution_configuration_arn=distribution.attr_arn,
        image_tests_configuration=imagebuilder.CfnImage.ImageTestsConfigurationProperty(
            image_tests_enabled=image_tests, timeout_minutes=TEST_TIMEOUT_MINUTES
        ),
        image_scanning_configuration=imagebuilder.CfnImage.ImageScanningConfigurationProperty(
            image_scanning_enabled=image_scanning
        ),
        enhanced_image_metadata_enabled=True,
        execution_role=execution_role.role_arn,
        tags={tags.IMAGE_LINE: line, tags.CONTENT_HASH: content_hash},
    )
    if execution_policy is not None:
        # The build starts as soon as the resource is created: the role must have its policy by then.
        image.node.add_dependency(execution_policy)
    return image
