"""IMM-PRIV1 and IMM-PRIV2 (issue 28): a service role that reads everything; RunInstances not bound to a template."""

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


def test_run_instances_on_any_image_fails_and_bound_to_a_template_passes() -> None:
    _, stack, _ = new_stack()
    loose = iam.Role(stack, "Loose", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    loose.add_to_policy(iam.PolicyStatement(actions=["ec2:RunInstances"], resources=["*"]))
    bound = iam.Role(stack, "Bound", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    template = "arn:aws:ec2:us-east-1:111122223333:launch-template/lt-0abc"
    bound.add_to_policy(iam.PolicyStatement(actions=["ec2:RunInstances"], resources=[template]))
    bound.add_to_policy(
        iam.PolicyStatement(
            actions=["ec2:RunInstances"],
            resources=["arn:aws:ec2:us-east-1::image/*", "arn:aws:ec2:us-east-1:111122223333:instance/*"],
            conditions={"ArnLike": {"ec2:LaunchTemplate": template}},
        )
    )
    wildcard = iam.Role(stack, "Wildcard", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    wildcard.add_to_policy(iam.PolicyStatement(actions=["ec2:Run*"], resources=["arn:aws:ec2:*:*:instance/*"]))
    found = findings(stack, "IMM-PRIV2")
    assert sorted(k[:5] for k in found) == ["Loose", "Wildc"]
    (loose_messages,) = [m for k, m in found.items() if k.startswith("Loose")]
    assert "Properties.PolicyDocument.Statement.0.Resource = *" in loose_messages[0] or "= *" in loose_messages[0]
    assert "not bound to a launch template" in loose_messages[0]
