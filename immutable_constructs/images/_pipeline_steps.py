"""GoldenImagePipeline's build steps, and the props that flow through them.

The constructor gathers its keyword arguments once into :class:`PipelineProps`; ``check_pipeline``
(``_checks.py``) checks them and works out the image line, build subnet and schedule; each step here
reads the props and that plan and sets the pipeline's attributes for what it made: the key, recipe
and topic; the build infrastructure; the distribution and its execution role; the pipeline and the
image built on deploy; the promotion; the lifecycle policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from ._builds import build_image_on_deploy, build_pipeline
from ._checks import Checked, props_of
from ._distribution import build_distribution, build_execution_role
from ._infrastructure import build_infrastructure
from ._key import allow_services_to_use_key, create_key
from ._lifecycle import build_lifecycle
from ._names import FindingSeverity, physical_prefix
from ._notifications import create_topic, image_arn_prefix, notify_builds
from ._promotion import build_promotion
from ._recipe import build_recipe, with_cloudwatch_agent
from .catalog import AmiCatalog
from .sources import ImageComponent, ParentImage

if TYPE_CHECKING:
    from .pipeline import GoldenImagePipeline


@dataclass(frozen=True, kw_only=True)
class PipelineProps:
    """GoldenImagePipeline's props, as the caller gave them (the spec has checked their types)."""

    catalog: AmiCatalog
    parent_image: ParentImage | None
    components: Sequence[ImageComponent]
    vpc: ec2.IVpc
    image_line: str | None = None
    vpc_subnets: ec2.SubnetSelection | None = None
    version: str = "1.0"
    instance_types: Sequence[str] = ("t3.medium",)
    root_volume_size: int = 30
    root_device_name: str = "/dev/xvda"
    data_volumes: Mapping[str, int] | None = None
    working_directory: str | None = None
    schedule: str | None = None
    only_when_dependencies_updated: bool = True
    schedule_timezone: str | None = None
    image_tests: bool = True
    image_scanning: bool = True
    encryption_key: kms.IKey | None = None
    distribution_regions: Sequence[str] | None = None
    distribution_accounts: Sequence[str] = ()
    distribution_kms_keys: Mapping[str, str] | None = None
    launch_permission_accounts: Sequence[str] = ()
    launch_permission_organizations: Sequence[str] = ()
    launch_permission_organizational_units: Sequence[str] = ()
    notification_topic: sns.ITopic | None = None
    promote: bool = True
    severity_threshold: FindingSeverity | str = FindingSeverity.HIGH
    max_findings: int = 0
    keep_at_least: int = 3
    deprecate_after_days: int = 30
    delete_after_days: int = 90
    keep_launched_within_days: int = 30
    source_revision: str | None = None
    terminate_on_failure: bool = True
    build_on_deploy: bool = False
    execution_role: iam.IRole | None = None
    install_cloudwatch_agent: bool = True

    @classmethod
    def of(cls, arguments: Mapping[str, Any]) -> PipelineProps:
        """The props from the constructor's ``locals()``."""
        return cls(**props_of(arguments))

    def given(self) -> dict[str, Any]:
        """Every prop by name, for the checks that look props up by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Plan:
    """What the checks worked out, and what every step names things by."""

    line: str
    subnet_id: str
    schedule: str
    prefix: str
    regions: list[str]
    next_channel: str | None

    @classmethod
    def of(cls, pipeline: GoldenImagePipeline, props: PipelineProps, checked: Checked) -> Plan:
        """The plan from the checks' results and the props."""
        regions = list(props.distribution_regions) if props.distribution_regions else [Stack.of(pipeline).region]
        next_channel = props.catalog.next_channel(props.catalog.first_channel)
        return cls(*checked, physical_prefix(pipeline), regions, next_channel)


def build_sources(pipeline: GoldenImagePipeline, props: PipelineProps, plan: Plan) -> None:
    """The key, the components and recipe (versioned by content), the key policy and the topic."""
    assert props.parent_image is not None  # checked
    pipeline.key = props.encryption_key or create_key(pipeline)
    components = props.components
    recipe = build_recipe(
        pipeline,
        prefix=plan.prefix,
        line=plan.line,
        version=props.version,
        key=pipeline.key,
        parent_image=props.parent_image,
        components=with_cloudwatch_agent(components) if props.install_cloudwatch_agent else components,
        root_device_name=props.root_device_name,
        root_volume_size=props.root_volume_size,
        data_volumes=props.data_volumes,
        working_directory=props.working_directory,
    )
    pipeline.components = recipe.components
    pipeline.component_versions = recipe.component_versions
    pipeline.recipe = recipe.recipe
    pipeline.recipe_version = recipe.recipe_version
    pipeline.content_hash = recipe.content_hash
    allow_services_to_use_key(
        pipeline,
        pipeline.key,
        topic=props.notification_topic is None,
        accounts=[*props.launch_permission_accounts, *props.distribution_accounts],
        organizations=props.launch_permission_organizations,
        organizational_units=props.launch_permission_organizational_units,
    )
    pipeline.topic = (
        create_topic(pipeline, key=pipeline.key, line=plan.line)
        if props.notification_topic is None
        else props.notification_topic
    )


