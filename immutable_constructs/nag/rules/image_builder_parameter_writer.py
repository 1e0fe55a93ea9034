"""IMM-DEP3: an Image Builder pipeline whose distribution writes SSM parameters runs as a role allowed to.

Without an ``ExecutionRole`` the pipeline acts through Image Builder's service-linked role,
which may write only ``/imagebuilder/*`` parameters; a distribution that writes any other
parameter fails every build at distribution (Image Builder User Guide, "Create and update
AMI distribution configurations", section "Prerequisites for SSM output parameters": the
execution role needs ``ssm:PutParameter`` on the parameter).
"""

from __future__ import annotations

from typing import Any

from .._intrinsics import UNKNOWN, get, items, text
from .._model import Offence, Resource, Result, Template
from .._policies import (
    allowed,
    allows_action,
    matches,
    parameter_name,
    parameter_path,
    references,
    role_documents,
    statements,
    strings,
)

RESOURCE_TYPES = frozenset({"AWS::ImageBuilder::ImagePipeline"})

#: The only parameters Image Builder's service-linked role may write (AWSServiceRoleForImageBuilder).
SERVICE_LINKED_ROLE_PARAMETERS = "imagebuilder/*"


def written_parameters(distribution: Any, template: Template) -> list[str]:
    """The SSM parameter names (as in their ARN, no leading slash) a distribution configuration writes."""
    names: list[str] = []
    for _, item in items(get(distribution, "Properties", "Distributions")):
        for _, configuration in items(get(item, "SsmParameterConfigurations")):
            name = text(get(configuration, "ParameterName"), template)
            if name and name != UNKNOWN:
                names.append(parameter_name(name))
    return names


def writes(document: Any, name: str, template: Template) -> bool:
    """True when an identity policy document allows ``ssm:PutParameter`` on parameter ``name``."""
    for _, statement in statements(document):
        if not allowed(statement) or not allows_action(statement, "ssm:PutParameter"):
            continue
        for resource in strings(statement.get("Resource")):
            path = parameter_path(text(resource, template))
            if path is not None and matches(path, name):
                return True
    return False


def evaluate(resource: Resource, template: Template) -> Result:
    distribution_ids = references(resource.properties.get("DistributionConfigurationArn"))
    names: list[str] = []
    for distribution_id in sorted(distribution_ids):
        distribution = template.resource(distribution_id)
        if distribution and distribution.get("Type") == "AWS::ImageBuilder::DistributionConfiguration":
            names.extend(written_parameters(distribution, template))
    names = [n for n in names if not matches(SERVICE_LINKED_ROLE_PARAMETERS, n)]
    if not names:
        return Result.not_applicable()
    shown = ", ".join("/" + n for n in names)
    execution_role = resource.properties.get("ExecutionRole")
    if execution_role is None:
        return Result.of(
            [
                Offence(
                    "Properties.ExecutionRole",
                    None,
                    f"the distribution writes SSM parameter(s) {shown}, and without an execution role Image "
                    "Builder's service-linked role may write only /imagebuilder/* parameters: every build fails",
                )
            ]
        )
    roles = [r for r in references(execution_role) if (template.resource(r) or {}).get("Type") == "AWS::IAM::Role"]
    if not roles:
        return Result.compliant()  # a role from outside the template: its policies cannot be read
    documents, unknown = role_documents(template).get(roles[0], ([], False))
    if unknown:
        return Result.compliant()  # managed policies the template does not contain may allow it
    missing = [n for n in names if not any(writes(document, n, template) for _, document in documents)]
    if not missing:
        return Result.compliant()
    return Result.of(
        [
            Offence(
                "Properties.ExecutionRole",
                execution_role,
                f"no policy of execution role {roles[0]} in the template allows ssm:PutParameter on "
                f"{', '.join('/' + n for n in missing)}, which the distribution writes: every build fails",
            )
        ]
    )
