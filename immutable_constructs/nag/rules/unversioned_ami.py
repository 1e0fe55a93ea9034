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
            return (
                f"template parameter {value['Ref']} reads the newest version of SSM parameter "
                f"{parameter.get('Default')} at every deploy"
            )
    return None


def evaluate(resource: Resource, template: Template) -> Result:
    keys = IMAGE_PROPERTIES[resource.type]
    value = get(resource.properties, *keys)
    if value is None:
        return Result.not_applicable()
    problem = image_problem(value, template)
    if problem is None:
        return Result.compliant()
    return Result.of([Offence("Properties." + ".".join(keys), value, problem)])
