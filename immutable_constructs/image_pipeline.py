"""A golden image pipeline: EC2 Image Builder (L1 resources) with versions derived from content.

``GoldenImagePipeline`` bakes AMIs from a parent image and components, publishes each new AMI
to an :class:`~immutable_constructs.AmiCatalog` channel (``candidate``) through Image Builder's
own SSM distribution, promotes it to the next channel (``stable``) when its tests passed and its
Inspector scan is clean enough, and expires old AMIs with a lifecycle policy.

Versions from content: Image Builder components and recipes are immutable (every property but
Tags is create-only, and a name+version exists once). Their versions are
``<major>.<minor>.<patch>`` where ``major.minor`` is the ``version`` prop and ``patch`` is the
first 28 bits of a sha256 over a canonical JSON of everything that defines the resource (see
``_private/content_hash.py``). Unchanged content gives a byte-identical template and no new
image; changed content gives new versions. Reverting (A -> B -> A) is safe: a version change
replaces the resource, CloudFormation creates the replacement (version A again) before it
deletes B, and A's old resource was deleted when B replaced it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from aws_cdk import (
    Acknowledgment,
    Annotations,
    Aws,
    Duration,
    Names,
    RemovalPolicy,
    Stack,
    Validations,
)
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_imagebuilder as imagebuilder
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ._private.arns import instance_arn
from ._private.checkov import skip_checkov
from ._private.content_hash import BASE_VERSION, content_hash, versioned
from ._private.image_builder_roles import (
    create_execution_role,
    execution_statements,
    grant_execution,
    inventory_statements,
    inventory_wildcard_reasons,
)
from ._private.kms_grants import (
    allow_autoscaling_service_linked_role,
    allow_consuming_accounts,
    allow_image_builder_service_linked_role,
)
from ._private.nag import acknowledge_wildcards
from ._private.pipeline_checks import (
    check_pipeline_types,
    check_pipeline_values,
    component_problem,
    file_problem,
    managed_problem,
    parent_problem,
)
from ._private.secure_bucket import secure_bucket
from ._private.subnets import select as select_subnets
from ._private.validation import Problems
from .ami_catalog import AmiCatalog

__all__ = ["GoldenImagePipeline", "ImageComponent", "ParentImage"]

_HANDLERS = Path(__file__).resolve().parent / "_handlers"
_COMPONENT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_MANAGED_VERSION = re.compile(r"^([0-9]+|x)\.([0-9]+|x)\.([0-9]+|x)$")
_MANAGED_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,125}$")
_ACCOUNT = re.compile(r"^[0-9]{12}$")
_ORGANIZATION_ARN = re.compile(r"^arn:aws[a-z-]*:organizations::[0-9]{12}:organization/o-[a-z0-9]{10,32}$")
_OU_ARN = re.compile(r"^arn:aws[a-z-]*:organizations::[0-9]{12}:ou/o-[a-z0-9]{10,32}/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$")
_DATA_DEVICE = re.compile(r"^/dev/(sd|xvd)[b-z]$")
_MAX_DATA = 16000
SEVERITIES = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
TAG_CONTENT_HASH = "immutable-constructs:content-hash"
TAG_SOURCE_REVISION = "immutable-constructs:source-revision"
TAG_BUILD_DATE = "immutable-constructs:build-date"
TAG_IMAGE_LINE = "immutable-constructs:image-line"
TAG_PROMOTED = "immutable-constructs:promoted"
_WARN_UNPINNED_COMPONENT = "immutable-constructs:unpinnedManagedComponent"
_WARN_NO_SCAN = "immutable-constructs:imageScanningOff"
_WARN_IMPORTED_KEY = "immutable-constructs:importedPipelineKey"


class ImageComponent:
    """One build or test step of an image: a component document of yours, or an AWS-managed component.

    Use the factories: :meth:`from_file`, :meth:`from_yaml`, :meth:`from_dict`, :meth:`aws_managed`.
    ``parameters`` (name -> value or list of values) are passed to the component in the recipe.
    """

    def __init__(
        self,
        *,
        name: str,
        data: str | None = None,
        managed_version: str | None = None,
        parameters: Mapping[str, str | Sequence[str]] | None = None,
        description: str | None = None,
        source: str | None = None,
    ) -> None:
        self.name = name
        self.data = data
        self.managed_version = managed_version
        self.parameters: dict[str, list[str]] = {
            k: [v] if isinstance(v, str) else list(v) if isinstance(v, (list, tuple)) else [str(v)]
            for k, v in (parameters or {}).items()
        }
        self.description = description
        self.source = source
        # An input problem found by a factory, reported by the pipeline (which knows its construct path).
        self._problem: tuple[str, object, str, str] | None = None

    def _with_problem(self, problem: tuple[str, object, str, str] | None) -> ImageComponent:
        self._problem = problem
        return self

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        name: str | None = None,
        parameters: Mapping[str, str | Sequence[str]] | None = None,
        description: str | None = None,
    ) -> ImageComponent:
        """A component document (YAML or JSON) read from ``path``. ``name`` defaults to the file's stem."""
        resolved, problem = file_problem(path)
        file = Path(path) if isinstance(path, (str, Path)) else Path("?")
        component_name = name or file.stem.lower().replace(".", "-")
        if resolved is None:
            return cls(name=component_name, source=str(file))._with_problem(problem)
        data = resolved.read_text(encoding="utf-8")
        return cls(
            name=component_name,
            data=data,
            parameters=_parameters(parameters),
            description=description,
            source=str(file),
        )._with_problem(component_problem(component_name, data=data, parameters=parameters))

    @classmethod
    def from_yaml(
        cls,
        name: str,
        text: str,
        *,
        parameters: Mapping[str, str | Sequence[str]] | None = None,
        description: str | None = None,
    ) -> ImageComponent:
        """A component document given as YAML (or JSON) text."""
        problem = component_problem(name, data=text, parameters=parameters)
        return cls(name=name, data=text, parameters=_parameters(parameters), description=description)._with_problem(
            problem
        )

    @classmethod
    def from_dict(
        cls,
        name: str,
        document: Mapping[str, Any],
        *,
        parameters: Mapping[str, str | Sequence[str]] | None = None,
        description: str | None = None,
    ) -> ImageComponent:
        """A component document given as a dict (``schemaVersion``, ``phases``...), written as JSON (valid YAML)."""
        if not isinstance(cast(object, document), Mapping):  # callers without a type checker
            return cls(name=str(name))._with_problem(
                ("components", document, "the component document must be a dict", "pass e.g. {'phases': [...]}")
            )
        problem = component_problem(name, data=None, parameters=parameters)
        if problem is None and "phases" not in document:
            problem = ("components", name, "component document has no 'phases'", "add phases: build/validate/test")
        return cls(
            name=name,
            data=json.dumps(document, indent=2, default=str),
            parameters=_parameters(parameters),
            description=description,
        )._with_problem(problem)

    @classmethod
    def aws_managed(
        cls, name: str, version: str = "x.x.x", *, parameters: Mapping[str, str | Sequence[str]] | None = None
    ) -> ImageComponent:
        """An AWS-managed component by name and version, e.g. ``aws_managed("update-linux", "1.0.2")``.

        ``x`` parts float to the newest matching version when the image is built (a warning
        says so); a full version pins it.
        """
        problem = managed_problem(name, version, parameters)
        if problem is not None:
            return cls(name=str(name), managed_version=str(version))._with_problem(problem)
        if not _MANAGED_VERSION.fullmatch(version):
            problem = (
                "components",
                f"{name}/{version}",
                "AWS-managed component version must be <major>.<minor>.<patch>, each a number or 'x'",
                "use e.g. '1.0.2' (pinned) or '1.x.x'",
            )
        elif not _MANAGED_NAME.fullmatch(name):
            problem = ("components", name, "is not an AWS-managed component name", "use e.g. 'update-linux'")
        return cls(name=name, managed_version=version, parameters=_parameters(parameters))._with_problem(problem)

    @property
    def is_managed(self) -> bool:
        return self.managed_version is not None

    def __repr__(self) -> str:
        kind = f"aws_managed {self.managed_version}" if self.is_managed else "document"
        return f"ImageComponent({self.name!r}, {kind})"


