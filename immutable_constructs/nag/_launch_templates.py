"""Which launch template of a template an instance or group names (plain Python).

CDK names a launch template by ``{"Ref": id}`` (its id), by ``Fn::GetAtt`` (``LatestVersionNumber``
in ``Version``) or, for the helper template ``ec2.Instance(require_imdsv2=True)`` creates, by its
literal ``LaunchTemplateName``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._intrinsics import get
from ._model import Template

__all__ = ["launch_template_of"]


def _logical_id(value: Any) -> str | None:
    if isinstance(value, dict):
        if isinstance(value.get("Ref"), str):
            return str(value["Ref"])
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute and isinstance(attribute[0], str):
            return attribute[0]
    return None


def _by_name(template: Template) -> dict[str, str]:
    names: dict[str, str] = {}
    for logical_id, body in template.of_type("AWS::EC2::LaunchTemplate"):
        name = get(body, "Properties", "LaunchTemplateName")
        if isinstance(name, str):
            names[name] = logical_id
    return names


def launch_template_of(specification: Any, template: Template) -> tuple[str, Mapping[str, Any]] | None:
    """(logical id, resource) of the launch template a ``LaunchTemplate`` specification names in
    this template, or None (not set, imported or named by a value known only at deploy time)."""
    if not isinstance(specification, dict):
        return None
    candidates = [
        _logical_id(specification.get("LaunchTemplateId")),
        _logical_id(specification.get("Version")),
    ]
    name = specification.get("LaunchTemplateName")
    candidates.append(_logical_id(name))
    if isinstance(name, str):
        candidates.append(template.memo("launch-templates.by-name", _by_name).get(name))
    for logical_id in candidates:
        resource = template.resources.get(logical_id) if logical_id else None
        if isinstance(resource, dict) and resource.get("Type") == "AWS::EC2::LaunchTemplate":
            return str(logical_id), resource
    return None
