"""IMM-REP3: no CodeDeploy server deployment groups that deploy in place."""

from __future__ import annotations

from .._intrinsics import get
from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset({"AWS::CodeDeploy::DeploymentGroup"})


def evaluate(resource: Resource, template: Template) -> Result:
    application = template.resource(resource.properties.get("ApplicationName"))
    platform = get(application, "Properties", "ComputePlatform")
    if platform in ("Lambda", "ECS"):
        return Result.not_applicable()  # both deploy by shifting traffic to new versions/tasks
    deployment_type = get(resource.properties, "DeploymentStyle", "DeploymentType")
    if deployment_type == "BLUE_GREEN":
        return Result.compliant()
    if isinstance(deployment_type, dict):
        return Result.compliant()  # chosen at deploy time; nothing to judge in the template
    return Result.of(
        [
            Offence(
                "Properties.DeploymentStyle.DeploymentType",
                deployment_type if deployment_type is not None else "IN_PLACE (default)",
                "the deployment group updates the running instances in place",
            )
        ]
    )
