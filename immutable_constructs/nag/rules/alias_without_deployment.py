"""IMM-REP9: a Lambda alias moves to a new version only through a CodeDeploy deployment group.

An ``AWS::Lambda::Alias`` without the ``CodeDeployLambdaAliasUpdate`` update policy is moved by CloudFormation
itself: every invocation goes to the new version at once, and nothing rolls it back when it fails (the
in-place cut-over of issue 26). With the policy, CodeDeploy shifts traffic by the group's canary or linear
config and moves the alias back when an alarm goes off or the deployment fails.
"""

from __future__ import annotations

from .._intrinsics import get
from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset({"AWS::Lambda::Alias"})


def evaluate(resource: Resource, template: Template) -> Result:
    update = get(resource.body, "UpdatePolicy", "CodeDeployLambdaAliasUpdate")
    if isinstance(update, dict) and update.get("ApplicationName") and update.get("DeploymentGroupName"):
        return Result.compliant()
    version = resource.properties.get("FunctionVersion")
    return Result.of(
        [
            Offence(
                "UpdatePolicy.CodeDeployLambdaAliasUpdate",
                update,
                "the alias moves to each new version at once (FunctionVersion "
                f"{version if isinstance(version, str) else 'changes with each release'}), with no canary, "
                "alarms or rollback",
            )
        ]
    )
