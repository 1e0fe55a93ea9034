"""The values GoldenImagePipeline accepts, checked before anything is built.

The props' types come first (``_pipeline_checks.py``: wrong types raise at once); then
every value problem is collected and raised as one ValidationError naming the construct path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from aws_cdk import Stack
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from .._private.content_hash import BASE_VERSION
from .._private.subnets import select as select_subnets
from .._private.validation import Problems, is_unresolved
from ._names import SEVERITIES
from ._pipeline_checks import MAX_COMPONENT_DATA, check_pipeline_types, check_pipeline_values
from .catalog import AmiCatalog
from .sources import ImageComponent, ParentImage

DEFAULT_SCHEDULE = "cron(0 4 ? * MON *)"
MAX_DESCRIPTION = 1024  # characters of a component's description (AWS::ImageBuilder::Component)
_COMPONENT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_ACCOUNT = re.compile(r"^[0-9]{12}$")
_ORGANIZATION_ARN = re.compile(r"^arn:aws[a-z-]*:organizations::[0-9]{12}:organization/o-[a-z0-9]{10,32}$")
_OU_ARN = re.compile(r"^arn:aws[a-z-]*:organizations::[0-9]{12}:ou/o-[a-z0-9]{10,32}/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$")
_KMS_KEY_ARN = re.compile(
    r"^arn:aws[a-z-]*:kms:(?P<region>[a-z]{2}(-[a-z]+)+-[0-9]+):[0-9]{12}:"
    r"(key/[A-Za-z0-9-]{1,128}|alias/(?!aws/)[A-Za-z0-9/_-]{1,250})$"
)
_SHARING = (
    "distribution_accounts",
    "launch_permission_accounts",
    "launch_permission_organizations",
    "launch_permission_organizational_units",
)
_DATA_DEVICE = re.compile(r"^/dev/(sd|xvd)[b-z]$")
_NOT_PROPS = frozenset({"self", "scope", "id", "__class__"})


class Checked(NamedTuple):
    """What the checks worked out on the way: the image line, the build subnet, the schedule."""

    line: str
    subnet_id: str
    schedule: str


def props_of(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The props among a constructor's ``locals()`` (everything but self, scope and id)."""
    return {name: value for name, value in arguments.items() if name not in _NOT_PROPS}


def check_pipeline(scope: Construct, props: Mapping[str, Any]) -> Checked:
    """Check every prop of GoldenImagePipeline; raise one ValidationError listing every problem."""
    problems = Problems(scope)
    check_pipeline_types(
        problems, catalog_type=AmiCatalog, component_type=ImageComponent, parent_type=ParentImage, **props
    )
    check_pipeline_values(
        problems,
        instance_types=props["instance_types"],
        schedule_timezone=props["schedule_timezone"],
        distribution_regions=props["distribution_regions"],
    )
    catalog = props["catalog"]
    line = props["image_line"] if props["image_line"] is not None else catalog.lines[0]
    schedule = DEFAULT_SCHEDULE if props["schedule"] is None else props["schedule"]
    _check_sources(problems, props["version"], props["parent_image"], props["components"])
    problems.require(
        line in catalog.lines,
        "image_line",
        line,
        f"is not a line of the catalog ({', '.join(catalog.lines)})",
        "use one of the catalog's lines or add it to AmiCatalog(lines=[...])",
    )
    problems.require(
        getattr(catalog, "owner_account", None) is None,
        "catalog",
        catalog.node.path,
        f"reads the parameters account {getattr(catalog, 'owner_account', None)} shares with this one, but a "
        "pipeline writes (and promotes to) its own account's parameters, and shared parameters are read-only",
        "give the pipeline a catalog without owner_account (AmiCatalog(self, 'Images', lines=[...]))",
    )
    _check_volumes(problems, props["root_volume_size"], props["root_device_name"], props["data_volumes"])
    if schedule:
        problems.schedule(
            "schedule",
            schedule,
            rate=False,
            what="an Image Builder cron expression",
            fix="use e.g. 'cron(0 4 ? * MON *)', or '' for manual runs",
        )
    problems.require(
        bool(schedule) or props["schedule_timezone"] is None,
        "schedule_timezone",
        props["schedule_timezone"],
        "has no effect: schedule='' runs the pipeline manually only",
        "drop schedule_timezone, or give a schedule, e.g. schedule='cron(0 4 ? * MON *)'",
    )
    _check_sharing(problems, props)
    _check_distribution_keys(problems, props, Stack.of(scope).region)
    _check_promotion_and_lifecycle(problems, props)
    subnet_ids = _check_subnets(problems, props["vpc"], props["vpc_subnets"])
    problems.raise_if_any()
    return Checked(line=line, subnet_id=subnet_ids[0], schedule=schedule)


def _check_sources(
    problems: Problems, version: str, parent_image: ParentImage | None, components: Sequence[ImageComponent]
) -> None:
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
        "pass e.g. ParentImage.from_ssm_parameter('/aws/service/ami-amazon-linux-latest/"
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
        if component.is_managed:
            continue
        problems.require(
            bool(_COMPONENT_NAME.fullmatch(component.name)),
            "components",
            component.name,
            "component name must be 1-63 lower-case letters, digits, '-' or '_'",
            "rename it, e.g. 'install-web'",
        )
        data = component.data or ""
        problems.require(
            0 < len(data) <= MAX_COMPONENT_DATA and "\x00" not in data,
            "components",
            component.name,
            f"component document must be 1-{MAX_COMPONENT_DATA} characters without NUL (has {len(data)})",
            "split it into several components",
        )
        description = component.description
        problems.require(
            description is None or 0 < len(description) <= MAX_DESCRIPTION,
            "components",
            component.name,
            f"its description has {len(description or '')} characters; Image Builder takes 1 to {MAX_DESCRIPTION}",
            f"shorten the description to at most {MAX_DESCRIPTION} characters",
        )
        problems.require(
            component.name not in names,
            "components",
            component.name,
            "two components have the same name",
            "give each component its own name",
        )
        names.add(component.name)


