"""IMM-REP8: a caller of a versioned function's unqualified ARN or $LATEST is reported; one of its alias passes."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cfnlint
import pytest

from immutable_constructs.nag._callers import CALLERS, NOT_CALLERS, Caller

from ...conftest import ROOT
from ..helpers import reported

FUNCTION = {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "index.handler"}}
VERSIONED = {
    "Fn": FUNCTION,
    "Version": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Fn"}}},
    "Live": {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Fn"}, "Name": "live"}},
}
ARN = {"Fn::GetAtt": ["Fn", "Arn"]}
INVOKE_URI = {"Fn::Join": ["", ["arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/", ARN, "/invocations"]]}


def mapping(name: Any) -> dict[str, Any]:
    return {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"FunctionName": name, "EventSourceArn": "q"}}


def test_callers_of_the_unqualified_function_or_latest_are_reported() -> None:
    resources = {
        **VERSIONED,
        "Mapping": mapping({"Ref": "Fn"}),
        "Latest": mapping("arn:aws:lambda:eu-west-1:123456789012:function:other:$LATEST"),
        "Permission": {"Type": "AWS::Lambda::Permission",
                       "Properties": {"Action": "lambda:InvokeFunction", "FunctionName": ARN, "Principal": "sns"}},
        "Url": {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": ARN, "AuthType": "AWS_IAM"}},
        "Method": {"Type": "AWS::ApiGateway::Method",
                   "Properties": {"HttpMethod": "GET", "Integration": {"Type": "AWS_PROXY", "Uri": INVOKE_URI}}},
        "Http": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {"IntegrationUri": ARN}},
        "Subscription": {"Type": "AWS::SNS::Subscription", "Properties": {"Protocol": "lambda", "Endpoint": ARN}},
        "Rule": {"Type": "AWS::Events::Rule", "Properties": {"Targets": [{"Id": "T", "Arn": ARN}]}},
        "Schedule": {"Type": "AWS::Scheduler::Schedule",
                     "Properties": {"Target": {"Arn": {"Fn::Sub": "${Fn.Arn}"}, "RoleArn": "r"}}},
    }  # fmt: skip
    assert reported(resources, "IMM-REP8") == {
        "Mapping", "Latest", "Permission", "Url", "Method", "Http", "Subscription", "Rule", "Schedule",
    }  # fmt: skip


def test_callers_of_the_alias_or_a_version_pass() -> None:
    alias = {"Ref": "Live"}
    resources = {
        **VERSIONED,
        "Mapping": mapping({"Fn::Join": ["", [{"Ref": "Fn"}, ":live"]]}),
        "ByVersion": mapping({"Fn::Join": [":", [ARN, "7"]]}),
        "Permission": {"Type": "AWS::Lambda::Permission",
                       "Properties": {"Action": "lambda:InvokeFunction", "FunctionName": alias, "Principal": "sns"}},
        "Url": {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": ARN, "Qualifier": "live"}},
        "Rule": {"Type": "AWS::Events::Rule", "Properties": {"Targets": [{"Id": "T", "Arn": alias}]}},
        "Schedule": {"Type": "AWS::Scheduler::Schedule",
                     "Properties": {"Target": {"Arn": {"Fn::Sub": "${Fn.Arn}:live"}, "RoleArn": "r"}}},
        "GetOnly": {"Type": "AWS::Lambda::Permission",
                    "Properties": {"Action": "lambda:GetFunction", "FunctionName": ARN, "Principal": "123456789012"}},
    }  # fmt: skip
    assert reported(resources, "IMM-REP8") == set()


@pytest.mark.parametrize("caller", [mapping({"Ref": "Fn"}), mapping({"Fn::GetAtt": ["Fn", "Arn"]})])
def test_a_function_that_publishes_no_version_is_not_judged(caller: dict[str, Any]) -> None:
    assert reported({"Fn": FUNCTION, "Mapping": caller}, "IMM-REP8") == set()


# -- the declared callers (nag/_callers.py): every entry judged, and held to CloudFormation's schemas ---------

CASES = [(kind, caller) for kind, callers in CALLERS.items() for caller in callers]


def _ids(case: tuple[str, Caller]) -> str:
    return f"{case[0]}:{case[1].path}"


def placed(kind: str, caller: Caller, value: Any, *, condition: str | None = "met") -> dict[str, Any]:
    """A resource of ``kind`` whose property at ``caller.path`` is ``value``, the caller's condition met
    (``condition="met"``) or broken (any other string: the condition's key gets that value)."""
    properties: dict[str, Any] = {}
    node = properties
    segments = caller.path.split(".")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        name = "Fn" if segment == "*" else segment.removesuffix("[]")
        child: Any = value if last else {}
        node[name] = [child] if segment.endswith("[]") else child
        if not last:
            node = child
    if caller.when is not None and condition is not None:
        key, accepted = caller.when
        chosen = sorted(v for v in accepted if v is not None)[:1] if condition == "met" else [condition]
        if chosen:
            (properties if key.startswith("/") else node)[key.lstrip("/")] = chosen[0]
    return {"Type": kind, "Properties": properties}


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_every_declared_caller_of_the_unqualified_function_is_reported(case: tuple[str, Caller]) -> None:
    kind, caller = case
    assert reported({**VERSIONED, "Caller": placed(kind, caller, ARN)}, "IMM-REP8") == {"Caller"}
    assert reported({**VERSIONED, "Caller": placed(kind, caller, {"Ref": "Fn"})}, "IMM-REP8") == {"Caller"}


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_every_declared_caller_of_the_alias_passes(case: tuple[str, Caller]) -> None:
    kind, caller = case
    assert reported({**VERSIONED, "Caller": placed(kind, caller, {"Ref": "Live"})}, "IMM-REP8") == set()


@pytest.mark.parametrize("case", [c for c in CASES if c[1].when is not None], ids=_ids)
def test_a_caller_whose_condition_does_not_hold_is_not_judged(case: tuple[str, Caller]) -> None:
    """A load balancer target group of instances, an SNS subscription over email, a permission to read the
    function, a URL of an alias: what names the function there does not invoke it unqualified."""
    kind, caller = case
    other = "live" if None in caller.when[1] else "other"  # type: ignore[index]
    assert reported({**VERSIONED, "Caller": placed(kind, caller, ARN, condition=other)}, "IMM-REP8") == set()


def test_a_state_machine_that_invokes_the_function_unqualified_is_reported_and_by_alias_passes() -> None:
    """CDK's LambdaInvoke writes the function's ARN into DefinitionString with Fn::Join; a qualifier follows it
    only when the task names the alias (``lambda_function=alias``)."""
    definition = ['{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",'
                  '"Parameters":{"FunctionName":"', ARN, '"},"End":true}}}']  # fmt: skip
    machine = {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {"DefinitionString": {"Fn::Join": ["", definition]}},
    }
    assert reported({**VERSIONED, "Machine": machine}, "IMM-REP8") == {"Machine"}
    definition[1] = {"Ref": "Live"}
    assert reported({**VERSIONED, "Machine": machine}, "IMM-REP8") == set()
    definition[1:2] = [ARN, ":live"]
    assert reported({**VERSIONED, "Machine": machine}, "IMM-REP8") == set()


SCHEMAS = Path(cfnlint.__file__).parent / "data" / "schemas"
#: A property named like this, whose name or description speaks of a Lambda function, names one to invoke.
#: Roles, keys, secrets, VPCs, layers, topics and event sources are named next to functions, and are not functions.
NOT_A_FUNCTION = re.compile(
    r"(RoleArn|CredentialsArn|KeyArn|KMSArn|KmsKeyArn|SecretArn|VpcId|LayerArn|TopicArn|SourceArn|ExecutionRoleArn)$"
)
FUNCTION_PROPERTY = re.compile(
    r"(Arn|ARN|Uri|URI|Name|Function|Lambda|LambdaFunction|Endpoint|Target|Destination|Id|Identifier|Token"
    r"|Enrichment|Value|Content)$"
)


@functools.cache
def schemas() -> dict[str, dict[str, Any]]:
    """Resource type -> its CloudFormation resource schema, as cfn-lint (pinned in requirements-dev.txt) ships them."""
    found: dict[str, dict[str, Any]] = {}
    for provider in sorted((SCHEMAS / "providers").glob("*.json")):
        for kind, digest in json.loads(provider.read_text()).items():
            if kind not in found and (SCHEMAS / "resources" / f"{digest}.json").is_file():
                found[kind] = json.loads((SCHEMAS / "resources" / f"{digest}.json").read_text())
    return found


def _resolved(schema: dict[str, Any], node: Any, seen: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The node with its $ref followed and its oneOf/anyOf/allOf alternatives spread out."""
    if not isinstance(node, dict):
        return []
    if "$ref" in node and node["$ref"] not in seen:
        target: Any = schema
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target.get(part, {})
        return _resolved(schema, target, seen | {node["$ref"]})
    found = [node]
    for key in ("oneOf", "anyOf", "allOf"):
        for alternative in node.get(key) or []:
            found.extend(_resolved(schema, alternative, seen))
    return found


def _walk(schema: dict[str, Any], node: Any, path: str, seen: frozenset[str]) -> Iterator[tuple[str, str, Any]]:
    """(path in the _callers notation, property name, its schema) for every property under ``node``."""
    for each in _resolved(schema, node):
        for name, sub in (each.get("properties") or {}).items():
            here = f"{path}.{name}" if path else name
            yield here, name, sub
            refs = frozenset(r["$ref"] for r in [sub, sub.get("items") or {}] if isinstance(r, dict) and "$ref" in r)
            if refs & seen:
                continue
            for alternative in _resolved(schema, sub):
                if alternative.get("type") == "array" or "items" in alternative:
                    yield from _walk(schema, alternative.get("items"), here + "[]", seen | refs)
                else:
                    yield from _walk(schema, alternative, here, seen | refs)


def _exists(kind: str, path: str) -> bool:
    schema = schemas()[kind]
    nodes = [schema]
    for segment in path.split("."):
        following: list[Any] = []
        for node in (n for each in nodes for n in _resolved(schema, each)):
            if segment == "*":
                following.extend(p for p in (node.get("patternProperties") or {}).values())
                if isinstance(node.get("additionalProperties"), dict):
                    following.append(node["additionalProperties"])
                continue
            sub = (node.get("properties") or {}).get(segment.removesuffix("[]"))
            if sub is not None and segment.endswith("[]"):
                following.extend(a.get("items") for a in _resolved(schema, sub) if "items" in a)
            elif sub is not None:
                following.append(sub)
        nodes = [n for n in following if isinstance(n, dict)]
        if not nodes:
            return False
    return True


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_every_declared_caller_is_a_property_of_its_resource_schema(case: tuple[str, Caller]) -> None:
    kind, caller = case
    assert kind in schemas(), f"{kind} is not a CloudFormation resource type"
    assert _exists(kind, caller.path), f"{kind} has no property {caller.path}"


@pytest.mark.parametrize("entry", sorted(NOT_CALLERS), ids=lambda e: f"{e[0]}:{e[1]}")
def test_every_property_declared_not_a_caller_exists(entry: tuple[str, str]) -> None:
    assert entry[0] in schemas() and _exists(*entry), entry


def test_every_property_that_names_a_function_to_invoke_is_judged_or_excluded_with_a_reason() -> None:
    """Walks every resource schema: a property named like a function's ARN or name whose name or description
    speaks of a Lambda function is a caller in CALLERS (or holds one), read-only, or in NOT_CALLERS."""
    undecided = []
    for kind, schema in schemas().items():
        read_only = {p.removeprefix("/properties/").replace("/", ".") for p in schema.get("readOnlyProperties", [])}
        declared = [c.path for c in CALLERS.get(kind, ())]
        for path, name, sub in _walk(schema, schema, "", frozenset()):
            description = sub.get("description", "") if isinstance(sub, dict) else ""
            if not FUNCTION_PROPERTY.search(name) or NOT_A_FUNCTION.search(name):
                continue
            if not re.search(r"lambda", f"{name} {description}", re.I):
                continue
            if any(path == r or path.startswith((r + ".", r + "[]")) for r in read_only) or (kind, path) in NOT_CALLERS:
                continue
            if any(d == path or d.startswith(path + ".") or d.startswith(path + "[]") for d in declared):
                continue
            undecided.append(f"{kind}: {path}: {description[:80]}")
    assert undecided == [], "\n".join(undecided)


def test_the_rules_page_counts_the_declared_callers() -> None:
    page = (ROOT / "docs" / "rules.md").read_text()
    counted = f"{sum(len(c) for c in CALLERS.values())} properties of {len(CALLERS)} resource types"
    assert counted in " ".join(page.split()), f"docs/rules.md IMM-REP8 should say: {counted}"
