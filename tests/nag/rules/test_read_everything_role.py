"""IMM-PRIV1: a role a service assumes has ReadOnlyAccess, AdministratorAccess or PowerUserAccess."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from ..helpers import findings, new_stack


def _function(stack: object, role: iam.IRole) -> None:
    lambda_.Function(
        stack,  # type: ignore[arg-type]
        "Fn",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(e, c): pass"),
        role=role,
    )


def test_a_function_role_with_read_only_access_fails() -> None:
    _, stack, _ = new_stack()
    role = iam.Role(
        stack,
        "Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("ReadOnlyAccess")],
    )
    _function(stack, role)
    ((logical, messages),) = findings(stack, "IMM-PRIV1").items()
    assert logical.startswith("Role")
    assert "Properties.ManagedPolicyArns.0" in messages[0] and "ReadOnlyAccess" in messages[0]
    assert "every object, log event, message and parameter" in messages[0]


def test_a_function_role_with_scoped_statements_passes_and_a_person_role_is_not_judged() -> None:
    _, stack, _ = new_stack()
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["cloudformation:DescribeStacks"], resources=["*"]))
    _function(stack, role)
    iam.Role(
        stack,
        "Auditors",
        assumed_by=iam.AccountRootPrincipal(),
        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("ReadOnlyAccess")],
    )
    assert findings(stack, "IMM-PRIV1") == {}
