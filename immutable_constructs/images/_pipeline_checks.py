"""Input checks of GoldenImagePipeline, ImageComponent and ParentImage.

The pipeline calls :func:`check_pipeline_types` first thing: wrong types raise one
ValidationError at once; :func:`check_pipeline_values` adds what the vocabulary knows about
the values (cron field ranges, time zones, regions) to the pipeline's own problems. The
factories of ImageComponent and ParentImage return a problem that the pipeline reports with
its construct path.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from .._private.validation import Problems, is_unresolved

ProblemTuple = tuple[str, object, str, str]
MAX_COMPONENT_DATA = 16000  # characters of a component document (Image Builder's limit)

_INTERFACES: dict[str, tuple[Any, str]] = {
    "vpc": (ec2.IVpc, "a VPC (ec2.IVpc)"),
    "encryption_key": (kms.IKey, "a KMS key (kms.IKey)"),
    "notification_topic": (sns.ITopic, "an SNS topic (sns.ITopic)"),
    "execution_role": (iam.IRole, "an IAM role (iam.IRole)"),
}
_FLAGS = (
    "install_cloudwatch_agent",
    "only_when_dependencies_updated",
    "image_tests",
    "image_scanning",
    "promote",
    "terminate_on_failure",
    "build_on_deploy",
)
_INTS = (
    "root_volume_size",
    "max_findings",
    "keep_at_least",
    "deprecate_after_days",
    "delete_after_days",
    "keep_launched_within_days",
)
_STRINGS = (
    "image_line",
    "version",
    "root_device_name",
    "working_directory",
    "schedule",
    "schedule_timezone",
    "severity_threshold",
    "source_revision",
)
_REQUIRED = (  # props without a None default
    "version",
    "root_device_name",
    "severity_threshold",
    "instance_types",
    "distribution_accounts",
    "launch_permission_accounts",
    "launch_permission_organizations",
    "launch_permission_organizational_units",
)
_STRING_LISTS = (
    "instance_types",
    "distribution_regions",
    "distribution_accounts",
    "launch_permission_accounts",
    "launch_permission_organizations",
    "launch_permission_organizational_units",
)


def check_pipeline_types(
    problems: Problems, *, catalog_type: type, component_type: type, parent_type: type, **props: Any
) -> None:
    """Every prop of GoldenImagePipeline has its type (None = default); raises at once otherwise."""
    problems.instance(
        "catalog", props.get("catalog"), catalog_type, what="an AmiCatalog", fix="pass AmiCatalog(self, 'Images')"
    )
    if props.get("parent_image") is not None:
        problems.instance(
            "parent_image",
            props["parent_image"],
            parent_type,
            what="a ParentImage",
            fix="use ParentImage.from_ssm_parameter(...), .from_managed(...), .from_ami(...) or .from_catalog(...)",
        )
    if problems.sequence("components", props.get("components"), item="ImageComponents"):
        for index, component in enumerate(props["components"]):
            problems.instance(
                f"components[{index}]",
                component,
                component_type,
                what="an ImageComponent",
                fix="use ImageComponent.from_file(...), .from_yaml(...), .from_dict(...) or .from_aws_managed(...)",
            )
    for prop, (kind, what) in _INTERFACES.items():
        if props.get(prop) is not None or prop == "vpc":
            problems.implements(prop, props.get(prop), kind, what=what, fix=f"pass {what.split(' (')[0]}")
    if props.get("vpc_subnets") is not None:
        problems.instance(
            "vpc_subnets", props["vpc_subnets"], ec2.SubnetSelection, what="an ec2.SubnetSelection", fix="or None"
        )
    for prop in _FLAGS:
        problems.flag(prop, props.get(prop))
    for prop in _INTS:
        problems.whole_number(prop, props.get(prop))
    for prop in _STRINGS:
        if (props.get(prop) is not None or prop in _REQUIRED) and not is_unresolved(props.get(prop)):
            problems.instance(prop, props.get(prop), str, what="a string", fix="pass a string")
    for prop in _STRING_LISTS:
        values = props.get(prop)
        checked = (values is not None or prop in _REQUIRED) and problems.sequence(prop, values, item="strings")
        if checked and isinstance(values, (list, tuple)):  # not a list token
            for index, value in enumerate(values):
                if not is_unresolved(value):
                    problems.instance(f"{prop}[{index}]", value, str, what="a string", fix="pass strings")
    volumes = props.get("data_volumes")
    if volumes is not None:
        if not isinstance(volumes, Mapping):
            problems.add("data_volumes", volumes, "must be a dict of device name -> GiB", "e.g. {'/dev/sdf': 100}")
        else:
            for device, size in volumes.items():
                problems.instance("data_volumes", device, str, what="a device name", fix="e.g. '/dev/sdf'")
                problems.whole_number(f"data_volumes[{device!r}]", size, fix="e.g. {'/dev/sdf': 100}")
    problems.raise_if_any()


def check_pipeline_values(problems: Problems, **props: Any) -> None:
    """Values the vocabulary knows: instance types not empty, time zone, regions (the schedule: see the pipeline)."""
    problems.sequence("instance_types", props["instance_types"], item="instance types", allow_empty=False)
    if props.get("schedule_timezone") is not None:
        problems.time_zone("schedule_timezone", props["schedule_timezone"])
    for index, region in enumerate(props.get("distribution_regions") or ()):
        problems.region(f"distribution_regions[{index}]", region)


def component_problem(name: object, *, data: object, parameters: object, required: bool = True) -> ProblemTuple | None:
    """The first problem of a component document: its name's type, YAML shape (``phases``), parameters."""
    scratch = Problems("ImageComponent")
    is_name = scratch.instance("components", name, str, what="a component name (a string)", fix="e.g. 'install-web'")
    # A document over Image Builder's size limit is reported by the pipeline (with its size).
    if is_name and data is not None and not (isinstance(data, str) and len(data) > MAX_COMPONENT_DATA):
        scratch.yaml_document("components", data, required=("phases",) if required else (), name=str(name))
    _check_parameters(scratch, parameters)
    return _first(scratch)