def build_build_infrastructure(pipeline: GoldenImagePipeline, props: PipelineProps, plan: Plan) -> None:
    """Where build instances run: log bucket, security group, instance role and profile, configuration."""
    infrastructure = build_infrastructure(
        pipeline,
        prefix=plan.prefix,
        line=plan.line,
        key=pipeline.key,
        vpc=props.vpc,
        subnet_id=plan.subnet_id,
        instance_types=props.instance_types,
        component_arns=[c.attr_arn for c in pipeline.components.values()],
        topic=pipeline.topic,
        terminate_on_failure=props.terminate_on_failure,
    )
    pipeline.log_bucket = infrastructure.log_bucket
    pipeline.security_group = infrastructure.security_group
    pipeline.instance_role = infrastructure.instance_role
    pipeline.instance_profile = infrastructure.instance_profile
    pipeline.infrastructure = infrastructure.configuration
    pipeline._instance_policy = infrastructure.instance_policy
    pipeline._instances_arn = infrastructure.instances_arn


def build_distribution_steps(pipeline: GoldenImagePipeline, props: PipelineProps, plan: Plan) -> None:
    """Where images go (regions, accounts, the catalog's parameter) and the role that puts them there."""
    assert props.parent_image is not None  # checked
    pipeline.distribution = build_distribution(
        pipeline,
        prefix=plan.prefix,
        line=plan.line,
        parameter_name=pipeline.parameter_name,
        recipe_version=pipeline.recipe_version,
        content_hash=pipeline.content_hash,
        source_revision=props.source_revision,
        regions=plan.regions,
        distribution_accounts=props.distribution_accounts,
        distribution_keys=props.distribution_kms_keys or {},
        launch_permission_accounts=props.launch_permission_accounts,
        launch_permission_organizations=props.launch_permission_organizations,
        launch_permission_organizational_units=props.launch_permission_organizational_units,
    )
    pipeline.execution_role, pipeline.execution_policy = build_execution_role(
        pipeline,
        line=plan.line,
        parameter_name=pipeline.parameter_name,
        regions=plan.regions,
        distribution_accounts=props.distribution_accounts,
        distribution_keys=props.distribution_kms_keys or {},
        parent_parameter=props.parent_image.parameter_name,
        key=pipeline.key,
        own_topic=props.notification_topic is None,
        execution_role=props.execution_role,
        instance_role=pipeline.instance_role,
        topic_arn=pipeline.topic.topic_arn,
    )


def build_builds(pipeline: GoldenImagePipeline, props: PipelineProps, plan: Plan) -> None:
    """The pipeline (its schedule), the image built on deploy when asked, and the build notifications."""
    builds: dict[str, Any] = {
        "recipe": pipeline.recipe,
        "content_hash": pipeline.content_hash,
        "infrastructure": pipeline.infrastructure,
        "distribution": pipeline.distribution,
        "execution_role": pipeline.execution_role,
        "image_tests": props.image_tests,
        "image_scanning": props.image_scanning,
    }
    pipeline.pipeline = build_pipeline(
        pipeline,
        prefix=plan.prefix,
        line=plan.line,
        recipe_version=pipeline.recipe_version,
        schedule=plan.schedule,
        only_when_dependencies_updated=props.only_when_dependencies_updated,
        schedule_timezone=props.schedule_timezone,
        **builds,
    )
    pipeline.image = (
        build_image_on_deploy(pipeline, line=plan.line, execution_policy=pipeline.execution_policy, **builds)
        if props.build_on_deploy
        else None
    )
    pipeline.image_arn_prefix = image_arn_prefix(plan.prefix)
    notify_builds(pipeline, topic=pipeline.topic, line=plan.line, image_prefix=pipeline.image_arn_prefix)


def build_promotion_step(pipeline: GoldenImagePipeline, props: PipelineProps, plan: Plan) -> None:
    """The function that promotes a scanned, tested image to the catalog's next channel (when asked)."""
    pipeline.promotion_function = None
    if not props.promote or plan.next_channel is None:
        return
    promotion = build_promotion(
        pipeline,
        catalog=props.catalog,
        line=plan.line,
        channel=plan.next_channel,
        image_prefix=pipeline.image_arn_prefix,
        regions=plan.regions,
        topic=pipeline.topic,
        severity_threshold=str(FindingSeverity(props.severity_threshold).value),
        max_findings=props.max_findings,
        image_tests=props.image_tests,
        source={
            "PIPELINE_ARN": pipeline.pipeline.attr_arn,
            "INFRASTRUCTURE_ARN": pipeline.infrastructure.attr_arn,
            "DISTRIBUTION_ARN": pipeline.distribution.attr_arn,
            "ALLOW_DEPLOY_IMAGE": "true" if pipeline.image is not None else "false",
        },
    )
    pipeline.promotion_function = promotion.function
    pipeline.promotion_dead_letters = promotion.dead_letters


def build_lifecycle_step(pipeline: GoldenImagePipeline, props: PipelineProps, plan: Plan) -> None:
    """The lifecycle policy that deprecates, disables and deletes old images of the line."""
    pipeline.lifecycle_role, pipeline.lifecycle_policy = build_lifecycle(
        pipeline,
        prefix=plan.prefix,
        line=plan.line,
        version=props.version,
        recipe=pipeline.recipe,
        kept_channel=plan.next_channel or props.catalog.first_channel,
        keep_at_least=props.keep_at_least,
        deprecate_after_days=props.deprecate_after_days,
        delete_after_days=props.delete_after_days,
        keep_launched_within_days=props.keep_launched_within_days,
    )
