"""What drift detection reads, per resource type: the drift function's read policy.

Drift detection reads every resource of a stack with the caller's permissions (CloudFormation User
Guide, "Detect unmanaged configuration changes to stacks and resources with drift detection",
"Considerations when detecting drift"). For a registry resource type it reads through the type's read
handler, whose permissions the type's schema lists under ``handlers.read.permissions`` (CloudFormation
Command Line Interface User Guide, "Resource type schema"). ``_read_permissions.json`` holds them for
every public type, generated from the schemas cfn-lint ships (``tools/drift_read_permissions.py``; a
test checks the file against the installed cfn-lint). Nothing here reads data: no ``s3:GetObject``, no
``logs:GetLogEvents``, no ``sqs:ReceiveMessage``, no ``ssm:GetParameter`` with decryption, unlike the
AWS-managed ``ReadOnlyAccess`` this replaces.

The policy is written once the construct tree is complete (an aspect on the construct), so resources
added to a watched stack after the ``StackDriftAlarm`` are read too.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from aws_cdk import Acknowledgment, ArnFormat, CfnResource, IAspect, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct, IConstruct
from jsii import implements

from .._private.nag import flatten_cfn_reference
from .._private.warnings import warn

_TABLE = Path(__file__).resolve().parent / "_read_permissions.json"

# Types without a registry read handler that drift detection still checks; the actions are the API reads
# that return their properties (IAM API Reference GetRolePolicy/GetUserPolicy/GetGroupPolicy; SNS API
# Reference GetTopicAttributes, whose Policy attribute is the topic policy; SQS API Reference
# GetQueueAttributes, attribute Policy). The User Guide's "Resource type support" table, which lists the
# types drift detection checks, could not be read from here: a type missing from both tables gets a warning.
LEGACY: dict[str, tuple[str, ...]] = {
    "AWS::IAM::Policy": ("iam:GetGroupPolicy", "iam:GetRolePolicy", "iam:GetUserPolicy"),
    "AWS::SNS::TopicPolicy": ("sns:GetTopicAttributes",),
    "AWS::SQS::QueuePolicy": ("sqs:GetQueueAttributes",),
}
# Drift detection does not check custom resources, CDK's metadata or nested stacks' contents
# (DetectStackDrift API Reference: "doesn't detect drift on any nested stacks").
_NOT_CHECKED = ("Custom::", "AWS::CloudFormation::CustomResource", "AWS::CDK::Metadata", "AWS::CloudFormation::Wait")
_WARN_TYPES = "immutable-constructs:driftTypesUnknown"
DECRYPT = "kms:decrypt"
# Reads that return data, not configuration: granted only on the watched resources. Lambda's GetFunction
# returns the environment and a link to the code; GetSecretValue the secret. Both services let a policy name
# the resource by ARN or by tag (Lambda Developer Guide, "Using attribute-based access control in Lambda";
# Secrets Manager User Guide, "Attribute-based access control"); CloudFormation tags every resource it creates
# that takes tags with aws:cloudformation:stack-name (CloudFormation User Guide, "Resource tag").
SCOPED: dict[str, tuple[str, str, str]] = {
    # action (lower case) -> (resource type, ARN resource part, "Arn" attribute or "Ref")
    "lambda:getfunction": ("AWS::Lambda::Function", "function:*", "Arn"),
    "secretsmanager:getsecretvalue": ("AWS::SecretsManager::Secret", "secret:*", "Ref"),
}
# Reads named by an ARN of this account and region: granted on those ARNs rather than "*". Drift detection runs in
# the watched stacks' own account and region (DetectStackDrift is a regional API of the stack's account), so
# nothing it reads is elsewhere. ssm:GetParameters (the AWS::SSM::Parameter read handler) takes parameter ARNs
# (Service Authorization Reference, Systems Manager: resource type "parameter").
IN_ACCOUNT: dict[str, tuple[str, str]] = {"ssm:getparameters": ("ssm", "parameter")}
# Reads of objects, items or rows: never granted here (a drift check is not worth reading the data).
WITHHELD = ("s3:getobject", "s3:getobjectacl", "s3:getobjectversion", "dynamodb:getitem", "cassandra:select")


@functools.cache
def read_permissions() -> dict[str, tuple[str, ...]]:
    """Resource type -> the read actions of its read handler (``kms:Decrypt`` included where listed)."""
    table = json.loads(_TABLE.read_text())
    return {t: tuple(a) for t, a in table.items() if not t.startswith("_")}


def actions_for(types: Iterable[str]) -> tuple[list[str], list[str], list[str]]:
    """(read actions, services that decrypt for their reads, types this table does not know)."""
    table = read_permissions()
    actions: set[str] = set()
    decrypting: set[str] = set()
    unknown: list[str] = []
    for resource_type in sorted(set(types)):
        if resource_type.startswith(_NOT_CHECKED):
            continue
        listed = table.get(resource_type) or LEGACY.get(resource_type)
        if listed is None:
            unknown.append(resource_type)
            continue
        reads = [a for a in listed if a.lower() != DECRYPT]
        actions.update(reads)
        if len(reads) < len(listed) and reads:
            # The service whose API the handler calls decrypts with the caller's credentials, so the
            # request reaches KMS through that service (AWS KMS Developer Guide, "kms:ViaService").
            decrypting.add(reads[0].split(":", 1)[0].lower())
    return sorted(actions, key=str.lower), sorted(decrypting), unknown


def watched_stacks(scope: Construct, stacks: Sequence[Stack | str]) -> tuple[list[Stack], list[str]]:
    """The watched stacks this app defines (a name is looked up in the app), and the names it does not."""
    in_app = {s.stack_name: s for s in scope.node.root.node.find_all() if isinstance(s, Stack)}
    found: list[Stack] = []
    missing: list[str] = []
    for item in stacks:
        stack = item if isinstance(item, Stack) else in_app.get(item)
        if stack is None:
            missing.append(str(item))
        elif stack not in found:
            found.append(stack)
    return found, missing


def _own_resources(stack: Stack) -> list[CfnResource]:
    """The resources of ``stack`` itself, not of its nested stacks (drift detection does not enter those)."""
    return [c for c in stack.node.find_all() if isinstance(c, CfnResource) and Stack.of(c) is stack]


@implements(IAspect)
class ReadPolicyWriter:
    """Writes the read policy of a StackDriftAlarm once, when aspects run (the tree is complete then)."""

    def __init__(self, owner: Construct, policy: iam.Policy, stacks: Sequence[Stack | str]) -> None:
        self._owner = owner
        self._policy = policy
        self._stacks = list(stacks)
        self._done = False

    def visit(self, node: IConstruct) -> None:
        if self._done or node is not self._owner:
            return
        self._done = True
        own = Stack.of(self._owner)
        stacks, missing = watched_stacks(self._owner, self._stacks)
        resources = [r for s in stacks for r in _own_resources(s)]
        actions, decrypting, unknown = actions_for(r.cfn_resource_type for r in resources)
        withheld = sorted({a for a in actions if a.lower() in WITHHELD})
        scoped = sorted({a for a in actions if a.lower() in SCOPED})
        in_account = sorted({a for a in actions if a.lower() in IN_ACCOUNT})
        actions = [a for a in actions if a not in withheld and a not in scoped and a not in in_account]
        if withheld:
            warn(
                self._owner,
                "immutable-constructs:driftDataReadWithheld",
                f"drift detection of some watched resources reads their data ({', '.join(withheld)}); the drift "
                "role is not given that: drift detection of those resources fails until you grant it on them "
                "(drift.role.add_to_principal_policy(...)) or pass role= (docs/security.md).",
            )
        for action in scoped:
            self._policy.add_statements(*self._scoped(own, stacks, action))
        for action in in_account:
            service, resource = IN_ACCOUNT[action.lower()]
            arn = own.format_arn(service=service, resource=resource, resource_name="*")
            self._policy.add_statements(
                iam.PolicyStatement(sid="ReadWatchedParameters", actions=[action], resources=[arn])
            )
            Validations.of(self._policy).acknowledge(
                Acknowledgment(
                    id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{flatten_cfn_reference(own.resolve(arn))}]",
                    reason="The watched stacks' parameters, in this account and region; their names are chosen by "
                    "CloudFormation or in other stacks. String parameters only: no kms:Decrypt for SecureStrings.",
                )
            )
        if missing or unknown:
            warn(
                self._owner,
                _WARN_TYPES,
                "drift detection cannot read "
                + "; ".join(
                    ([f"stacks this app does not define: {', '.join(missing)}"] if missing else [])
                    + ([f"resource types it has no read permissions for: {', '.join(unknown)}"] if unknown else [])
                )
                + ". Pass the Stack objects, or pass role= with the read permissions they need (docs/security.md).",
            )
        if actions:
            # Resource "*": most of these reads (Describe*, List*) take no resource ARN at all (Service
            # Authorization Reference, each service's "Actions" table); none of them returns data.
            self._policy.add_statements(
                iam.PolicyStatement(sid="ReadWatchedResources", actions=actions, resources=["*"])
            )
            for action in sorted({a for a in actions if "*" in a}):
                Validations.of(self._policy).acknowledge(
                    Acknowledgment(
                        id=f"AwsSolutions::AwsSolutions-IAM5[Action::{action}]",
                        reason="The read handler of a watched resource type lists this action in its CloudFormation "
                        "resource schema (handlers.read.permissions).",
                    )
                )
            Validations.of(self._policy).acknowledge(
                Acknowledgment(
                    id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
                    reason="Drift detection's read actions (Describe*, List*, Get* of the watched resource types) "
                    "mostly take no resource ARN; none returns data (no object, log event, message or secret).",
                )
            )
        if decrypting:
            self._policy.add_statements(self._decrypt(own, stacks, decrypting))
        if not actions and not decrypting:
            self._policy.add_statements(
                iam.PolicyStatement(
                    sid="ReadWatchedStacks", actions=["cloudformation:DescribeStackResources"], resources=["*"]
                )
            )

    def _scoped(self, own: Stack, stacks: list[Stack], action: str) -> list[iam.PolicyStatement]:
        """``action`` on the watched resources only: by ARN in this stack, by stack tag in the others."""
        resource_type, arn_part, attribute = SCOPED[action.lower()]
        sid = "Read" + action.split(":", 1)[1][:1].upper() + action.split(":", 1)[1][1:] + "OfWatched"
        found: list[iam.PolicyStatement] = []
        mine = [r for r in _own_resources(own) if r.cfn_resource_type == resource_type] if own in stacks else []
        if mine:
            arns = [r.ref if attribute == "Ref" else r.get_att(attribute).to_string() for r in mine]
            found.append(iam.PolicyStatement(sid=sid, actions=[action], resources=arns))
        others = [s.stack_name for s in stacks if s is not own]
        if others:
            service, part = action.split(":", 1)[0], arn_part.split(":", 1)[0]
            pattern = own.format_arn(
                service=service, resource=part, resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
            )
            found.append(
                iam.PolicyStatement(
                    sid=sid + "Stacks",
                    actions=[action],
                    resources=[pattern],
                    conditions={"StringEquals": {"aws:ResourceTag/aws:cloudformation:stack-name": others}},
                )
            )
            Validations.of(self._policy).acknowledge(
                Acknowledgment(
                    id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{flatten_cfn_reference(own.resolve(pattern))}]",
                    reason="Resources of other stacks are known by name only at deploy time; the "
                    "aws:cloudformation:stack-name tag condition limits the read to the watched stacks.",
                )
            )
        return found

    def _decrypt(self, own: Stack, stacks: list[Stack], services: list[str]) -> iam.PolicyStatement:
        """kms:Decrypt for the watched stacks' keys, and only when a watched service asks for it.

        Keys in this construct's own stack are named by ARN; when other stacks are watched, their keys are
        only known by id at deploy time (a cross-stack reference would tie the stacks together), so the
        statement names this account's keys and relies on ``kms:ViaService`` (AWS KMS Developer Guide,
        "kms:ViaService") and ``kms:CallerAccount``.
        """
        only_own = all(s is own for s in stacks)
        keys = [k.attr_arn for k in own.node.find_all() if isinstance(k, kms.CfnKey) and Stack.of(k) is own]
        any_key = own.format_arn(service="kms", resource="key", resource_name="*")
        resources = keys if only_own and keys else [any_key]
        if not (only_own and keys):
            Validations.of(self._policy).acknowledge(
                Acknowledgment(
                    id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{flatten_cfn_reference(own.resolve(any_key))}]",
                    reason="The watched stacks' keys are known by id only at deploy time; kms:ViaService limits "
                    "decryption to the reads of the watched services.",
                )
            )
        return iam.PolicyStatement(
            sid="DecryptWatchedResources",
            actions=["kms:Decrypt"],
            resources=resources,
            conditions={
                "StringEquals": {
                    "kms:ViaService": [f"{s}.{own.region}.amazonaws.com" for s in services],
                    "kms:CallerAccount": own.account,
                }
            },
        )
