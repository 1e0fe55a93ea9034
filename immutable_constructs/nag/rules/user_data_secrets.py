"""IMM-SEC1: no secrets in user data (readable by anyone who can describe the instance)."""

from __future__ import annotations

from .._intrinsics import get, user_data_text
from .._model import Offence, Resource, Result, Template
from .._secrets import find_in_text

#: Resource type -> where its user data lives.
USER_DATA_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::EC2::LaunchTemplate": ("LaunchTemplateData", "UserData"),
    "AWS::EC2::Instance": ("UserData",),
    "AWS::AutoScaling::LaunchConfiguration": ("UserData",),
}
RESOURCE_TYPES = frozenset(USER_DATA_PROPERTIES)


def evaluate(resource: Resource, template: Template) -> Result:
    keys = USER_DATA_PROPERTIES[resource.type]
    value = get(resource.properties, *keys)
    if value is None:
        return Result.not_applicable()
    found = find_in_text(user_data_text(value, template))
    path = "Properties." + ".".join(keys)
    return Result.of([Offence(path, "<user data>", f"user data contains {what}") for what in found])
