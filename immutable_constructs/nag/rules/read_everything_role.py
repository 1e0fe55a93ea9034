"""IMM-PRIV1: a role that a service assumes has an AWS managed policy that reads (or does) everything.

``ReadOnlyAccess`` lets its holder read every S3 object, log event, queue message, DynamoDB item,
SSM parameter and Lambda function's code and environment of the account (AWS Managed Policy
Reference, ``ReadOnlyAccess``); ``AdministratorAccess`` and ``PowerUserAccess`` do anything. A role a
service assumes (a Lambda function, an instance, a state machine) turns every flaw of that code into
the whole account. Issue 28 found it on the library's own drift function; a user's function can make
the same mistake. Grant what the job needs instead (for drift detection: ``StackDriftAlarm`` builds
that from the resource types' read handlers).
"""

from __future__ import annotations

from .._intrinsics import get, text
from .._model import Offence, Resource, Result, Template
from .._policies import strings

RESOURCE_TYPES = frozenset({"AWS::IAM::Role"})
#: The AWS managed policies that read or do everything (the name after ``:iam::aws:policy/``).
EVERYTHING = ("ReadOnlyAccess", "AdministratorAccess", "PowerUserAccess", "job-function/ViewOnlyAccess")


def _services(resource: Resource) -> list[str]:
    """The service principals the role trusts."""
    found: list[str] = []
    document = get(resource.properties, "AssumeRolePolicyDocument")
    for statement in strings(get(document, "Statement")) if isinstance(document, dict) else []:
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        if isinstance(principal, dict):
            found.extend(str(s) for s in strings(principal.get("Service")) if isinstance(s, str))
    return found


def evaluate(resource: Resource, template: Template) -> Result:
    services = _services(resource)
    if not services:
        return Result.not_applicable()  # people's roles (assumed by accounts or SSO) are reviewed elsewhere
    offences: list[Offence] = []
    for index, arn in enumerate(strings(resource.properties.get("ManagedPolicyArns"))):
        shown = text(arn, template)
        name = shown.split(":iam::aws:policy/", 1)[1] if ":iam::aws:policy/" in shown else None
        if name in EVERYTHING:
            reads = name.endswith(("ReadOnlyAccess", "ViewOnlyAccess"))
            what = "reads every object, log event, message and parameter of" if reads else "changes anything in"
            offences.append(
                Offence(
                    f"Properties.ManagedPolicyArns.{index}",
                    shown,
                    f"the role {', '.join(services)} assumes has {name}: a flaw in that code {what} the account",
                )
            )
    return Result.of(offences)