class ParentImage:
    """The image a recipe starts from. Use the factories.

    :param reference: what the recipe's ``ParentImage`` property holds (``ssm:<name>``, an image ARN or an
        AMI id).
    :param description: how the image is described in the recipe's description.
    :param parameter_name: the SSM parameter the AMI id is read from when a build starts, which the
        pipeline's execution role is allowed to read. Default: ``None`` (the parent is not an SSM
        parameter).
    """

    def __init__(self, reference: str, *, description: str, parameter_name: str | None = None) -> None:
        self.reference = reference
        self.description = description
        #: The SSM parameter the AMI id is read from when a build starts (the execution role reads it).
        self.parameter_name = parameter_name
        # An input problem found by a factory, reported by the pipeline (which knows its construct path).
        self._problem: tuple[str, object, str, str] | None = None

    def _with_problem(self, problem: tuple[str, object, str, str] | None) -> ParentImage:
        self._problem = problem
        return self

    @classmethod
    def ssm_parameter(cls, name: str) -> ParentImage:
        """The AMI in an SSM parameter, read when each build starts (``ssm:<name>``).

        E.g. ``/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64``. With a
        schedule that runs only when dependencies updated, a new parent AMI triggers a build.
        """
        return cls(f"ssm:{name}", description=f"ssm parameter {name}", parameter_name=name)._with_problem(
            parent_problem("ssm_parameter", name)
        )

    @classmethod
    def from_catalog(cls, catalog: AmiCatalog, line: str, channel: str = "stable") -> ParentImage:
        """An image line of an :class:`AmiCatalog` channel (layered golden images)."""
        return cls.ssm_parameter(catalog.parameter_name(line, channel))

    @classmethod
    def managed(cls, name: str, version: str = "x.x.x") -> ParentImage:
        """An Image Builder managed image, e.g. ``managed("amazon-linux-2023-x86")``."""
        arn = f"arn:{Aws.PARTITION}:imagebuilder:{Aws.REGION}:aws:image/{name}/{version}"
        return cls(arn, description=f"managed image {name}/{version}")._with_problem(
            parent_problem("managed", name, version)
        )

    @classmethod
    def ami(cls, ami_id: str) -> ParentImage:
        """A fixed AMI id (``ami-...``): fully pinned, never updated."""
        return cls(str(ami_id), description=str(ami_id))._with_problem(parent_problem("ami", ami_id))

    def __repr__(self) -> str:
        return f"ParentImage({self.reference!r})"


