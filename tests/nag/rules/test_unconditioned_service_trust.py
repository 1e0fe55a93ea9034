"""IMM-PRIV3: a role a service assumes for your resources, trusted without a source condition."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

from ..helpers import findings, new_stack


def test_cdks_default_flow_log_role_warns_and_a_conditioned_one_passes() -> None:
    _, stack, _ = new_stack()
    ec2.Vpc(stack, "Default", max_azs=1, nat_gateways=0, flow_logs={"All": ec2.FlowLogOptions()})
    role = iam.Role(
        stack,
        "FlowLogRole",
        assumed_by=iam.ServicePrincipal(
            "vpc-flow-logs.amazonaws.com",
            conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {
                    "aws:SourceArn": stack.format_arn(service="ec2", resource="vpc-flow-log", resource_name="*")
                },
            },
        ),
    )
    destination = ec2.FlowLogDestination.to_cloud_watch_logs(iam_role=role)
    ec2.Vpc(stack, "Own", max_azs=1, nat_gateways=0, flow_logs={"All": ec2.FlowLogOptions(destination=destination)})
    found = findings(stack, "IMM-PRIV3")
    assert len(found) == 1 and "IAMRole" in next(iter(found))  # CDK's role under Default/All, not FlowLogRole
    (messages,) = found.values()
    assert "vpc-flow-logs.amazonaws.com may assume the role for any account's resources" in messages[0]


def test_each_documented_service_needs_a_source_and_other_services_are_not_judged() -> None:
    _, stack, _ = new_stack()
    for service in ("imagebuilder", "codedeploy", "states"):
        iam.Role(stack, f"Bare{service}", assumed_by=iam.ServicePrincipal(f"{service}.amazonaws.com"))
        iam.Role(
            stack,
            f"Sourced{service}",
            assumed_by=iam.ServicePrincipal(
                f"{service}.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": "111122223333"}}
            ),
        )
    iam.Role(stack, "Lambda", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    assert sorted(k[:8] for k in findings(stack, "IMM-PRIV3")) == ["Barecode", "Bareimag", "Barestat"]
