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


def evaluate(resource: Resource, template: Template) -> Result:
    keys = IMAGE_PROPERTIES[resource.type]
    value = get(resource.properties, *keys)
    if value is None:
        return Result.not_applicable()
    problem = image_problem(value, template)
    if problem is None:
        return Result.compliant()
    name = parameter_name(value, template)
    fix = (
        f"Pin a version of your parameter: machine_image=PinnedSsmImage({name!r}, version=N) "
        f"(`aws ssm get-parameter-history --name {name}` lists the versions)."
        if name
        else ""
    )
    return Result.of([Offence("Properties." + ".".join(keys), value, problem, fix)])
