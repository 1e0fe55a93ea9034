"""IMM-REP8: callers invoke a versioned function through an alias or a version, never unqualified or ``$LATEST``.

A function whose versions the template publishes (an ``AWS::Lambda::Version`` or ``AWS::Lambda::Alias`` names
it) is released by moving an alias; whatever invokes the unqualified function (``$LATEST``) runs code that was
never released: every deploy changes it in place, with no canary, alarm or rollback. Judged: every property
through which a service invokes a function, declared in ``nag/_callers.py`` (event source mappings, invoke
permissions, function URLs, API Gateway integrations and authorizers, load balancer targets, SNS, EventBridge,
Scheduler, pipes, S3, log subscriptions, alarm actions, Step Functions definitions, Cognito triggers, AppSync,
IoT, SES, Config, Secrets Manager rotation, Firehose processors and more; a test holds the table to every
resource schema CloudFormation publishes). A function that publishes no version is not judged here (there is
no release to bypass); an explicit ``$LATEST`` always is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .._callers import CALLERS, Caller
from .._intrinsics import branches, get, items, sub_parts, text
from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset(CALLERS)
_SUB = re.compile(r"\$\{([^!}.]+)(\.Arn)?\}")
_LATEST = ":$LATEST"


def _versioned(template: Template) -> frozenset[str]:
    """Logical ids of the functions the template publishes versions or aliases of."""
    found = set()
    for kind in ("AWS::Lambda::Version", "AWS::Lambda::Alias"):
        for _, resource in template.of_type(kind):
            name = get(resource, "Properties", "FunctionName")
            if isinstance(name, dict):
                attribute = name.get("Fn::GetAtt")
                target = name.get("Ref") or (attribute[0] if isinstance(attribute, list) and attribute else None)
                if isinstance(target, str):
                    found.add(target)
    return frozenset(name for name in found if get(template.resources.get(name), "Type") == "AWS::Lambda::Function")


def _function_of(value: Any, versioned: frozenset[str]) -> str | None:
    """The versioned function ``value`` names unqualified (a Ref is its name, GetAtt Arn its ARN), or None."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    if isinstance(value.get("Ref"), str) and value["Ref"] in versioned:
        return str(value["Ref"])
    attribute = value.get("Fn::GetAtt")
    if isinstance(attribute, str):
        attribute = attribute.split(".", 1)
    if isinstance(attribute, list) and len(attribute) == 2 and attribute[1] == "Arn" and str(attribute[0]) in versioned:
        return str(attribute[0])
    return None


def _qualifies(following: str) -> bool:
    """Whether the text right after a function's name or ARN qualifies it (``:live``, ``:7``, not ``:$LATEST``)."""
    return following.startswith(":") and not following.startswith(_LATEST)


def unqualified(value: Any, template: Template) -> str | None:
    """What in ``value`` invokes a versioned function unqualified or ``$LATEST``, or None."""
    versioned = template.memo("imm-rep8:versioned", _versioned)
    for _, branch in branches(value):
        found = _unqualified(branch, template, versioned)
        if found:
            return found
    return None


def _unqualified(value: Any, template: Template, versioned: frozenset[str]) -> str | None:
    if _LATEST in text(value, template):
        return "names $LATEST"
    function = _function_of(value, versioned)
    if function is not None:
        return f"names the unqualified function {function}"
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((name, argument),) = value.items()
    if name == "Fn::Join" and isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], list):
        delimiter, parts = argument
        for index, part in enumerate(parts):
            function = _function_of(part, versioned)
            if function is not None:
                rest = str(delimiter) + text(parts[index + 1], template) if index + 1 < len(parts) else ""
                if not _qualifies(rest):
                    return f"names the unqualified function {function}"
            elif isinstance(part, dict):
                found = _unqualified(part, template, versioned)
                if found:
                    return found
    parts = sub_parts(argument) if name == "Fn::Sub" else None
    if parts is not None:
        body, variables = parts
        for match in _SUB.finditer(body):
            own = match.group(1) in versioned and match.group(1) not in variables
            if own and not _qualifies(body[match.end() :]):
                return f"names the unqualified function {match.group(1)}"
    return None


def _holds(when: tuple[str, frozenset[str | None]] | None, holder: Any, properties: Mapping[str, Any]) -> bool:
    """Whether the caller's condition holds: a key of the object holding the property (``/Key``: of Properties)."""
    if when is None:
        return True
    key, accepted = when
    where = properties if key.startswith("/") else holder
    value = where.get(key.lstrip("/")) if isinstance(where, dict) else None
    return value in accepted if value is None or isinstance(value, str) else False


def _walk(
    node: Any, segments: list[str], path: str, caller: Caller, properties: Mapping[str, Any]
) -> Iterator[tuple[str, Any]]:
    segment, rest = segments[0], segments[1:]
    if segment == "*":
        children = [(f"{path}.{key}", value) for key, value in node.items()] if isinstance(node, dict) else []
    else:
        name = segment.removesuffix("[]")
        value = node.get(name) if isinstance(node, dict) else None
        if segment.endswith("[]"):
            children = [(f"{path}.{name}{suffix}", item) for suffix, item in items(value)]
        elif rest:  # an object on the way: each branch of an Fn::If around it
            children = [(f"{path}.{name}{suffix}", branch) for suffix, branch in branches(value)]
        else:  # the property itself: unqualified() reads both branches of an Fn::If
            children = [(f"{path}.{name}", value)]
    for child_path, child in children:
        if rest:
            yield from _walk(child, rest, child_path, caller, properties)
        elif child is not None and _holds(caller.when, node, properties):
            yield child_path, child


def _targets(resource: Resource) -> Iterator[tuple[str, Any]]:
    """(path, value) of each place the resource names a function it invokes (the spec in ``_callers``)."""
    for caller in CALLERS.get(resource.type, ()):
        yield from _walk(resource.properties, caller.path.split("."), "Properties", caller, resource.properties)


def evaluate(resource: Resource, template: Template) -> Result:
    offences = []
    judged = False
    for path, value in _targets(resource):
        if value is None:
            continue
        judged = True
        found = unqualified(value, template)
        if found:
            offences.append(Offence(path, value, f"invokes a function that is released by version: it {found}"))
    if not judged:
        return Result.not_applicable()
    return Result.of(offences)