def file_problem(path: object) -> tuple[Path | None, ProblemTuple | None]:
    """A component file inside the app's directory (the current directory, where cdk.json is)."""
    scratch = Problems("ImageComponent.from_file")
    file = scratch.file_inside("components", path, Path.cwd(), what="component file")
    return file, _first(scratch)


def managed_problem(name: object, version: object, parameters: object) -> ProblemTuple | None:
    """Types of an AWS-managed component's name and version (their formats: see the factory)."""
    scratch = Problems("ImageComponent.aws_managed")
    scratch.instance("components", name, str, what="a component name (a string)", fix="e.g. 'update-linux'")
    scratch.instance("components", version, str, what="a version string", fix="e.g. '1.0.2' or 'x.x.x'")
    _check_parameters(scratch, parameters)
    return _first(scratch)


def parent_problem(kind: str, value: object, version: object = "x.x.x") -> ProblemTuple | None:
    """The reference of a ParentImage factory: an AMI id, an SSM parameter name, a managed image name."""
    scratch = Problems(f"ParentImage.{kind}")
    if kind == "ami":
        scratch.ami_id("parent_image", value)
    elif kind == "ssm_parameter":
        scratch.ssm_parameter_name("parent_image", value)
    else:
        scratch.text(
            "parent_image",
            value,
            pattern=r"[a-z0-9][a-z0-9-]{0,126}",
            what="an Image Builder managed image name",
            fix="e.g. 'amazon-linux-2023-x86'",
        )
        scratch.text(
            "parent_image",
            version,
            pattern=r"([0-9]+|x)\.([0-9]+|x)\.([0-9]+|x)",
            what="a <major>.<minor>.<patch> version (numbers or 'x')",
            fix="e.g. 'x.x.x'",
        )
    return _first(scratch)


def _check_parameters(problems: Problems, parameters: object) -> None:
    if parameters is None:
        return
    if not isinstance(parameters, Mapping):
        problems.add("components", parameters, "parameters must be a dict", "e.g. {'Port': '8080'}")
        return
    for key, value in parameters.items():
        ok = isinstance(key, str) and (
            isinstance(value, str) or (isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value))
        )
        if not ok:
            problems.add(
                "components",
                {key: value},
                "a parameter must map a name to a string or a list of strings",
                "pass strings, e.g. {'Port': '8080'}",
            )


def _first(problems: Problems) -> ProblemTuple | None:
    found = problems.problems
    if not found:
        return None
    first = found[0]
    return (first.prop, first.value, first.reason, first.fix)
