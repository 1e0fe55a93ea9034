"""IMM-REP8: callers invoke a versioned function through an alias or a version, never unqualified or ``$LATEST``.

A function whose versions the template publishes (an ``AWS::Lambda::Version`` or ``AWS::Lambda::Alias`` names
it) is released by moving an alias; whatever invokes the unqualified function (``$LATEST``) runs code that was
never released: every deploy changes it in place, with no canary, alarm or rollback. Judged: event source
mappings, invoke permissions, function URLs, API Gateway (REST and HTTP) integrations, SNS subscriptions,
EventBridge rule and EventBridge Scheduler targets, S3 notifications, log subscription filters and pipes.
A function that publishes no version is not judged here (there is no release to bypass); an explicit
``$LATEST`` always is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .._intrinsics import branches, get, items, text
from .._model import Offence, Resource, Result, Template

RESOURCE_TYPES = frozenset(
    {
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::Permission",
        "AWS::Lambda::Url",
        "AWS::ApiGateway::Method",
        "AWS::ApiGatewayV2::Integration",
        "AWS::SNS::Subscription",
        "AWS::SNS::Topic",
        "AWS::Events::Rule",
        "AWS::Scheduler::Schedule",
        "AWS::S3::Bucket",
        "AWS::Logs::SubscriptionFilter",
        "AWS::Pipes::Pipe",
    }
)
_INVOKE = {"lambda:InvokeFunction", "lambda:InvokeFunctionUrl", "lambda:*", "*"}
_SUB = re.compile(r"\$\{([^!}.]+)(\.Arn)?\}")
_LATEST = ":$LATEST"


def _versioned(template: Template) -> frozenset[str]:
    """Logical ids of the functions the template publishes versions or aliases of."""
    found = set()
    for kind in ("AWS::Lambda::Version", "AWS::Lambda::Alias"):
        for _, resource in template.of_type(kind):
            name = get(resource, "Properties", "FunctionName")
            if isinstance(name, dict):
                target = name.get("Ref") or (name.get("Fn::GetAtt") or [None])[0]
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
    if isinstance(attribute, list) and len(attribute) == 2 and attribute[1] == "Arn" and attribute[0] in versioned:
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
    if name == "Fn::Sub":
        body, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        if isinstance(body, str) and isinstance(variables, dict):
            for match in _SUB.finditer(body):
                own = match.group(1) in versioned and match.group(1) not in variables
                if own and not _qualifies(body[match.end() :]):
                    return f"names the unqualified function {match.group(1)}"
    return None


def _targets(resource: Resource) -> Iterator[tuple[str, Any]]:
    """(path, value) of each place the resource names a function it invokes."""
    p = resource.properties
    kind = resource.type
    if kind in ("AWS::Lambda::EventSourceMapping", "AWS::Lambda::Permission"):
        if kind == "AWS::Lambda::Permission" and p.get("Action") not in _INVOKE:
            return
        yield "Properties.FunctionName", p.get("FunctionName")
    elif kind == "AWS::Lambda::Url":
        qualifier = p.get("Qualifier")
        if qualifier is None or qualifier == "$LATEST":
            yield "Properties.TargetFunctionArn", p.get("TargetFunctionArn")
    elif kind == "AWS::ApiGateway::Method":
        yield "Properties.Integration.Uri", get(p, "Integration", "Uri")
    elif kind == "AWS::ApiGatewayV2::Integration":
        yield "Properties.IntegrationUri", p.get("IntegrationUri")
    elif kind == "AWS::SNS::Subscription":
        if p.get("Protocol") == "lambda":
            yield "Properties.Endpoint", p.get("Endpoint")
    elif kind == "AWS::SNS::Topic":
        for suffix, item in items(p.get("Subscription")):
            if get(item, "Protocol") == "lambda":
                yield f"Properties.Subscription{suffix}.Endpoint", get(item, "Endpoint")
    elif kind == "AWS::Events::Rule":
        for suffix, item in items(p.get("Targets")):
            yield f"Properties.Targets{suffix}.Arn", get(item, "Arn")
    elif kind == "AWS::Scheduler::Schedule":
        yield "Properties.Target.Arn", get(p, "Target", "Arn")
    elif kind == "AWS::S3::Bucket":
        for suffix, item in items(get(p, "NotificationConfiguration", "LambdaConfigurations")):
            yield f"Properties.NotificationConfiguration.LambdaConfigurations{suffix}.Function", get(item, "Function")
    elif kind == "AWS::Logs::SubscriptionFilter":
        yield "Properties.DestinationArn", p.get("DestinationArn")
    elif kind == "AWS::Pipes::Pipe":
        yield "Properties.Target", p.get("Target")


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
