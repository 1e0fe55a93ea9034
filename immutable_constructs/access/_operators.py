"""The customer managed policies of SessionManagerAccess (instance logging, operators) and how
they reach a role, user or group."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import cast

import jsii
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from .._private.arns import instance_arn
from .._private.nag import acknowledge_wildcards
from .._private.validation import Problems


@jsii.implements(iam.IGrantable)
class Grantable:
    """An ``IGrantable`` view of a principal, for jsii methods that want a grantee."""

    def __init__(self, principal: iam.IPrincipal) -> None:
        self._principal = principal

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self._principal


@jsii.implements(iam.IPrincipal)
class ManagedPolicyPrincipal:
    """A principal whose "own policy" is a managed policy of ours already attached to ``principal``.

    ``iam.Grant.add_to_principal`` through this view puts the statements into that managed policy
    (so cdk-nag acknowledgements live on our own child) and still returns a real ``iam.Grant``
    whose ``apply_before`` makes resources wait for the policy.
    """

    def __init__(self, policy: iam.ManagedPolicy, principal: iam.IPrincipal) -> None:
        self._policy = policy
        self._principal = principal

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self

    @property
    def assume_role_action(self) -> str:
        return self._principal.assume_role_action

    @property
    def policy_fragment(self) -> iam.PrincipalPolicyFragment:
        return self._principal.policy_fragment

    @property
    def principal_account(self) -> str | None:
        return self._principal.principal_account

    def add_to_policy(self, statement: iam.PolicyStatement) -> bool:
        return self.add_to_principal_policy(statement).statement_added

    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        self._policy.add_statements(statement)
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self._policy)


def instance_logging_policy(scope: Construct, wildcard_reasons: Iterable[dict[str, str]]) -> iam.ManagedPolicy:
    """``InstanceLoggingPolicy``, empty: grants add its statements; each wildcard in ``wildcard_reasons``
    gets its exact AwsSolutions-IAM5 acknowledgement."""
    policy = iam.ManagedPolicy(
        scope,
        "InstanceLoggingPolicy",
        description="Lets instances log and decrypt Session Manager sessions (immutable-constructs)",
    )
    for reasons in wildcard_reasons:
        acknowledge_wildcards(policy, reasons)
    return policy


def operator_policy(
    scope: Construct, policy_id: str, tag: tuple[str, str], *, document_arns: list[str], key_arn: str
) -> tuple[iam.ManagedPolicy, iam.PolicyStatement]:
    """The policy that lets an operator start logged sessions with ``document_arns`` on instances tagged ``tag``,
    and its statement naming the documents (more can be added until synth)."""
    key, value = tag
    stack = Stack.of(scope)
    instances = instance_arn(stack)
    sessions = stack.format_arn(service="ssm", resource="session", resource_name="*")
    document_check = {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
    documents = iam.PolicyStatement(
        sid="StartSessionWithThisDocument",
        actions=["ssm:StartSession"],
        resources=document_arns,
        conditions=document_check,
    )
    policy = iam.ManagedPolicy(
        scope,
        policy_id,
        description=f"Start logged Session Manager sessions on instances tagged {key} (immutable-constructs)",
        statements=[
            iam.PolicyStatement(
                sid="StartSessionOnTaggedInstances",
                actions=["ssm:StartSession"],
                resources=[instances],
                conditions={"StringEquals": {f"ssm:resourceTag/{key}": value}, **document_check},
            ),
            documents,
            iam.PolicyStatement(
                sid="ManageOwnSessions",
                actions=["ssm:TerminateSession", "ssm:ResumeSession"],
                resources=[sessions],
                conditions={"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"}},
            ),
            # Issue 28: only the caller's own sessions, as for Terminate/ResumeSession (Systems Manager User
            # Guide, "Sample IAM policies for Session Manager", quickstart end user policies).
            iam.PolicyStatement(
                sid="OpenSessionDataChannel",
                actions=["ssmmessages:OpenDataChannel"],
                resources=[sessions],
                conditions={"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"}},
            ),
            iam.PolicyStatement(
                sid="DescribeSessions",
                actions=["ssm:DescribeSessions", "ssm:GetConnectionStatus", "ssm:DescribeInstanceInformation"],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="EncryptSessionData",
                actions=["kms:GenerateDataKey"],
                resources=[key_arn],
            ),
        ],
    )
    acknowledge_wildcards(
        policy,
        {
            instances: f"ssm:StartSession on instances is limited by condition to those tagged {key} and by "
            "ssm:SessionDocumentAccessCheck to this construct's logged document; instance ids are not known "
            "at synth time.",
            sessions: "Terminate/ResumeSession are limited by condition to the caller's own sessions "
            "(ssm:resourceTag/aws:ssmmessages:session-id = aws:userid), and so is ssmmessages:OpenDataChannel. "
            "Session ids are generated per session.",
            "*": "Only ssm:DescribeSessions, ssm:GetConnectionStatus and ssm:DescribeInstanceInformation, which "
            "have no resource-level scope and are read-only.",
        },
    )
    return policy, documents


def operator_policy_id(fleet_path: str | None) -> str:
    """``OperatorPolicy`` for the construct's access tag, ``OperatorPolicy<hash of the fleet's path>`` per fleet."""
    if fleet_path is None:
        return "OperatorPolicy"
    return "OperatorPolicy" + hashlib.sha256(fleet_path.encode()).hexdigest()[:8].upper()


def attach(scope: Construct, policy: iam.ManagedPolicy, principal: iam.IPrincipal, prop: str) -> None:
    """Attach ``policy`` to ``principal`` (a role, user or group); any other principal is a ValidationError."""
    if hasattr(principal, "role_name"):
        policy.attach_to_role(cast(iam.IRole, principal))
    elif hasattr(principal, "user_name"):
        policy.attach_to_user(cast(iam.IUser, principal))
    elif hasattr(principal, "group_name"):
        policy.attach_to_group(cast(iam.IGroup, principal))
    else:
        problems = Problems(scope)
        problems.add(
            prop,
            principal,
            "only an IAM role, user or group can be given a managed policy",
            "pass the role (or user/group) itself, e.g. the fleet's instance role or an operator role",
        )
        problems.raise_if_any()


def grant_through(
    scope: Construct,
    policy: iam.ManagedPolicy,
    grantee: iam.IGrantable,
    statements: Iterable[tuple[list[str], list[str], dict[str, str]]],
) -> iam.Grant | None:
    """Attach ``policy`` to ``grantee`` and put ``statements`` into it; the combined grant, or ``None`` if empty."""
    principal = grantee.grant_principal
    attach(scope, policy, principal, "grantee")
    view = Grantable(cast(iam.IPrincipal, ManagedPolicyPrincipal(policy, principal)))
    grant: iam.Grant | None = None
    for actions, resources, _reasons in statements:
        added = iam.Grant.add_to_principal(grantee=view, actions=actions, resource_arns=resources)
        grant = added if grant is None else grant.combine(added)
    return grant
