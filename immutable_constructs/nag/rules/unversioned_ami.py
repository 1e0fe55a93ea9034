"""IMM-IMG3: AMIs come from a pinned SSM parameter version, never "latest" at deploy or launch time."""

from __future__ import annotations

import re
from typing import Any

from .._intrinsics import get
from .._model import Offence, Resource, Result, Template

#: Resource type -> where its AMI id lives.
IMAGE_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::EC2::LaunchTemplate": ("LaunchTemplateData", "ImageId"),
    "AWS::EC2::Instance": ("ImageId",),
    "AWS::AutoScaling::LaunchConfiguration": ("ImageId",),
}
RESOURCE_TYPES = frozenset(IMAGE_PROPERTIES)

_LAUNCH_TIME = re.compile(r"^resolve:ssm:(?P<name>.+?)(?::(?P<version>\d+))?$")
_DEPLOY_TIME = re.compile(r"\{\{resolve:ssm:(?P<name>[^}]+?)(?::(?P<version>\d+))?\}\}")


def parameter_name(value: Any, template: Template) -> str | None:
    """The SSM parameter an unpinned ImageId reads, when the template names it."""
    if isinstance(value, str):
        match = _LAUNCH_TIME.match(value) or _DEPLOY_TIME.search(value)
        return match.group("name") if match else None
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        default = template.parameters.get(value["Ref"], {}).get("Default")
        return default if isinstance(default, str) else None
    return None


def image_problem(value: Any, template: Template) -> str | None:
    """Why an ImageId is not pinned to a parameter version, or None."""
    if isinstance(value, str):
        launch = _LAUNCH_TIME.match(value)
        if launch:
            if launch.group("version"):
                return None
            return (
                f"resolved at every launch from SSM parameter {launch.group('name')}: one fleet can run several images"
            )
        deploy = _DEPLOY_TIME.search(value)
        if deploy and not deploy.group("version"):
            return f"resolved at every deploy from the newest version of SSM parameter {deploy.group('name')}"
        return None
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        parameter = template.parameters.get(value["Ref"], {})
        if str(parameter.get("Type", "")).startswith("AWS::SSM::Parameter::Value<"):
            # The value is shown as "SSM parameter <name>": the detail does not repeat the name.
            return "its newest version is read at every deploy (a template parameter of SSM type)"
    return None


#: AWS public parameters of image lines past their end of support (or about to be), with the line to move to.
DEPRECATED_LINES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^/aws/service/ami-amazon-linux-latest/amzn-ami-"), "Amazon Linux (1) reached end of life in 2023"),
    (
        re.compile(r"^/aws/service/ami-amazon-linux-latest/amzn2-ami-"),
        "Amazon Linux 2 reaches end of support on 2026-06-30",
    ),
    (
        re.compile(r"^/aws/service/canonical/ubuntu/server/(?:1[0-9]|20)\.[0-9]+/"),
        "this Ubuntu release is past its standard support",
    ),
    (re.compile(r"^/aws/service/debian/release/(?:9|10)/"), "this Debian release is past its support"),
)
_CATALOG = re.compile(r"^(?P<prefix>/[^/]+)/(?P<line>[^/]+)/(?P<channel>[^/]+)$")


def suggested_fix(name: str | None) -> str:
    """The fix for this case: the user's own parameter, AWS's public one (deprecated or not), or unknown."""
    if not name:
        return ""
    history = f"`aws ssm get-parameter-history --name {name}` lists the versions"
    if name.startswith("/aws/service/"):
        deprecated = next((why for pattern, why in DEPRECATED_LINES if pattern.search(name)), None)
        literal = (
            f"pin the AMI it names today as a literal id (MachineImage.generic_linux({{region: 'ami-...'}}); "
            f"`aws ssm get-parameter --name {name}` shows it)"
        )
        golden = (
            "build your own image from it (GoldenImagePipeline with ParentImage.from_ssm_parameter(...), which "
            "also installs the CloudWatch agent ImmutableFleet needs) and pin your catalog's parameter "
            "(catalog.machine_image(line, version=N))"
        )
        if deprecated:
            return (
                f"{name} is a deprecated image line ({deprecated}): move to a supported one (for Amazon Linux, "
                f"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64), then {golden}, or "
                f"{literal}."
            )
        return f"Don't launch AWS's public image directly: {golden}; or {literal}."
    catalog = _CATALOG.match(name)
    if catalog:
        return (
            f"Pin a version of your parameter: machine_image=PinnedSsmImage({name!r}, version=N), or with your "
            f"AmiCatalog(prefix={catalog.group('prefix')!r}): catalog.machine_image({catalog.group('line')!r}, "
            f"channel={catalog.group('channel')!r}, version=N) ({history})."
        )
    return f"Pin a version of your parameter: machine_image=PinnedSsmImage({name!r}, version=N) ({history})."


def evaluate(resource: Resource, template: Template) -> Result:
    keys = IMAGE_PROPERTIES[resource.type]
    value = get(resource.properties, *keys)
    if value is None:
        return Result.not_applicable()
    problem = image_problem(value, template)
    if problem is None:
        return Result.compliant()
    fix = suggested_fix(parameter_name(value, template))
    return Result.of([Offence("Properties." + ".".join(keys), value, problem, fix)])
