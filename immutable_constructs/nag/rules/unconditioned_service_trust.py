"""IMM-PRIV3: a role an AWS service assumes on your behalf, trusted without a source condition.

When a service assumes your role to act for one of your resources, another account's resource can name the same
role and make the service act with it (the confused deputy; IAM User Guide, "The confused deputy problem"). The
services below document ``aws:SourceAccount``/``aws:SourceArn`` in the role's trust policy as the defence:

- ``vpc-flow-logs.amazonaws.com``: VPC User Guide, "IAM role for publishing flow logs to CloudWatch Logs"
  (CDK's ``FlowLog`` creates its role without them; issue 28 found it in the reference app);
- ``imagebuilder.amazonaws.com``: Image Builder User Guide, "Cross-service confused deputy prevention";
- ``codedeploy.amazonaws.com``: CodeDeploy User Guide, "Cross-service confused deputy prevention";
- ``states.amazonaws.com``: Step Functions Developer Guide, "Cross-service confused deputy prevention".

Checked: every ``Allow`` statement of an ``AWS::IAM::Role``'s ``AssumeRolePolicyDocument`` whose service
principal is one of these must carry ``aws:SourceAccount`` or ``aws:SourceArn`` (any operator). The library's
own roles for these services do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._intrinsics import get
from .._model import Offence, Resource, Result, Template
from .._policies import allowed, statements, strings

RESOURCE_TYPES = frozenset({"AWS::IAM::Role"})
#: Service principals whose documentation gives source conditions for the roles they assume (module docstring).
SOURCE_CONDITIONED = (
    "vpc-flow-logs.amazonaws.com",
    "imagebuilder.amazonaws.com",
    "codedeploy.amazonaws.com",
    "states.amazonaws.com",
)
_KEYS = ("aws:sourceaccount", "aws:sourcearn")


def _conditioned(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return False
    keys = {str(k).lower() for block in condition.values() if isinstance(block, dict) for k in block}
    return bool(keys & set(_KEYS))


def evaluate(resource: Resource, template: Template) -> Result:
    offences: list[Offence] = []
    checked = False
    for path, statement in statements(get(resource.properties, "AssumeRolePolicyDocument")):
        if not allowed(statement):
            continue
        services = [s for s in strings(get(statement.get("Principal"), "Service")) if s in SOURCE_CONDITIONED]
        if not services:
            continue
        checked = True
        if not _conditioned(statement):
            offences.append(
                Offence(
                    f"Properties.AssumeRolePolicyDocument.{path}.Condition",
                    "(none)",
                    f"{', '.join(services)} may assume the role for any account's resources: add aws:SourceAccount "
                    "(and aws:SourceArn) naming yours",
                )
            )
    if not checked:
        return Result.not_applicable()
    return Result.of(offences)
