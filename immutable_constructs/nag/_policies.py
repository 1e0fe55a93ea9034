"""Reading policy documents (key policies, resource policies, IAM policies) and references, in plain Python.

The deploy-readiness rules (IMM-DEP*) need facts that span resources: which key a volume
names, which role a pipeline runs as, which policies that role has. These helpers read
them from the synthesized template without guessing deploy-time values: a part of an ARN
that is only known at deploy time (``${AWS::AccountId}``) is a wildcard when an ARN is
matched against a pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from ._intrinsics import UNKNOWN, branches, get, items, sub_parts, text
from ._model import Template

#: ``...:role/aws-service-role/<service principal>/<role name>``: a service-linked role's ARN.
SERVICE_LINKED_ROLE = re.compile(r":role/aws-service-role/(?P<service>[^/\x00]+)/(?P<name>[^/\x00]*)")

_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}")


def references(value: Any) -> set[str]:
    """Logical ids (and pseudo parameters) ``value`` refers to through ``Ref``, ``Fn::GetAtt`` or ``Fn::Sub``."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for name, argument in item.items():
                if name == "Ref" and isinstance(argument, str):
                    found.add(argument)
                elif name == "Fn::GetAtt":
                    if isinstance(argument, list) and argument and isinstance(argument[0], str):
                        found.add(argument[0])
                    elif isinstance(argument, str):
                        found.add(argument.split(".", 1)[0])
                elif name == "Fn::Sub":
                    parts = sub_parts(argument)
                    if parts is not None:
                        found.update(_SUB_REFERENCE.findall(parts[0]))
                    stack.extend(argument[1:] if isinstance(argument, list) else [])
                else:
                    stack.append(argument)
        elif isinstance(item, list):
            stack.extend(item)
    return found


def depends_on(resource: Mapping[str, Any]) -> set[str]:
    """The logical ids a resource waits for: its ``DependsOn`` and every resource its properties reference."""
    explicit = resource.get("DependsOn")
    listed = explicit if isinstance(explicit, list) else []
    found = {explicit} if isinstance(explicit, str) else {d for d in listed if isinstance(d, str)}
    return found | references(resource.get("Properties"))


def strings(value: Any) -> list[Any]:
    """A policy element that is a string or a list of them, as a list (``Fn::If`` branches expanded)."""
    if isinstance(value, str):  # the common case, without expanding branches
        return [value]
    found: list[Any] = []
    for _, branch in branches(value):
        if isinstance(branch, list):
            found.extend(item for _, item in items(branch) if item is not None)
        elif branch is not None:
            found.append(branch)
    return found


