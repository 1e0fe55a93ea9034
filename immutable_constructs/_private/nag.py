"""Acknowledge exactly the cdk-nag findings a construct's own resources cause."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct


def flatten_cfn_reference(node: object) -> str:
    """How cdk-nag renders a resolved resource in its finding ids (``<Logical.Arn>``, ``<AWS::Region>``)."""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return str(delimiter).join(flatten_cfn_reference(item) for item in items)
        if "Fn::Sub" in node:
            return flatten_cfn_reference(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{flatten_cfn_reference(resource)}.{flatten_cfn_reference(attribute)}>"
        if "Fn::ImportValue" in node:
            return flatten_cfn_reference(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{flatten_cfn_reference(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))


def acknowledge_wildcards(policy: IConstruct, reasons: Mapping[str, str]) -> None:
    """Acknowledge AwsSolutions-IAM5 for each wildcard resource in ``reasons`` (resource -> reason), on ``policy``.

    cdk-nag 3 reports one IAM5 finding per wildcard resource and only an acknowledgement
    with that exact id covers it (a rule-level one does not), so whatever else is later
    added with a wildcard is still reported.
    """
    stack = Stack.of(policy)
    for resource, reason in reasons.items():
        flat = flatten_cfn_reference(stack.resolve(resource))
        if "*" in flat:
            Validations.of(policy).acknowledge(
                Acknowledgment(id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{flat}]", reason=reason)
            )
