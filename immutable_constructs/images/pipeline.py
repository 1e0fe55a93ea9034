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

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_imagebuilder as imagebuilder
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .._private.origin import record_origin
from .._private.props import checked
from ._checks import check_pipeline
from ._names import FindingSeverity
from ._pipeline_steps import (
    PipelineProps,
    Plan,
    build_build_infrastructure,
    build_builds,
    build_distribution_steps,
    build_lifecycle_step,
    build_promotion_step,
    build_sources,
)
from ._props import PIPELINE
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
    :param distribution_kms_keys: region -> ARN of the KMS key, or of its alias (e.g. an ImageDistributionKey's
        ``alias_arn``), that encrypts the AMI's copy in that region (``KmsKeyId`` of the region's AMI
        distribution). KMS keys are regional, and a copy without one is encrypted with the region's default EBS
        key, which no other account can use.
        Default: none (the pipeline's region keeps the pipeline key). Required for every other distribution
        region when the AMI is shared (``distribution_accounts`` or ``launch_permission_*``); each key's
        policy must let this account and the consumers use it (docs/golden-images.md, "AMIs used by other
        accounts").
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

    # What the build steps (_pipeline_steps.py) make, set on the pipeline as they go.
    key: kms.IKey
    components: dict[str, imagebuilder.CfnComponent]
    component_versions: dict[str, str]
    recipe: imagebuilder.CfnImageRecipe
    recipe_version: str
    content_hash: str
    topic: sns.ITopic
    log_bucket: s3.Bucket
    security_group: ec2.SecurityGroup
    instance_role: iam.Role
    instance_profile: iam.InstanceProfile
    infrastructure: imagebuilder.CfnInfrastructureConfiguration
    _instance_policy: iam.Policy
    _instances_arn: str
    distribution: imagebuilder.CfnDistributionConfiguration
    execution_role: iam.IRole
    execution_policy: iam.Policy | None
    pipeline: imagebuilder.CfnImagePipeline
    image: imagebuilder.CfnImage | None
    image_arn_prefix: str
    promotion_function: lambda_.Function | None
    promotion_dead_letters: sqs.Queue
    lifecycle_role: iam.Role
    lifecycle_policy: imagebuilder.CfnLifecyclePolicy

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
        distribution_kms_keys: Mapping[str, str] | None = None,
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
        props = PipelineProps.of(locals())
        plan = Plan.of(self, props, check_pipeline(self, props.given()))
        self.catalog = catalog
        self.image_line = plan.line
        self.parameter_name = catalog.parameter_name(plan.line, catalog.first_channel)
        build_sources(self, props, plan)
        build_build_infrastructure(self, props, plan)
        build_distribution_steps(self, props, plan)
        build_builds(self, props, plan)
        build_promotion_step(self, props, plan)
        build_lifecycle_step(self, props, plan)
