"""IMM-PRIV2: ec2:RunInstances not bound to a launch template."""

from __future__ import annotations

from aws_cdk import aws_iam as iam

from ..helpers import findings, new_stack


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


def test_a_permissions_boundary_grants_nothing_and_is_not_judged_but_an_attached_policy_is() -> None:
    _, stack, _ = new_stack()
    cap = iam.ManagedPolicy(
        stack, "Cap", statements=[iam.PolicyStatement(actions=["ec2:RunInstances"], resources=["*"])]
    )
    bounded = iam.Role(stack, "Bounded", assumed_by=iam.ServicePrincipal("imagebuilder.amazonaws.com"))
    iam.PermissionsBoundary.of(bounded).apply(cap)
    attached = iam.ManagedPolicy(
        stack, "Attached", statements=[iam.PolicyStatement(actions=["ec2:RunInstances"], resources=["*"])]
    )
    attached.attach_to_role(bounded)
    assert sorted(k[:5] for k in findings(stack, "IMM-PRIV2")) == ["Attac"]
