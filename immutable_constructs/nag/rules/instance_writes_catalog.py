"""IMM-PRIV4: an instance role may write the AMI catalog.

The catalog's channels (``/images/<line>/candidate``, ``/images/<line>/stable``) decide which image every fleet
launches; only the pipeline's distribution and the promotion function write them (docs/security.md, "Boundaries
that hold"). A host whose role may ``ssm:PutParameter`` there can point ``stable`` at any AMI: the next release
rolls every fleet onto it. Issue 28 checked that no role of the library can; an app's own instance role can
still be given the permission (``grant_write`` on a parameter path, ``ssm:*`` on ``*``).

Checked: every ``AWS::IAM::Role`` that ``ec2.amazonaws.com`` assumes (an instance role). An ``Allow`` statement of
its policies in the template whose ``Action`` covers ``ssm:PutParameter`` (wildcards included) must not name a
catalog parameter: one under ``images/``, the default prefix of ``AmiCatalog``, or under the path of a parameter
an Image Builder distribution of the app writes (``/images/web/candidate`` protects ``/images/web/*``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._intrinsics import get, text
from .._model import Offence, Resource, Result, Template
from .._policies import allowed, allows_action, matches, parameter_path, role_documents, statements, strings
from .image_builder_parameter_writer import written_parameters

RESOURCE_TYPES = frozenset({"AWS::IAM::Role"})
#: AmiCatalog's default prefix, as a parameter path (no leading slash).
DEFAULT_CATALOG = "images/*"


def _catalog(templates: Sequence[Template]) -> list[str]:
    """Parameter path patterns of the app's catalog: the default prefix and each distributed line's path."""
    paths = {DEFAULT_CATALOG}
    for template in templates:
        for _id, distribution in template.of_type("AWS::ImageBuilder::DistributionConfiguration"):
            for name in written_parameters(distribution, template):
                paths.add(name.rsplit("/", 1)[0] + "/*" if "/" in name else name)
    return sorted(paths)


def _named_parameters(value: Any, template: Template) -> Any:
    """``value`` with each ``Ref`` to an ``AWS::SSM::Parameter`` of the template replaced by the name it returns:
    its literal ``Name``, or the name CloudFormation generates when it has none (``CFN-<logical id>-...``,
    never under a catalog path). A name CloudFormation only knows at deploy time stays unknown."""
    if isinstance(value, list):
        return [_named_parameters(item, template) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and isinstance(value["Ref"], str):
        parameter = template.resource(value["Ref"]) or {}
        if parameter.get("Type") == "AWS::SSM::Parameter":
            name = (parameter.get("Properties") or {}).get("Name")
            if name is None:
                return f"CFN-{value['Ref']}-generated"
            if isinstance(name, str):
                return name  # Ref returns the name as given, leading slash included
        return value
    return {key: _named_parameters(item, template) for key, item in value.items()}


def _instance_role(resource: Resource) -> bool:
    document = get(resource.properties, "AssumeRolePolicyDocument")
    return any(
        "ec2.amazonaws.com" in strings(get(statement.get("Principal"), "Service"))
        for _, statement in statements(document)
        if allowed(statement)
    )


def evaluate(resource: Resource, template: Template) -> Result:
    if not _instance_role(resource):
        return Result.not_applicable()
    catalog = template.app_memo("instance_writes_catalog.catalog", _catalog)
    documents, _ = role_documents(template).get(resource.logical_id, ([], False))
    offences: list[Offence] = []
    for where, document in documents:
        for path, statement in statements(document):
            if not allowed(statement) or not allows_action(statement, "ssm:PutParameter"):
                continue
            for resource_arn in strings(statement.get("Resource")):
                shown = text(_named_parameters(resource_arn, template), template)
                written = parameter_path(shown)
                if written is None:
                    continue
                hit = [c for c in catalog if matches(written, c.rstrip("*") + "x") or matches(c, written)]
                if hit:
                    offences.append(
                        Offence(
                            f"{where}.{path}.Resource",
                            shown,
                            f"the instance role may ssm:PutParameter on the AMI catalog ({', '.join(hit)}): a host "
                            "can point a channel at any image, and the next release launches it everywhere",
                        )
                    )
    return Result.of(offences) if offences else Result.compliant()
