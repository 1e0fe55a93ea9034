"""IMM-REP4: no SSM associations that run shell commands on live instances."""

from __future__ import annotations

import json
from typing import Any

from .._intrinsics import get
from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset({"AWS::SSM::Association"})

#: AWS-owned documents that run arbitrary commands or configuration on a running instance.
SHELL_DOCUMENTS = frozenset(
    {
        "AWS-RunShellScript",
        "AWS-RunPowerShellScript",
        "AWS-RunRemoteScript",
        "AWS-RunAnsiblePlaybook",
        "AWS-ApplyAnsiblePlaybooks",
        "AWS-ApplyChefRecipes",
        "AWS-ApplyDSCMofs",
        "AWS-InstallApplication",
        "AWS-RunSaltState",
    }
)
SHELL_ACTIONS = ("aws:runShellScript", "aws:runPowerShellScript")


def _document_runs_shell(document: Any) -> bool:
    if get(document, "Properties", "DocumentType") not in (None, "Command"):
        return False
    content = get(document, "Properties", "Content")
    rendered = content if isinstance(content, str) else json.dumps(content)
    return any(action in rendered for action in SHELL_ACTIONS)


def evaluate(resource: Resource, template: Template) -> Result:
    name = resource.properties.get("Name")
    if isinstance(name, str):
        document_name = name.rsplit("/", 1)[-1]  # an ARN of an AWS-owned document
        if document_name in SHELL_DOCUMENTS:
            return Result.of(
                [Offence("Properties.Name", name, "the association runs shell commands on running instances")]
            )
        return Result.compliant()
    document = template.resource(name)
    if document is not None and document.get("Type") == "AWS::SSM::Document" and _document_runs_shell(document):
        return Result.of([Offence("Properties.Name", name, "the association runs a Command document with shell steps")])
    return Result.compliant()