def statements(document: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each statement of a policy document, with its path relative to the document (``Statement.0``)."""
    if isinstance(document, str):
        return
    for _, body in branches(document):
        statement = body.get("Statement") if isinstance(body, dict) else None
        if isinstance(statement, dict):
            yield "Statement", statement
            continue
        for suffix, item in items(statement):
            if isinstance(item, dict):
                yield f"Statement{suffix}", item


def allowed(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect") == "Allow"


@lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern[str]:
    """An IAM wildcard pattern (``*``, ``?``; deploy-time parts are ``*``) as a regular expression."""
    escaped = re.escape(pattern.replace(UNKNOWN, "*"))
    return re.compile(escaped.replace(r"\*", ".*").replace(r"\?", "."), re.IGNORECASE | re.DOTALL)


def matches(pattern: str, value: str) -> bool:
    """True when the IAM-style ``pattern`` (deploy-time parts as wildcards) matches ``value`` entirely."""
    return _pattern(pattern).fullmatch(value) is not None


def allows_action(statement: Mapping[str, Any], action: str) -> bool:
    """True when the statement's ``Action`` covers ``action`` (``NotAction`` is not read: False)."""
    return any(isinstance(a, str) and matches(a, action) for a in strings(statement.get("Action")))


def principal_arns(statement: Mapping[str, Any], template: Template) -> list[tuple[str, str]]:
    """The ``AWS`` principals of a statement as (path suffix, text); ``"*"`` for everyone."""
    principal = statement.get("Principal")
    if principal == "*":
        return [("Principal", "*")]
    if not isinstance(principal, dict):
        return []
    found: list[tuple[str, str]] = []
    for suffix, branch in branches(principal.get("AWS")):
        if isinstance(branch, list):
            found.extend(
                (f"Principal.AWS{suffix}{item_suffix}", text(item, template)) for item_suffix, item in items(branch)
            )
        elif branch is not None:
            found.append((f"Principal.AWS{suffix}", text(branch, template)))
    return found


def condition_values(statement: Mapping[str, Any], key: str, template: Template) -> list[str] | None:
    """Every value a condition on ``key`` (any operator, case-insensitive) accepts, or None without one."""
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return None
    found: list[str] | None = None
    for operator in condition.values():
        if not isinstance(operator, dict):
            continue
        for name, value in operator.items():
            if isinstance(name, str) and name.lower() == key.lower():
                found = (found or []) + [text(v, template) for v in strings(value)]
    return found


def role_documents(template: Template) -> dict[str, tuple[list[tuple[str, Any]], bool]]:
    """Role logical id -> (its policy documents in the template as (where, document), whether
    it also has managed policies the template does not contain, which may allow anything)."""

    def compute(t: Template) -> dict[str, tuple[list[tuple[str, Any]], bool]]:
        documents: dict[str, list[tuple[str, Any]]] = {}
        unknown: dict[str, bool] = {}
        managed = dict(t.of_type("AWS::IAM::ManagedPolicy"))
        for role_id, role in t.of_type("AWS::IAM::Role"):
            properties = role.get("Properties") or {}
            docs = documents.setdefault(role_id, [])
            for suffix, policy in items(properties.get("Policies")):
                if isinstance(policy, dict):
                    docs.append((f"{role_id}.Policies{suffix}", policy.get("PolicyDocument")))
            for arn in strings(properties.get("ManagedPolicyArns")):
                inside = references(arn) & set(managed)
                if inside:
                    for policy_id in inside:
                        docs.append((policy_id, (managed[policy_id].get("Properties") or {}).get("PolicyDocument")))
                else:
                    unknown[role_id] = True
        for type_name in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for policy_id, policy in t.of_type(type_name):
                properties = policy.get("Properties") or {}
                for role_ref in strings(properties.get("Roles")):
                    for role_id in references(role_ref):
                        documents.setdefault(role_id, []).append((policy_id, properties.get("PolicyDocument")))
        return {role_id: (docs, unknown.get(role_id, False)) for role_id, docs in documents.items()}

    return template.memo("policies.role_documents", compute)


def identity_documents(template: Template) -> Iterator[tuple[str, Any]]:
    """Every IAM identity policy document of the template, as (logical id, document)."""
    for type_name in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for policy_id, policy in template.of_type(type_name):
            yield policy_id, get(policy, "Properties", "PolicyDocument")
    for role_id, role in template.of_type("AWS::IAM::Role"):
        for _, policy in items(get(role, "Properties", "Policies")):
            if isinstance(policy, dict):
                yield role_id, policy.get("PolicyDocument")


def parameter_path(resource_arn: str) -> str | None:
    """The parameter-name part (``images/web/*``) of an SSM parameter ARN pattern, "*" for any
    parameter, or None when the ARN is not one of SSM's parameters."""
    if resource_arn.replace(UNKNOWN, "*").strip("*") == "":
        return "*"
    if ":ssm:" not in resource_arn and UNKNOWN not in resource_arn.split(":parameter", 1)[0]:
        return None
    if ":parameter/" not in resource_arn:
        return None
    return resource_arn.split(":parameter/", 1)[1]


def parameter_name(name: str) -> str:
    """A parameter name as it appears after ``parameter/`` in its ARN (``/images/web`` -> ``images/web``)."""
    if name.startswith("arn:") and ":parameter/" in name:
        name = name.split(":parameter/", 1)[1]
    return name.lstrip("/")