class GoldenImagePipeline(Construct):
    """EC2 Image Builder pipeline whose images are versioned by content and published to an AMI catalog.

    :param catalog: the :class:`AmiCatalog` the AMIs are published to. Required.
    :param image_line: the catalog line this pipeline builds. Default: the catalog's first line.
    :param parent_image: what the recipe starts from (:class:`ParentImage`). Required.
    :param components: the build/test steps, in order (:class:`ImageComponent`). At least one.
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
    :param severity_threshold: findings at or above it count against promotion. Default ``"HIGH"``.
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
        severity_threshold: str = "HIGH",
        max_findings: int = 0,
        keep_at_least: int = 3,
        deprecate_after_days: int = 30,
        delete_after_days: int = 90,
        keep_launched_within_days: int = 30,
        source_revision: str | None = None,
        terminate_on_failure: bool = True,
        build_on_deploy: bool = False,
        execution_role: iam.IRole | None = None,
    ) -> None:
        super().__init__(scope, id)
        problems = Problems(self)
        check_pipeline_types(
            problems,
            component_type=ImageComponent,
            parent_type=ParentImage,
            catalog=catalog,
            parent_image=parent_image,
            components=components,
            vpc=vpc,
            image_line=image_line,
            vpc_subnets=vpc_subnets,
            version=version,
            instance_types=instance_types,
            root_volume_size=root_volume_size,
            root_device_name=root_device_name,
            data_volumes=data_volumes,
            working_directory=working_directory,
            schedule=schedule,
            only_when_dependencies_updated=only_when_dependencies_updated,
            schedule_timezone=schedule_timezone,
            image_tests=image_tests,
            image_scanning=image_scanning,
            encryption_key=encryption_key,
            distribution_regions=distribution_regions,
            distribution_accounts=distribution_accounts,
            launch_permission_accounts=launch_permission_accounts,
            launch_permission_organizations=launch_permission_organizations,
            launch_permission_organizational_units=launch_permission_organizational_units,
            notification_topic=notification_topic,
            promote=promote,
            severity_threshold=severity_threshold,
            max_findings=max_findings,
            keep_at_least=keep_at_least,
            deprecate_after_days=deprecate_after_days,
            delete_after_days=delete_after_days,
            keep_launched_within_days=keep_launched_within_days,
            source_revision=source_revision,
            terminate_on_failure=terminate_on_failure,
            build_on_deploy=build_on_deploy,
            execution_role=execution_role,
        )
        check_pipeline_values(
            problems,
            instance_types=instance_types,
            schedule_timezone=schedule_timezone,
            distribution_regions=distribution_regions,
        )
        stack = Stack.of(self)
        line = image_line if image_line is not None else catalog.lines[0]
        schedule_expression = "cron(0 4 ? * MON *)" if schedule is None else schedule
        problems.require(
            bool(BASE_VERSION.fullmatch(version)),
            "version",
            version,
            "is not a valid <major>.<minor> semantic version base",
            "use two non-negative integers without leading zeros, e.g. '1.0'; the patch comes from the content hash",
        )
        problems.require(
            parent_image is not None,
            "parent_image",
            parent_image,
            "is missing: a recipe needs an image to start from",
            "pass e.g. ParentImage.ssm_parameter('/aws/service/ami-amazon-linux-latest/"
            "al2023-ami-kernel-default-x86_64')",
        )
        problems.require(
            len(components) >= 1,
            "components",
            list(components),
            "no components: the image would be its parent unchanged",
            "add at least one ImageComponent (e.g. ImageComponent.from_file('components/web.yaml'))",
        )
        if parent_image is not None and parent_image._problem is not None:
            problems.add(*parent_image._problem)
        names: set[str] = set()
        for component in components:
            if component._problem is not None:
                problems.add(*component._problem)
                continue
            if not component.is_managed:
                problems.require(
                    bool(_COMPONENT_NAME.fullmatch(component.name)),
                    "components",
                    component.name,
                    "component name must be 1-63 lower-case letters, digits, '-' or '_'",
                    "rename it, e.g. 'install-web'",
                )
                data = component.data or ""
                problems.require(
                    0 < len(data) <= _MAX_DATA and "\x00" not in data,
                    "components",
                    component.name,
                    f"component document must be 1-{_MAX_DATA} characters without NUL (has {len(data)})",
                    "split it into several components",
                )
                problems.require(
                    component.name not in names,
                    "components",
                    component.name,
                    "two components have the same name",
                    "give each component its own name",
                )
                names.add(component.name)
        problems.require(
            line in catalog.lines,
            "image_line",
            line,
            f"is not a line of the catalog ({', '.join(catalog.lines)})",
            "use one of the catalog's lines or add it to AmiCatalog(lines=[...])",
        )
        problems.require(
            isinstance(root_volume_size, int) and 1 <= root_volume_size <= 16000,
            "root_volume_size",
            root_volume_size,
            "must be 1-16000 GiB",
            "use e.g. 30",
        )
        for device, size in (data_volumes or {}).items():
            problems.require(
                bool(_DATA_DEVICE.fullmatch(device)) and device != root_device_name,
                "data_volumes",
                device,
                "is not a data volume device name (/dev/sd[b-z] or /dev/xvd[b-z], not the root device)",
                "use e.g. '/dev/sdf'",
            )
            problems.require(
                isinstance(size, int) and not isinstance(size, bool) and 1 <= size <= 16000,
                "data_volumes",
                f"{device}={size}",
                "volume size must be 1-16000 GiB",
                "use e.g. {'/dev/sdf': 100}",
            )
        if schedule_expression:
            problems.schedule(
                "schedule",
                schedule_expression,
                rate=False,
                what="an Image Builder cron expression",
                fix="use e.g. 'cron(0 4 ? * MON *)', or '' for manual runs",
            )
        # (prop, values, pattern, reason, example): every value of every prop must match its pattern.
        formats: tuple[tuple[str, Sequence[str], re.Pattern[str], str, str], ...] = (
            ("distribution_accounts", distribution_accounts, _ACCOUNT, "a 12-digit AWS account id", "'123456789012'"),
            (
                "launch_permission_accounts",
                launch_permission_accounts,
                _ACCOUNT,
                "a 12-digit AWS account id",
                "'123456789012'",
            ),
            (
                "launch_permission_organizations",
                launch_permission_organizations,
                _ORGANIZATION_ARN,
                "an organization ARN",
                "'arn:aws:organizations::123456789012:organization/o-abcdefghij'",
            ),
            (
                "launch_permission_organizational_units",
                launch_permission_organizational_units,
                _OU_ARN,
                "an organizational unit ARN",
                "'arn:aws:organizations::123456789012:ou/o-abcdefghij/ou-ab12-cdefgh34'",
            ),
        )
        for prop, values, pattern, what, example in formats:
            for value in values:
                problems.require(bool(pattern.fullmatch(value)), prop, value, f"is not {what}", f"e.g. {example}")
        problems.require(
            severity_threshold in SEVERITIES,
            "severity_threshold",
            severity_threshold,
            f"must be one of {', '.join(SEVERITIES)}",
            "use e.g. 'HIGH'",
        )
        problems.require(
            isinstance(max_findings, int) and not isinstance(max_findings, bool) and max_findings >= 0,
            "max_findings",
            max_findings,
            "must be an integer >= 0",
            "use 0 to promote only images without findings at or above the threshold",
        )
        problems.require(
            not (promote and not image_scanning),
            "image_scanning",
            image_scanning,
            "promotion is on but images are not scanned, so the findings threshold cannot be checked",
            "keep image_scanning=True, or set promote=False",
        )
        problems.require(
            isinstance(keep_at_least, int) and 1 <= keep_at_least <= 10,
            "keep_at_least",
            keep_at_least,
            "must be 1-10 (Image Builder's RetainAtLeast)",
            "use e.g. 3",
        )
        problems.require(
            isinstance(keep_launched_within_days, int) and 1 <= keep_launched_within_days <= 365,
            "keep_launched_within_days",
            keep_launched_within_days,
            "must be 1-365",
            "use e.g. 30",
        )
        problems.require(
            isinstance(deprecate_after_days, int)
            and isinstance(delete_after_days, int)
            and 1 <= deprecate_after_days < delete_after_days <= 1000,
            "deprecate_after_days/delete_after_days",
            (deprecate_after_days, delete_after_days),
            "need 1 <= deprecate_after_days < delete_after_days <= 1000",
            "e.g. deprecate after 30 days, delete after 90",
        )
        subnets = vpc_subnets or ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        selection = select_subnets(vpc, subnets)
        public_ids = {s.subnet_id for s in vpc.public_subnets}
        problems.require(
            bool(selection.subnet_ids),
            "vpc_subnets",
            vpc_subnets,
            "selects no subnet",
            "give the VPC private subnets with egress, or select subnets explicitly",
        )
        problems.require(
            not any(s in public_ids for s in selection.subnet_ids),
            "vpc_subnets",
            vpc_subnets,
            "selects public subnets: build instances must not be reachable from the internet",
            "select private subnets with egress",
        )
        problems.raise_if_any()
        assert parent_image is not None

        self.catalog = catalog
        self.image_line = line
        self.parameter_name = catalog.parameter_name(line, catalog.first_channel)
        prefix = _physical_prefix(self)

        self.key: kms.IKey = encryption_key or kms.Key(
            self,
            "Key",
            description=f"Golden image pipeline {self.node.path}: volumes, components, logs, notifications",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

        # --- components and recipe, versioned by content ----------------------------------
        self.component_versions: dict[str, str] = {}
        self.components: dict[str, imagebuilder.CfnComponent] = {}
        recipe_components: list[imagebuilder.CfnImageRecipe.ComponentConfigurationProperty] = []
        recipe_identity: list[Any] = []
        for component in components:
            parameters = [
                imagebuilder.CfnImageRecipe.ComponentParameterProperty(name=k, value=v)
                for k, v in component.parameters.items()
            ] or None
            if component.is_managed:
                arn = (
                    f"arn:{Aws.PARTITION}:imagebuilder:{Aws.REGION}:aws:component/"
                    f"{component.name}/{component.managed_version}"
                )
                if "x" in str(component.managed_version):
                    Annotations.of(self).add_warning_v2(
                        _WARN_UNPINNED_COMPONENT,
                        f"AWS-managed component {component.name}/{component.managed_version} floats: builds "
                        "pick its newest matching version, so the same recipe version can bake different "
                        "content. Pin a full version for reproducible images.",
                    )
                recipe_identity.append(
                    {
                        "managed": component.name,
                        "version": component.managed_version,
                        "parameters": component.parameters,
                    }
                )
            else:
                identity = {
                    "name": component.name,
                    "platform": "Linux",
                    "data": component.data,
                    "description": component.description,
                    "kms": stack.resolve(self.key.key_arn),
                    "base": version,
                }
                digest = content_hash(identity)
                component_version = versioned(version, digest)
                self.component_versions[component.name] = component_version
                cfn_component = imagebuilder.CfnComponent(
                    self,
                    _component_id(self, component.name),
                    name=f"{prefix}-{component.name}",
                    platform="Linux",
                    version=component_version,
                    data=component.data,
                    description=component.description,
                    change_description=f"content sha256 {digest}",
                    kms_key_id=self.key.key_arn,
                    tags={TAG_CONTENT_HASH: digest, TAG_IMAGE_LINE: line},
                )
                self.components[component.name] = cfn_component
                arn = cfn_component.attr_arn
                recipe_identity.append(
                    {"component": component.name, "version": component_version, "parameters": component.parameters}
                )
            recipe_components.append(
                imagebuilder.CfnImageRecipe.ComponentConfigurationProperty(component_arn=arn, parameters=parameters)
            )

        # The root volume first, then the data volumes by device name: every one encrypted with the key.
        volumes = [(root_device_name, root_volume_size), *sorted((data_volumes or {}).items())]
        block_devices = [
            imagebuilder.CfnImageRecipe.InstanceBlockDeviceMappingProperty(
                device_name=device,
                ebs=imagebuilder.CfnImageRecipe.EbsInstanceBlockDeviceSpecificationProperty(
                    encrypted=True,
                    kms_key_id=self.key.key_arn,
                    volume_size=size,
                    volume_type="gp3",
                    delete_on_termination=True,
                ),
            )
            for device, size in volumes
        ]
        recipe_description = f"{line} golden image from {parent_image.description}"
        self.content_hash = content_hash(
            {
                "parent": stack.resolve(parent_image.reference),
                "components": recipe_identity,
                "block_devices": stack.resolve(block_devices),
                "working_directory": working_directory,
                "description": recipe_description,
                "base": version,
            }
        )
        self.recipe_version = versioned(version, self.content_hash)
        self.recipe = imagebuilder.CfnImageRecipe(
            self,
            "Recipe",
            name=f"{prefix}-recipe",
            version=self.recipe_version,
            parent_image=parent_image.reference,
            components=recipe_components,
            block_device_mappings=block_devices,
            working_directory=working_directory,
            description=recipe_description,
            tags={TAG_CONTENT_HASH: self.content_hash, TAG_IMAGE_LINE: line},
        )

        # --- notifications ---------------------------------------------------------------
        self._allow_services_to_use_key(
            topic=notification_topic is None,
            sharing={
                "accounts": [*launch_permission_accounts, *distribution_accounts],
                "organizations": launch_permission_organizations,
                "organizational_units": launch_permission_organizational_units,
            },
        )
        if notification_topic is None:
            self.topic: sns.ITopic = sns.Topic(
                self, "Notifications", master_key=self.key, enforce_ssl=True, display_name=f"{line} image builds"
            )
        else:
            self.topic = notification_topic

        # --- build infrastructure: cattle ------------------------------------------------
        self.log_bucket = secure_bucket(
            self,
            "BuildLogs",
            key=self.key,
            lifecycle_rules=[
                s3.LifecycleRule(expiration=Duration.days(365), noncurrent_version_expiration=Duration.days(30))
            ],
            no_access_logs_reason="Build logs are written only by this pipeline's build instances; logging access to a "
            "log bucket needs yet another bucket. Versioned, KMS-encrypted, SSL-only, retained.",
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "BuildSecurityGroup",
            vpc=vpc,
            description="Image Builder build and test instances: no ingress",
            allow_all_outbound=True,
        )
        self.instance_role = iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="Image Builder build/test instances: Run Command channel, components, logs (scoped)",
        )
        component_arns = [c.attr_arn for c in self.components.values()]
        self._instances_arn = instance_arn(self)
        self._instance_policy = iam.Policy(
            self,
            "InstancePolicy",
            roles=[self.instance_role],
            statements=[
                # Registration can be scoped to instances; the channel actions cannot (checkov CKV_AWS_111).
                iam.PolicyStatement(
                    sid="AgentRegistration",
                    actions=["ssm:UpdateInstanceInformation"],
                    resources=[self._instances_arn],
                ),
                iam.PolicyStatement(
                    sid="RunCommandChannel",
                    actions=[
                        "ssm:ListInstanceAssociations",
                        "ssm:ListAssociations",
                        "ssmmessages:CreateControlChannel",
                        "ssmmessages:CreateDataChannel",
                        "ssmmessages:OpenControlChannel",
                        "ssmmessages:OpenDataChannel",
                        "ec2messages:AcknowledgeMessage",
                        "ec2messages:DeleteMessage",
                        "ec2messages:FailMessage",
                        "ec2messages:GetEndpoint",
                        "ec2messages:GetMessages",
                        "ec2messages:SendReply",
                    ],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="Components",
                    actions=["imagebuilder:GetComponent"],
                    resources=[
                        *component_arns,
                        f"arn:{Aws.PARTITION}:imagebuilder:{Aws.REGION}:aws:component/*",
                    ],
                ),
                iam.PolicyStatement(
                    sid="BuildLogs",
                    actions=["s3:PutObject"],
                    resources=[self.log_bucket.arn_for_objects(f"{line}/*")],
                ),
                iam.PolicyStatement(
                    sid="BuildLogsEncryption",
                    actions=["s3:GetEncryptionConfiguration"],
                    resources=[self.log_bucket.bucket_arn],
                ),
                iam.PolicyStatement(
                    sid="Key", actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[self.key.key_arn]
                ),
                # Inventory and associations, which Amazon Inspector's scan of the test instance relies on.
                *inventory_statements(self._instances_arn),
            ],
        )
        acknowledge_wildcards(
            self._instance_policy,
            {
                "*": "The SSM agent's Run Command channel (ssm/ssmmessages/ec2messages) has no resource-level "
                "permissions; Image Builder drives every build through it.",
                self._instances_arn: "Build instances are launched by Image Builder with ids unknown at synth time; "
                "the agent registers only itself (ssm:UpdateInstanceInformation).",
                f"arn:{Aws.PARTITION}:imagebuilder:{Aws.REGION}:aws:component/*": "AWS-managed components are "
                "owned by AWS and versioned by Image Builder; reading them (GetComponent) is all this grants.",
                self.log_bucket.arn_for_objects(f"{line}/*"): "Build logs are written under this line's prefix "
                "of the pipeline's own bucket; object names are chosen by Image Builder.",
                **inventory_wildcard_reasons(self._instances_arn),
            },
        )
        self.instance_profile = iam.InstanceProfile(self, "InstanceProfile", role=self.instance_role)
        self.infrastructure = imagebuilder.CfnInfrastructureConfiguration(
            self,
            "Infrastructure",
            name=f"{prefix}-infrastructure",
            instance_profile_name=self.instance_profile.instance_profile_name,
            instance_types=list(instance_types),
            subnet_id=selection.subnet_ids[0],
            security_group_ids=[self.security_group.security_group_id],
            instance_metadata_options=imagebuilder.CfnInfrastructureConfiguration.InstanceMetadataOptionsProperty(
                http_tokens="required", http_put_response_hop_limit=1
            ),
            logging=imagebuilder.CfnInfrastructureConfiguration.LoggingProperty(
                s3_logs=imagebuilder.CfnInfrastructureConfiguration.S3LogsProperty(
                    s3_bucket_name=self.log_bucket.bucket_name, s3_key_prefix=line
                )
            ),
            sns_topic_arn=self.topic.topic_arn,
            terminate_instance_on_failure=terminate_on_failure,
            resource_tags={TAG_IMAGE_LINE: line},
            description=f"{line} build instances: private subnet, no key pair, no ingress, IMDSv2",
        )
        if not terminate_on_failure:
            Annotations.of(self).add_warning_v2(
                "immutable-constructs:buildInstanceKeptOnFailure",
                "terminate_on_failure=False keeps failed build instances running (and billed) for debugging; "
                "connect with Session Manager, never change them, and terminate them when done.",
            )

        # --- distribution: AMI id -> catalog parameter -----------------------------------
        regions = list(distribution_regions) if distribution_regions else [stack.region]
        # The L1 types this property as plain JSON, so the keys are written as CloudFormation spells them.
        launch_permission: dict[str, list[str]] = {}
        if launch_permission_accounts:
            launch_permission["UserIds"] = list(launch_permission_accounts)
        if launch_permission_organizations:
            launch_permission["OrganizationArns"] = list(launch_permission_organizations)
        if launch_permission_organizational_units:
            launch_permission["OrganizationalUnitArns"] = list(launch_permission_organizational_units)
        ami_tags = {
            TAG_CONTENT_HASH: self.content_hash,
            TAG_SOURCE_REVISION: source_revision or "unknown",
            TAG_BUILD_DATE: "{{imagebuilder:buildDate}}",
            TAG_IMAGE_LINE: line,
        }
        distributions = []
        for region in regions:
            ssm_configs = [
                imagebuilder.CfnDistributionConfiguration.SsmParameterConfigurationProperty(
                    parameter_name=self.parameter_name, data_type="aws:ec2:image"
                )
            ]
            ssm_configs += [
                imagebuilder.CfnDistributionConfiguration.SsmParameterConfigurationProperty(
                    parameter_name=self.parameter_name, data_type="aws:ec2:image", ami_account_id=account
                )
                for account in distribution_accounts
            ]
            distributions.append(
                imagebuilder.CfnDistributionConfiguration.DistributionProperty(
                    region=region,
                    ami_distribution_configuration={
                        "Name": f"{line}-{{{{imagebuilder:buildDate}}}}",
                        "Description": f"{line} golden image, recipe {self.recipe_version}",
                        "AmiTags": ami_tags,
                        **({"TargetAccountIds": list(distribution_accounts)} if distribution_accounts else {}),
                        **({"LaunchPermissionConfiguration": launch_permission} if launch_permission else {}),
                    },
                    ssm_parameter_configurations=ssm_configs,
                )
            )
        self.distribution = imagebuilder.CfnDistributionConfiguration(
            self,
            "Distribution",
            name=f"{prefix}-distribution",
            distributions=distributions,
            description=f"{line} AMIs and their catalog parameter {self.parameter_name}",
        )
        # --- execution role: what Image Builder acts as (_private/image_builder_roles.py) ---
        statements = execution_statements(
            region=stack.region,
            account=stack.account,
            catalog_parameter=self.parameter_name,
            regions=regions,
            accounts=distribution_accounts,
            parent_parameter=parent_image.parameter_name,
            # A role of another stack would reference this stack's key while this stack references the role.
            notification_key=(
                self.key
                if notification_topic is None and (execution_role is None or Stack.of(execution_role) is stack)
                else None
            ),
        )
        self.execution_policy: iam.Policy | None = None
        if execution_role is None:
            created = create_execution_role(
                self, "ExecutionRole", description=f"Image Builder builds, tests and distributes {line} images"
            )
            self.execution_policy = iam.Policy(self, "ExecutionPolicy", roles=[created], statements=statements)
            acknowledge_wildcards(
                self.execution_policy,
                {"*": "ec2:DescribeImages has no resource-level permissions (needed for aws:ec2:image parameters)."},
            )
            execution_role = created
        else:
            grant_execution(execution_role, statements)
        self.execution_role: iam.IRole = execution_role

        # --- pipeline --------------------------------------------------------------------
        tests_config = imagebuilder.CfnImagePipeline.ImageTestsConfigurationProperty(
            image_tests_enabled=image_tests, timeout_minutes=90
        )
        scanning_config = imagebuilder.CfnImagePipeline.ImageScanningConfigurationProperty(
            image_scanning_enabled=image_scanning
        )
        self.pipeline = imagebuilder.CfnImagePipeline(
            self,
            "Pipeline",
            name=f"{prefix}-pipeline",
            description=f"{line} golden image: recipe {self.recipe_version}",
            image_recipe_arn=self.recipe.attr_arn,
            infrastructure_configuration_arn=self.infrastructure.attr_arn,
            distribution_configuration_arn=self.distribution.attr_arn,
            image_tests_configuration=tests_config,
            image_scanning_configuration=scanning_config,
            enhanced_image_metadata_enabled=True,
            execution_role=execution_role.role_arn,
            schedule=(
                imagebuilder.CfnImagePipeline.ScheduleProperty(
                    schedule_expression=schedule_expression,
                    pipeline_execution_start_condition=(
                        "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE"
                        if only_when_dependencies_updated
                        else "EXPRESSION_MATCH_ONLY"
                    ),
                    timezone=schedule_timezone,
                )
                if schedule_expression
                else None
            ),
            status="ENABLED",
            image_tags={TAG_IMAGE_LINE: line, TAG_CONTENT_HASH: self.content_hash},
        )
        if not image_scanning:
            Annotations.of(self).add_warning_v2(
                _WARN_NO_SCAN, "image_scanning=False: images are not scanned for CVEs by Amazon Inspector."
            )

        self.image: imagebuilder.CfnImage | None = None
        if build_on_deploy:
            self.image = imagebuilder.CfnImage(
                self,
                "Image",
                image_recipe_arn=self.recipe.attr_arn,
                infrastructure_configuration_arn=self.infrastructure.attr_arn,
                distribution_configuration_arn=self.distribution.attr_arn,
                image_tests_configuration=imagebuilder.CfnImage.ImageTestsConfigurationProperty(
                    image_tests_enabled=image_tests, timeout_minutes=90
                ),
                image_scanning_configuration=imagebuilder.CfnImage.ImageScanningConfigurationProperty(
                    image_scanning_enabled=image_scanning
                ),
                enhanced_image_metadata_enabled=True,
                execution_role=execution_role.role_arn,
                tags={TAG_IMAGE_LINE: line, TAG_CONTENT_HASH: self.content_hash},
            )
            if self.execution_policy is not None:
                # The build starts as soon as the resource is created: the role must have its policy by then.
                self.image.node.add_dependency(self.execution_policy)

        # --- events: notifications and promotion -----------------------------------------
        image_prefix = f"arn:{Aws.PARTITION}:imagebuilder:{Aws.REGION}:{Aws.ACCOUNT_ID}:image/{prefix}-recipe/"
        self.image_arn_prefix = image_prefix
        for state, rule_id in (("AVAILABLE", "BuildSucceeded"), ("FAILED", "BuildFailed")):
            events.Rule(
                self,
                rule_id,
                description=f"{line} image build {state.lower()}",
                event_pattern=events.EventPattern(
                    source=["aws.imagebuilder"],
                    detail_type=["EC2 Image Builder Image State Change"],
                    resources=events.Match.prefix(image_prefix),
                    detail={"state": {"status": [state]}},
                ),
                targets=[targets.SnsTopic(self.topic)],
            )
        events.Rule(
            self,
            "CveDetected",
            description=f"{line} image scan found vulnerabilities",
            event_pattern=events.EventPattern(
                source=["aws.imagebuilder"],
                detail_type=["EC2 Image Builder CVE Detected"],
                resources=events.Match.prefix(image_prefix),
            ),
            targets=[targets.SnsTopic(self.topic)],
        )

        self.promotion_function: lambda_.Function | None = None
        next_channel = catalog.next_channel(catalog.first_channel)
        if promote and next_channel is not None:
            self.promotion_function = self._promotion(
                line, next_channel, image_prefix, regions, severity_threshold, max_findings, image_tests
            )

        # --- lifecycle ---------------------------------------------------------------------
        self.lifecycle_role = iam.Role(
            self,
            "LifecycleRole",
            assumed_by=iam.ServicePrincipal("imagebuilder.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/EC2ImageBuilderLifecycleExecutionPolicy")
            ],
            description="Image Builder lifecycle: deprecate and delete old images of this pipeline",
        )
        Validations.of(self.lifecycle_role).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "EC2ImageBuilderLifecycleExecutionPolicy]",
                reason="EC2ImageBuilderLifecycleExecutionPolicy is the service's documented lifecycle role policy "
                "and only acts on resources tagged CreatedBy=EC2 Image Builder.",
            )
        )
        exclusions = imagebuilder.CfnLifecyclePolicy.ExclusionRulesProperty(
            amis=imagebuilder.CfnLifecyclePolicy.AmiExclusionRulesProperty(
                last_launched=imagebuilder.CfnLifecyclePolicy.LastLaunchedProperty(
                    value=keep_launched_within_days, unit="DAYS"
                ),
                tag_map={TAG_PROMOTED: next_channel or catalog.first_channel},
            )
        )
        include = imagebuilder.CfnLifecyclePolicy.IncludeResourcesProperty(amis=True, snapshots=True)
        self.lifecycle_policy = imagebuilder.CfnLifecyclePolicy(
            self,
            "Lifecycle",
            name=f"{prefix}-lifecycle",
            description=f"{line}: deprecate after {deprecate_after_days} days, delete after {delete_after_days}",
            execution_role=self.lifecycle_role.role_arn,
            resource_type="AMI_IMAGE",
            status="ENABLED",
            resource_selection=imagebuilder.CfnLifecyclePolicy.ResourceSelectionProperty(
                recipes=[
                    imagebuilder.CfnLifecyclePolicy.RecipeSelectionProperty(
                        name=self.recipe.name, semantic_version=f"{version}.x"
                    )
                ]
            ),
            policy_details=[
                imagebuilder.CfnLifecyclePolicy.PolicyDetailProperty(
                    action=imagebuilder.CfnLifecyclePolicy.ActionProperty(type="DEPRECATE"),
                    filter=imagebuilder.CfnLifecyclePolicy.FilterProperty(
                        type="AGE", value=deprecate_after_days, unit="DAYS", retain_at_least=keep_at_least
                    ),
                    exclusion_rules=exclusions,
                ),
                imagebuilder.CfnLifecyclePolicy.PolicyDetailProperty(
                    action=imagebuilder.CfnLifecyclePolicy.ActionProperty(type="DELETE", include_resources=include),
                    filter=imagebuilder.CfnLifecyclePolicy.FilterProperty(
                        type="AGE", value=delete_after_days, unit="DAYS", retain_at_least=keep_at_least
                    ),
                    exclusion_rules=exclusions,
                ),
            ],
        )
        self.lifecycle_policy.node.add_dependency(self.recipe)

    def _allow_services_to_use_key(self, *, topic: bool, sharing: Mapping[str, Sequence[str]]) -> None:
        """Let the services that use the key at run time use it (``_private/kms_grants.py`` has the documents).

        Image Builder's service-linked role (encrypted build volumes); EC2 Auto Scaling's service-linked
        role (fleets launch from AMIs whose snapshots the key encrypts); the accounts, organizations and
        OUs the AMIs are shared with or copied to; and, for the topic this construct creates, EventBridge.
        Service-linked roles are matched by ``aws:PrincipalArn``, so the policy deploys before they exist.
        """
        if not allow_image_builder_service_linked_role(self.key):
            Annotations.of(self).add_warning_v2(
                _WARN_IMPORTED_KEY,
                "encryption_key is imported, so its key policy is not changed here: it must let "
                "AWSServiceRoleForImageBuilder and AWSServiceRoleForAutoScaling use the key and create grants "
                "(EC2 Auto Scaling guide, 'Required AWS KMS key policy for use with encrypted volumes'), or "
                "every launch from these AMIs fails. See docs/golden-images.md.",
            )
            return
        allow_autoscaling_service_linked_role(self.key)
        allow_consuming_accounts(
            self.key,
            accounts=sorted({*sharing["accounts"]}),
            organization_arns=sharing["organizations"],
            organizational_unit_arns=sharing["organizational_units"],
        )
        if topic:
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="EventBridgePublishesNotifications",
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    principals=[iam.ServicePrincipal("events.amazonaws.com")],
                    resources=["*"],
                )
            )

    def _promotion(
        self,
        line: str,
        channel: str,
        image_prefix: str,
        regions: Sequence[str],
        severity_threshold: str,
        max_findings: int,
        image_tests: bool,
    ) -> lambda_.Function:
        target = self.catalog.parameter_name(line, channel)
        role = iam.Role(
            self,
            "PromotionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Promote {line} images from {self.catalog.first_channel} to {channel}",
        )
        log_group = logs.LogGroup(
            self, "PromotionLogs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=RemovalPolicy.RETAIN
        )
        # Events the function failed on after its retries (and events EventBridge could not deliver)
        # land here instead of vanishing: a build that passed but was never promoted stays visible.
        dead_letters = sqs.Queue(
            self,
            "PromotionDeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        Validations.of(dead_letters).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-SQS3",
                reason="This queue is the promotion function's dead-letter queue; it needs none of its own.",
            )
        )
        skip_checkov(
            dead_letters.node.default_child,  # type: ignore[arg-type]  # a sqs.Queue's default child is its CfnQueue
            "CKV_AWS_27",
            "Encrypted at rest with SQS-managed keys (SqsManagedSseEnabled), which this checkov version does not "
            "recognise; a KMS key would need key-policy grants for EventBridge and Lambda.",
        )
        self.promotion_dead_letters = dead_letters
        image_arns = f"{image_prefix}*"
        target_arns = [self.catalog.parameter_arn(line, channel, region=r) for r in regions]
        source_arns = [self.catalog.parameter_arn(line, self.catalog.first_channel, region=r) for r in regions]
        ami_arns = f"arn:{Aws.PARTITION}:ec2:*::image/*"
        topic_key = self.topic.master_key
        policy = iam.Policy(
            self,
            "PromotionPolicy",
            roles=[role],
            statements=[
                iam.PolicyStatement(sid="ReadImage", actions=["imagebuilder:GetImage"], resources=[image_arns]),
                iam.PolicyStatement(
                    sid="ReadFindings", actions=["imagebuilder:ListImageScanFindings"], resources=["*"]
                ),
                iam.PolicyStatement(
                    sid="WriteChannel",
                    actions=[
                        "ssm:GetParameter",
                        "ssm:GetParameterHistory",
                        "ssm:PutParameter",
                        "ssm:AddTagsToResource",
                    ],
                    resources=target_arns,
                ),
                iam.PolicyStatement(sid="TagSource", actions=["ssm:AddTagsToResource"], resources=source_arns),
                iam.PolicyStatement(sid="ValidateImage", actions=["ec2:DescribeImages"], resources=["*"]),
                iam.PolicyStatement(
                    sid="KeepPromoted",
                    actions=["ec2:CreateTags"],
                    resources=[ami_arns],
                    conditions={"ForAllValues:StringEquals": {"aws:TagKeys": [TAG_PROMOTED]}},
                ),
                iam.PolicyStatement(
                    sid="Logs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.log_group_arn],
                ),
                iam.PolicyStatement(sid="DeadLetters", actions=["sqs:SendMessage"], resources=[dead_letters.queue_arn]),
                # Every refusal is published (never a silent wait), and a scan that did not complete is
                # explained from Inspector's EC2 scanning status (no resource-level permissions).
                iam.PolicyStatement(sid="NotifyRefusals", actions=["sns:Publish"], resources=[self.topic.topic_arn]),
                iam.PolicyStatement(
                    sid="InspectorStatus", actions=["inspector2:BatchGetAccountStatus"], resources=["*"]
                ),
                *(
                    # SNS Developer Guide, "Encryption at rest": publishers to an encrypted topic need these.
                    [
                        iam.PolicyStatement(
                            sid="NotifyRefusalsEncrypted",
                            actions=["kms:Decrypt", "kms:GenerateDataKey"],
                            resources=[topic_key.key_arn],
                        )
                    ]
                    if topic_key is not None
                    else []
                ),
            ],
        )
        acknowledge_wildcards(
            policy,
            {
                image_arns: "Every build of this pipeline's recipe is a new image ARN; only this recipe's images "
                "are readable.",
                "*": "ListImageScanFindings, ec2:DescribeImages and inspector2:BatchGetAccountStatus have no "
                "resource-level permissions.",
                ami_arns: "The AMI ids are only known after each build; CreateTags is limited to the "
                f"'{TAG_PROMOTED}' tag key.",
                log_group.log_group_arn: "Log streams of the function's own log group are created per container.",
            },
        )
        function = lambda_.Function(
            self,
            "Promotion",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="index.handler",
            code=lambda_.Code.from_asset(str(_HANDLERS / "promotion"), exclude=["__pycache__", "*.pyc"]),
            # Referenced by ARN: lambda_.Function would otherwise add a DependsOn on the role that its
            # GetAtt already implies (cfn-lint W3005).
            role=iam.Role.from_role_arn(self, "PromotionRoleRef", role.role_arn, mutable=False),
            log_group=log_group,
            dead_letter_queue=dead_letters,
            timeout=Duration.minutes(1),
            memory_size=256,
            description=f"Promote {line} images from {self.catalog.first_channel} to {channel} when tests and "
            "scans pass",
            environment={
                "TARGET_PARAMETER": target,
                "SOURCE_PARAMETER": self.parameter_name,
                "LINE": line,
                "CHANNEL": channel,
                "SEVERITY_THRESHOLD": severity_threshold,
                "MAX_FINDINGS": str(max_findings),
                "REQUIRE_SCAN": "true",
                "REQUIRE_TESTS": "true" if image_tests else "false",
                "KEEP_TAG_KEY": TAG_PROMOTED,
                "KEEP_TAG_VALUE": channel,
                "NOTIFICATION_TOPIC": self.topic.topic_arn,
            },
        )
        events.Rule(
            self,
            "PromoteOnSuccess",
            description=f"Promote a new {line} image once it is AVAILABLE",
            event_pattern=events.EventPattern(
                source=["aws.imagebuilder"],
                detail_type=["EC2 Image Builder Image State Change"],
                resources=events.Match.prefix(image_prefix),
                detail={"state": {"status": ["AVAILABLE"]}},
            ),
            targets=[targets.LambdaFunction(function, retry_attempts=4, dead_letter_queue=dead_letters)],
        )
        return function


def _physical_prefix(scope: Construct) -> str:
    """A stable, lower-case name prefix unique to this construct (Image Builder ARNs are lower-case)."""
    return Names.unique_resource_name(scope, max_length=48, separator="-").lower()


def _parameters(parameters: Mapping[str, str | Sequence[str]] | None) -> Mapping[str, str | Sequence[str]] | None:
    """Parameters as given when they are a dict (the factory reported any other type); else none."""
    return parameters if isinstance(parameters, Mapping) else None


def _component_id(scope: Construct, name: str) -> str:
    """``Component<PascalName>``; when two names pascal-case alike (``install-web``, ``install_web``), the
    later one gets a suffix from a hash of its name, so both keep stable ids (the first is unchanged)."""
    candidate = f"Component{_pascal(name)}"
    if scope.node.try_find_child(candidate) is None:
        return candidate
    return f"{candidate}{hashlib.sha256(name.encode()).hexdigest()[:8].upper()}"


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name) if part)
