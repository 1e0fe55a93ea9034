"""The golden image pipeline: EC2 Image Builder (L1 resources) with versions derived from content.

:class:`GoldenImagePipeline` composes one private builder per Image Builder concern, in the order
the resources depend on each other: the key (``_key``), components and recipe (``_recipe``), the
topic and its rules (``_notifications``), the build infrastructure (``_infrastructure``), the
distribution and execution role (``_distribution``), the pipeline and deploy-time image
(``_builds``), promotion (``_promotion``) and expiry (``_lifecycle``). Its props are checked first
(``_checks``), all at once.

Versions from content: every component and recipe version is ``<version>.<patch>``, the patch a
hash of everything that defines the resource, so unchanged content synthesizes a byte-identical
template and builds no new image (docs/golden-images.md, "Versions from content").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_imagebuilder as imagebuilder
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from .._private.origin import record_origin
from .._private.props import checked
from ._builds import build_image_on_deploy, build_pipeline
from ._checks import check_pipeline, props_of
from ._distribution import build_distribution, build_execution_role
from ._infrastructure import build_infrastructure
from ._key import allow_services_to_use_key, create_key
from ._lifecycle import build_lifecycle
from ._names import FindingSeverity, physical_prefix
from ._notifications import create_topic, image_arn_prefix, notify_builds
from ._promotion import build_promotion
from ._props import PIPELINE
from ._recipe import build_recipe, with_cloudwatch_agent
from .catalog import AmiCatalog
from .sources import ImageComponent, ParentImage

__all__ = ["GoldenImagePipeline"]


class GoldenImagePipeline(Construct):
    """EC2 Image Builder pipeline whose images are versioned by content and published to an AMI catalog.

    :param catalog: the :class:`AmiCatalog` the AMIs are published to. Required.
    :param image_line: the catalog line this pipeline builds. Default: the catalog's first line.
    :param parent_image: what the recipe starts from (:class:`ParentImage`). Required.
    :param components: the build/test steps, in order (:class:`ImageComponent`). At least one.
    :param install_cloudwatch_agent: append the AWS-managed component ``amazon-cloudwatch-agent-linux``
        (pinned at version 1.0.1) unless ``components`` already lists it, so the fleets' user data can
        start the agent from their SSM configuration. Default ``True``.
    :param vpc: where build instances run. Required: builds run in a private subnet of it.
    :param vpc_subnets: which subnets; the first selected subnet is used. Default: private with
        egress (build instances need to reach Image Builder, SSM and package repositories).
        Public subnets are refused.
    :param version: ``<major>.<minor>`` base of every component and recipe version. Default ``"1.0"``;
        the patch number comes from the content hash.
    :param instance_types: build instance types. Default ``("t3.medium",)``.
    :param root_volume_size: GiB of the encrypted gp3 root volume. Default 30 (1-16000).
    :param root_device_name: Default ``"/dev/xvda"`` (Amazon Linux); ``/dev/sda1`` on Ubuntu.
    :param data_volumes: extra EBS volumes baked into the image, device name -> GiB (e.g.
        ``{"/dev/sdf": 100}``), each encrypted gp3 deleted with the instance. Default: none.
    :param working_directory: the build's working directory. Default: Image Builder's (``/tmp``).
    :param schedule: Image Builder cron expression (6 fields), e.g. ``"cron(0 4 ? * MON *)"``.
        Default: ``"cron(0 4 ? * MON *)"``, weekly; pass ``""`` for manual runs only.
    :param only_when_dependencies_updated: a scheduled run builds only when the parent image or a
        component with a floating version changed. Default ``True``.
    :param schedule_timezone: IANA time zone of the schedule. Default: UTC.
    :param image_tests: run the test phases on a fresh instance of the image. Default ``True``.
    :param image_scanning: scan the image with Amazon Inspector (must be activated in the account).
        Default ``True``; turning it off needs ``promote=False`` (the threshold could not be checked) and warns.
    :param encryption_key: KMS key for the root volume, components, the log bucket and the topic.
        Default: a new key with rotation (RETAINED on delete).
    :param distribution_regions: regions the AMI is copied to; each gets the catalog's first
        channel written. Default: the stack's region.
    :param distribution_accounts: accounts the AMI is copied to (they own their copy and get the
        parameter written in their account: ``AmiAccountId``; each needs the
        ``EC2ImageBuilderDistributionCrossAccountRole``). Default: none.
    :param launch_permission_accounts: accounts allowed to launch the AMI (not copied). Default: none.
    :param launch_permission_organizations: organization ARNs allowed to launch it. Default: none.
    :param launch_permission_organizational_units: OU ARNs allowed to launch it. Default: none.
    :param notification_topic: SNS topic for build success, failure and CVE findings. Default: a
        new KMS-encrypted, SSL-only topic (``pipeline.topic``).
    :param promote: promote tested and scanned images to the next channel. Default ``True``.
    :param severity_threshold: findings at or above it count against promotion, a :class:`FindingSeverity`
        or its string. Default ``FindingSeverity.HIGH``.
    :param max_findings: the most counted findings a promotable image may have. Default 0.
    :param keep_at_least: images the lifecycle policy always keeps (1-10). Default 3.
    :param deprecate_after_days: AMIs older than this are deprecated. Default 30.
    :param delete_after_days: AMIs (and snapshots) older than this are deleted. Default 90.
    :param keep_launched_within_days: never expire an AMI launched within this many days. Default 30.
    :param source_revision: e.g. the git SHA; tagged on every AMI. Default ``"unknown"``.
    :param terminate_on_failure: terminate the build instance when a build fails. Default ``True``
        (``False`` keeps it for debugging, and warns).
    :param build_on_deploy: build one image during the deploy (``AWS::ImageBuilder::Image``) so a
        first deploy has an AMI. Default ``False``: the stack waits for the whole build (30+ min),
        and a failed build rolls the stack back.
    :param execution_role: the role Image Builder assumes to build, test and distribute (``ExecutionRole``).
        Default: a new role (``pipeline.execution_role``) with the AWS-managed
        ``EC2ImageBuilderExecutionPolicy`` and a scoped policy (``pipeline.execution_policy``):
        ``ssm:GetParameter``/``PutParameter`` on the catalog parameter in every distribution region and
        account, ``ec2:DescribeImages``, ``ssm:GetParameter`` on an ``ssm:`` parent's parameter and the
        key for the notification topic. A role you pass gets the scoped statements only (see
        docs/golden-images.md, "Run-time permissions").
    """

    @checked(**PIPELINE)
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        catalog: AmiCatalog,
        parent_image: ParentImage | None,
        components: Sequence[ImageComponent],
        vpc: ec2.IVpc,
        image_line: str | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        version: str = "1.0",
        instance_types: Sequence[str] = ("t3.medium",),
        root_volume_size: int = 30,
        root_device_name: str = "/dev/xvda",
        data_volumes: Mapping[str, int] | None = None,
        working_directory: str | None = None,
        schedule: str | None = None,
        only_when_dependencies_updated: bool = True,
        schedule_timezone: str | None = None,
        image_tests: bool = True,
        image_scanning: bool = True,
        encryption_key: kms.IKey | None = None,
        distribution_regions: Sequence[str] | None = None,
        distribution_accounts: Sequence[str] = (),
        launch_permission_accounts: Sequence[str] = (),
        launch_permission_organizations: Sequence[str] = (),
        launch_permission_organizational_units: Sequence[str] = (),
        notification_topic: sns.ITopic | None = None,
        promote: bool = True,
        severity_threshold: FindingSeverity | str = FindingSeverity.HIGH,
        max_findings: int = 0,
        keep_at_least: int = 3,
        deprecate_after_days: int = 30,
        delete_after_days: int = 90,
        keep_launched_within_days: int = 30,
        source_revision: str | None = None,
        terminate_on_failure: bool = True,
        build_on_deploy: bool = False,
        execution_role: iam.IRole | None = None,
        install_cloudwatch_agent: bool = True,
    ) -> None:
        super().__init__(scope, id)
        record_origin(self)  # the user's line that created it, for the SARIF report
        line, subnet_id, schedule_expression = check_pipeline(self, props_of(locals()))
        assert parent_image is not None  # checked
        self.catalog = catalog
        self.image_line = line
        self.parameter_name = catalog.parameter_name(line, catalog.first_channel)
        prefix = physical_prefix(self)
        regions = list(distribution_regions) if distribution_regions else [Stack.of(self).region]
        next_channel = catalog.next_channel(catalog.first_channel)
        self.key: kms.IKey = encryption_key or create_key(self)

        recipe = build_recipe(
            self,
            prefix=prefix,
            line=line,
            version=version,
            key=self.key,
            parent_image=parent_image,
            components=with_cloudwatch_agent(components) if install_cloudwatch_agent else components,
            root_device_name=root_device_name,
            root_volume_size=root_volume_size,
            data_volumes=data_volumes,
            working_directory=working_directory,
        )
        self.components = recipe.components
        self.component_versions = recipe.component_versions
        self.recipe = recipe.recipe
        self.recipe_version = recipe.recipe_version
        self.content_hash = recipe.content_hash

        allow_services_to_use_key(
            self,
            self.key,
            topic=notification_topic is None,
            accounts=[*launch_permission_accounts, *distribution_accounts],
            organizations=launch_permission_organizations,
            organizational_units=launch_permission_organizational_units,
        )
        self.topic: sns.ITopic = (
            create_topic(self, key=self.key, line=line) if notification_topic is None else notification_topic
        )

        infrastructure = build_infrastructure(
            self,
            prefix=prefix,
            line=line,
            key=self.key,
            vpc=vpc,
            subnet_id=subnet_id,
            instance_types=instance_types,
            component_arns=[c.attr_arn for c in self.components.values()],
            topic=self.topic,
            terminate_on_failure=terminate_on_failure,
        )
        self.log_bucket = infrastructure.log_bucket
        self.security_group = infrastructure.security_group
        self.instance_role = infrastructure.instance_role
        self.instance_profile = infrastructure.instance_profile
        self.infrastructure = infrastructure.configuration
        self._instance_policy = infrastructure.instance_policy
        self._instances_arn = infrastructure.instances_arn

        self.distribution = build_distribution(
            self,
            prefix=prefix,
            line=line,
            parameter_name=self.parameter_name,
            recipe_version=self.recipe_version,
            content_hash=self.content_hash,
            source_revision=source_revision,
            regions=regions,
            distribution_accounts=distribution_accounts,
            launch_permission_accounts=launch_permission_accounts,
            launch_permission_organizations=launch_permission_organizations,
            launch_permission_organizational_units=launch_permission_organizational_units,
        )
        self.execution_role, self.execution_policy = build_execution_role(
            self,
            line=line,
            parameter_name=self.parameter_name,
            regions=regions,
            distribution_accounts=distribution_accounts,
            parent_parameter=parent_image.parameter_name,
            key=self.key,
            own_topic=notification_topic is None,
            execution_role=execution_role,
            instance_role=self.instance_role,
            topic_arn=self.topic.topic_arn,
        )

        builds: dict[str, Any] = {
            "recipe": self.recipe,
            "content_hash": self.content_hash,
            "infrastructure": self.infrastructure,
            "distribution": self.distribution,
            "execution_role": self.execution_role,
            "image_tests": image_tests,
            "image_scanning": image_scanning,
        }
        self.pipeline = build_pipeline(
            self,
            prefix=prefix,
            line=line,
            recipe_version=self.recipe_version,
            schedule=schedule_expression,
            only_when_dependencies_updated=only_when_dependencies_updated,
            schedule_timezone=schedule_timezone,
            **builds,
        )
        self.image: imagebuilder.CfnImage | None = (
            build_image_on_deploy(self, line=line, execution_policy=self.execution_policy, **builds)
            if build_on_deploy
            else None
        )

        self.image_arn_prefix = image_arn_prefix(prefix)
        notify_builds(self, topic=self.topic, line=line, image_prefix=self.image_arn_prefix)
        self.promotion_function: lambda_.Function | None = None
        if promote and next_channel is not None:
            promotion = build_promotion(
                self,
                catalog=catalog,
                line=line,
                channel=next_channel,
                image_prefix=self.image_arn_prefix,
                regions=regions,
                topic=self.topic,
                severity_threshold=str(FindingSeverity(severity_threshold).value),
                max_findings=max_findings,
                image_tests=image_tests,
                source={
                    "PIPELINE_ARN": self.pipeline.attr_arn,
                    "INFRASTRUCTURE_ARN": self.infrastructure.attr_arn,
                    "DISTRIBUTION_ARN": self.distribution.attr_arn,
                    "ALLOW_DEPLOY_IMAGE": "true" if self.image is not None else "false",
                },
            )
            self.promotion_function = promotion.function
            self.promotion_dead_letters = promotion.dead_letters

        self.lifecycle_role, self.lifecycle_policy = build_lifecycle(
            self,
            prefix=prefix,
            line=line,
            version=version,
            recipe=self.recipe,
            kept_channel=next_channel or catalog.first_channel,
            keep_at_least=keep_at_least,
            deprecate_after_days=deprecate_after_days,
            delete_after_days=delete_after_days,
            keep_launched_within_days=keep_launched_within_days,
        )
