"""IMM-PRIV2: ``ec2:RunInstances`` allowed without binding it to a launch template.

A role that may run instances from any image, subnet and security group, and pass its instance
role, can launch any public AMI (a community image an attacker published) with that instance role.
Bind every resource of the launch but the launch template itself to a template with the
``ec2:LaunchTemplate`` condition (EC2 User Guide, "Control the use of launch templates"); the
library's blue/green handler and CodeDeploy role do (issue 28).

Checked: every ``Allow`` statement of an identity policy in the template (``AWS::IAM::Policy``,
``AWS::IAM::ManagedPolicy``, a role's inline policies) whose ``Action`` covers ``ec2:RunInstances``
(wildcards included): each of its resources must be a launch template ARN, or the statement must
carry an ``ec2:LaunchTemplate`` condition. A managed policy that is only a permissions boundary (attached
to no role, user or group, and the ``PermissionsBoundary`` of a role of the template) is not judged: a
boundary grants nothing (IAM User Guide, "Permissions boundaries for IAM entities"), and the execution role
of ``GoldenImagePipeline`` caps ``EC2ImageBuilderExecutionPolicy`` with one.
"""

from __future__ import annotations

from typing import Any

from .._intrinsics import get, items, text
from .._model import Offence, Resource, Result, Template
from .._policies import allowed, allows_action, condition_values, statements, strings

RESOURCE_TYPES = frozenset({"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role"})


def _documents(resource: Resource) -> list[tuple[str, Any]]:
    if resource.type == "AWS::IAM::Role":
        return [
            (f"Properties.Policies{suffix}.PolicyDocument", get(policy, "PolicyDocument"))
            for suffix, policy in items(resource.properties.get("Policies"))
            if isinstance(policy, dict)
        ]
    return [("Properties.PolicyDocument", resource.properties.get("PolicyDocument"))]


def _only_a_boundary(resource: Resource, template: Template) -> bool:
    if resource.type != "AWS::IAM::ManagedPolicy":
        return False
    if any(resource.properties.get(k) for k in ("Roles", "Users", "Groups")):
        return False
    bounded = template.memo(
        "unbound_run_instances.boundaries",
        lambda t: {
            str(get(get(r.get("Properties"), "PermissionsBoundary"), "Ref"))
            for _id, r in t.of_type("AWS::IAM::Role")
            if isinstance(get(r.get("Properties"), "PermissionsBoundary"), dict)
        },
    )
    return resource.logical_id in bounded


def evaluate(resource: Resource, template: Template) -> Result:
    if _only_a_boundary(resource, template):
        return Result.not_applicable()
    offences: list[Offence] = []
    checked = False
    for base, document in _documents(resource):
        for path, statement in statements(document):
            if not allowed(statement) or not allows_action(statement, "ec2:RunInstances"):
                continue
            checked = True
            if condition_values(statement, "ec2:LaunchTemplate", template):
                continue
            loose = [text(r, template) for r in strings(statement.get("Resource"))]
            loose = [r for r in loose if ":launch-template/" not in r]
            if loose:
                offences.append(
                    Offence(
                        f"{base}.{path}.Resource",
                        ", ".join(loose),
                        "ec2:RunInstances on these resources is not bound to a launch template (no ec2:LaunchTemplate "
                        "condition): the role can launch any image, in any subnet, with any role it may pass",
                    )
                )
    if not checked:
        return Result.not_applicable()
    return Result.of(offences)