def _check_volumes(
    problems: Problems, root_volume_size: int, root_device_name: str, data_volumes: Mapping[str, int] | None
) -> None:
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


def _check_sharing(problems: Problems, props: Mapping[str, Any]) -> None:
    """Every value of every sharing prop must match its pattern."""
    account = (_ACCOUNT, "a 12-digit AWS account id", "'123456789012'")
    formats: dict[str, tuple[re.Pattern[str], str, str]] = {
        "distribution_accounts": account,
        "launch_permission_accounts": account,
        "launch_permission_organizations": (
            _ORGANIZATION_ARN,
            "an organization ARN",
            "'arn:aws:organizations::123456789012:organization/o-abcdefghij'",
        ),
        "launch_permission_organizational_units": (
            _OU_ARN,
            "an organizational unit ARN",
            "'arn:aws:organizations::123456789012:ou/o-abcdefghij/ou-ab12-cdefgh34'",
        ),
    }
    for prop, (pattern, what, example) in formats.items():
        for value in props[prop]:
            problems.require(bool(pattern.fullmatch(value)), prop, value, f"is not {what}", f"e.g. {example}")


def _check_distribution_keys(problems: Problems, props: Mapping[str, Any], home: str) -> None:
    """Each key is a key ARN of its own distribution region; a shared AMI has a key in every other region.

    A copy without ``KmsKeyId`` is encrypted with the region's default EBS key; AMIs encrypted with an AWS
    managed key cannot be shared (Amazon EBS User Guide, "Share an Amazon EBS snapshot": *You can't share
    snapshots that are encrypted with the default AWS managed key*; Image Builder User Guide, "Set up cross-account
    AMI distribution", "Limits": without ``KmsKeyId`` the default EBS key is used), so the
    accounts, organizations and OUs the AMI is shared with could not launch it there. Skipped when the
    stack's region is a token (which region is home is unknown).
    """
    keys = props["distribution_kms_keys"] or {}
    regions = list(props["distribution_regions"] or ([] if is_unresolved(home) else [home]))
    for region, key in keys.items():
        problems.require(
            region in regions,
            "distribution_kms_keys",
            {region: key},
            f"names region {region!r}, which is not a distribution region ({', '.join(regions) or 'none'})",
            "key only the regions in distribution_regions",
        )
        match = _KMS_KEY_ARN.fullmatch(key) if isinstance(key, str) and not is_unresolved(key) else None
        problems.require(
            is_unresolved(key) or (match is not None and match.group("region") == region),
            "distribution_kms_keys",
            {region: key},
            f"is not the ARN of a customer managed KMS key or alias in {region}",
            f"use e.g. 'arn:aws:kms:{region}:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab' or "
            f"'arn:aws:kms:{region}:111111111111:alias/golden-images' (ImageDistributionKey.alias_arn)",
        )
    if is_unresolved(home) or not any(props[prop] for prop in _SHARING):
        return
    missing = [r for r in regions if r != home and r not in keys]
    problems.require(
        not missing,
        "distribution_kms_keys",
        dict(keys),
        f"has no key for {', '.join(missing)}: the AMI's copies there are encrypted with the region's default EBS "
        "key, which the accounts the AMI is shared with cannot use, so they cannot launch it there",
        "pass a customer managed key of each region whose policy allows the consumers, e.g. "
        f"distribution_kms_keys={{'{missing[0] if missing else 'us-east-1'}': 'arn:aws:kms:...:key/...'}}, or "
        "drop the region",
    )


def _check_promotion_and_lifecycle(problems: Problems, props: Mapping[str, Any]) -> None:
    severity_threshold, max_findings = props["severity_threshold"], props["max_findings"]
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
        not (props["promote"] and not props["image_scanning"]),
        "image_scanning",
        props["image_scanning"],
        "promotion is on but images are not scanned, so the findings threshold cannot be checked",
        "keep image_scanning=True, or set promote=False",
    )
    keep_at_least, keep_launched = props["keep_at_least"], props["keep_launched_within_days"]
    problems.require(
        isinstance(keep_at_least, int) and 1 <= keep_at_least <= 10,
        "keep_at_least",
        keep_at_least,
        "must be 1-10 (Image Builder's RetainAtLeast)",
        "use e.g. 3",
    )
    problems.require(
        isinstance(keep_launched, int) and 1 <= keep_launched <= 365,
        "keep_launched_within_days",
        keep_launched,
        "must be 1-365",
        "use e.g. 30",
    )
    deprecate, delete = props["deprecate_after_days"], props["delete_after_days"]
    problems.require(
        isinstance(deprecate, int) and isinstance(delete, int) and 1 <= deprecate < delete <= 1000,
        "deprecate_after_days/delete_after_days",
        (deprecate, delete),
        "need 1 <= deprecate_after_days < delete_after_days <= 1000",
        "e.g. deprecate after 30 days, delete after 90",
    )


def _check_subnets(problems: Problems, vpc: ec2.IVpc, vpc_subnets: ec2.SubnetSelection | None) -> list[str]:
    """The selected subnets' ids: at least one, none public."""
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
    return list(selection.subnet_ids)
