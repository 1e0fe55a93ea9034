"""The AwsSolutions-IAM5 findings on the policies CDK Pipelines generates, acknowledged one wildcard at a time.

cdk-nag reports one IAM5 finding per wildcard action or resource of a policy (``AwsSolutions-IAM5[Action::...]``,
``[Resource::...]``); each is acknowledged here on that policy's ``AWS::IAM::Policy`` only, with the id of that
wildcard and a reason naming what it covers and why it cannot be narrowed from outside CDK Pipelines. A wildcard
that matches no entry below (another CDK version's, or one added later) stays reported and fails the synth.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import Construct

from .._private.nag import flatten_cfn_reference

_S3_GROUPS = {"s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*", "s3:Abort*"}
_KMS_GROUPS = {"kms:ReEncrypt*", "kms:GenerateDataKey*"}


@dataclass(frozen=True)
class _Context:
    buckets: frozenset[str]  # the artifact buckets' ARNs, flattened as cdk-nag writes them
    keys: frozenset[str]  # the artifact keys' ARNs, flattened


@dataclass(frozen=True)
class _Entry:
    """A wildcard that is acknowledged on policies whose path ends with ``path`` (a regex), when ``applies``."""

    path: str
    kind: str  # "Action" or "Resource"
    value: str  # a regex on the action or flattened resource
    applies: Callable[[dict[str, Any], _Context], bool]
    reason: str


def _on_artifacts(statement: dict[str, Any], context: _Context) -> bool:
    return all(r.removesuffix("/*") in context.buckets for r in _resources(statement))


def _on_keys(statement: dict[str, Any], context: _Context) -> bool:
    return all(r in context.keys for r in _resources(statement))


def _only(*actions: str) -> Callable[[dict[str, Any], _Context], bool]:
    return lambda statement, _: set(_actions(statement)) <= set(actions)


_ROLE = r"/Pipeline/Pipeline/(Role|Source/[^/]+/CodePipelineActionRole)/DefaultPolicy/Resource$"
_PROJECT = (
    r"/Pipeline/(Pipeline/Build/[^/]+/CdkBuildProject/Role|UpdatePipeline/SelfMutation/Role)/DefaultPolicy/Resource$"
)
_ANY = r"/Pipeline/.*/DefaultPolicy/Resource$"
_MUTATION = r"/Pipeline/UpdatePipeline/SelfMutation/Role/DefaultPolicy/Resource$"
_ASSETS = r"/Pipeline/Assets/(File|Docker)Role/DefaultPolicy/Resource$"

_ENTRIES: Sequence[_Entry] = (
    _Entry(_ANY, "Action", "|".join(map(re.escape, _S3_GROUPS)), _on_artifacts,
           "CDK Pipelines grants S3's read/write action groups (Bucket.grant_read/grant_read_write) on the "
           "pipeline's artifact buckets only: each action and build passes its input and output artifacts through "
           "them. The wildcard covers the object and bucket reads and writes of those buckets, nothing else; "
           "CDK Pipelines writes the statement itself (no prop narrows it)."),
    _Entry(_ANY, "Action", "|".join(map(re.escape, _KMS_GROUPS)), _on_keys,
           "CDK Pipelines grants encrypt/decrypt (Key.grant_encrypt_decrypt) on the artifact keys only: S3 uses the "
           "ReEncrypt* and GenerateDataKey* variants for the SSE-KMS artifacts; the resources are those keys, and CDK "
           "Pipelines writes the statement itself."),
    _Entry(_ANY, "Resource", r".+/\*", _on_artifacts,
           "The objects of the pipeline's artifact bucket: every execution writes its artifacts under new keys "
           "that CodePipeline generates per run, unknown when the template is written."),
    _Entry(r"/Pipeline/Pipeline/Role/DefaultPolicy/Resource$", "Resource", r"\*",
           _only("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"),
           "The artifact keys of the cross-region replication buckets live in the support stacks of other regions; "
           "CDK Pipelines names them by '*' because their ARNs are not known to this stack. Each key's policy "
           "admits this pipeline; what '*' allows beyond them is in docs/security.md (release pipeline)."),
    _Entry(_PROJECT, "Resource", r"arn:<AWS::Partition>:logs:[^:]+:\d+:log-group:/aws/codebuild/<\w+>:\*", _only(
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"),
           "The log streams of this CodeBuild project's own log group: CodeBuild names a stream per build, "
           "at run time."),
    _Entry(_PROJECT, "Resource", r"arn:<AWS::Partition>:codebuild:[^:]+:\d+:report-group/<\w+>-\*", _only(
        "codebuild:CreateReportGroup", "codebuild:CreateReport", "codebuild:UpdateReport",
        "codebuild:BatchPutTestCases", "codebuild:BatchPutCodeCoverages"),
           "This CodeBuild project's own report groups: CodeBuild names them <project>-<report group of the "
           "buildspec>, chosen by the buildspec at run time."),
    _Entry(_MUTATION, "Resource", r"arn:\*:iam::\d+:role/\*",
           lambda s, _: _actions(s) == ["sts:AssumeRole"] and "iam:ResourceTag/aws-cdk:bootstrap-role" in str(s),
           "Self-mutation runs cdk deploy, which assumes the CDK bootstrap roles (deploy, file and image "
           "publishing) of the pipeline's account; their names carry the bootstrap qualifier, so CDK Pipelines "
           "names them by the aws-cdk:bootstrap-role tag condition instead."),
    _Entry(_MUTATION, "Resource", r"\*", _only("cloudformation:DescribeStacks", "s3:ListBucket"),
           "Self-mutation's cdk deploy reads stack status (DescribeStacks) and lists the asset bucket before it "
           "assumes the bootstrap roles; both read-only, on stacks and buckets named at run time."),
    _Entry(_ASSETS, "Resource", r"arn:<AWS::Partition>:logs:[^:]+:\d+:log-group:/aws/codebuild/\*", _only(
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"),
           "CDK Pipelines' one asset role for all asset projects may write every CodeBuild log group; the "
           "role's <Role>Confinement policy (ReleasePipeline) denies any but its own asset projects' groups."),
    _Entry(_ASSETS, "Resource", r"arn:<AWS::Partition>:codebuild:[^:]+:\d+:report-group/\*", _only(
        "codebuild:CreateReportGroup", "codebuild:CreateReport", "codebuild:UpdateReport",
        "codebuild:BatchPutTestCases", "codebuild:BatchPutCodeCoverages"),
           "CDK Pipelines' one asset role may write every report group; the role's <Role>Confinement policy "
           "(ReleasePipeline) denies any but its own asset projects' report groups."),
    _Entry(_ASSETS, "Resource", r"\*", _only("codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"),
           "CDK Pipelines' asset role may start, stop and read any CodeBuild build; the role's <Role>Confinement "
           "policy (ReleasePipeline) denies all but its own asset projects' builds."),
)  # fmt: skip


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


def _resources(statement: dict[str, Any]) -> list[str]:
    resources = statement.get("Resource", [])
    return [flatten_cfn_reference(r) for r in (resources if isinstance(resources, list) else [resources])]


def acknowledge_generated(pipeline: Construct, buckets: Sequence[Any], keys: Sequence[Any]) -> int:
    """Acknowledge each known IAM5 wildcard of the policies under ``pipeline``; returns how many were."""
    stack = Stack.of(pipeline)
    context = _Context(
        buckets=frozenset(flatten_cfn_reference(stack.resolve(b)) for b in buckets),
        keys=frozenset(flatten_cfn_reference(stack.resolve(k)) for k in keys) | {"*"},
    )
    count = 0
    for policy in (node for node in pipeline.node.find_all() if isinstance(node, iam.CfnPolicy)):
        document = stack.resolve(policy.policy_document)
        # One finding per wildcard and policy: acknowledged only when every statement that has it is explained.
        reasons: dict[str, str | None] = {}
        for statement in (s for s in document.get("Statement", []) if s.get("Effect") == "Allow"):
            wildcards = [("Action", a) for a in _actions(statement) if "*" in a]
            wildcards += [("Resource", r) for r in _resources(statement) if "*" in r]
            for kind, value in wildcards:
                finding = f"AwsSolutions::AwsSolutions-IAM5[{kind}::{value}]"
                reason = _reason(policy.node.path, kind, value, statement, context)
                reasons[finding] = reason if reasons.get(finding, reason) is not None else None
        for finding, reason in reasons.items():
            if reason is not None:
                Validations.of(policy).acknowledge(Acknowledgment(id=finding, reason=reason))
                count += 1
    return count


def _reason(path: str, kind: str, value: str, statement: dict[str, Any], context: _Context) -> str | None:
    for entry in _ENTRIES:
        if (
            entry.kind == kind
            and re.search(entry.path, path)
            and re.fullmatch(entry.value, value)
            and entry.applies(statement, context)
        ):
            return entry.reason
    return None
