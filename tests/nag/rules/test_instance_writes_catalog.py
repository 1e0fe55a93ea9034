"""IMM-PRIV4 (issue 28): an instance role may write the AMI catalog."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm

from ..helpers import findings, new_stack


def _instance_role(stack: object, id: str) -> iam.Role:
    return iam.Role(stack, id, assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))  # type: ignore[arg-type]


def test_an_instance_role_that_may_write_a_channel_fails_and_one_that_reads_it_passes() -> None:
    _, stack, _ = new_stack()
    writer = _instance_role(stack, "Writer")
    stable = ssm.StringParameter.from_string_parameter_name(stack, "Stable", "/images/web/stable")
    stable.grant_write(writer)
    everything = _instance_role(stack, "Everything")
    everything.add_to_policy(iam.PolicyStatement(actions=["ssm:*"], resources=["*"]))
    reader = _instance_role(stack, "Reader")
    stable.grant_read(reader)
    own = _instance_role(stack, "OwnConfig")
    own.add_to_policy(
        iam.PolicyStatement(
            actions=["ssm:PutParameter"], resources=["arn:aws:ssm:us-east-1:111122223333:parameter/app/*"]
        )
    )
    function = iam.Role(stack, "Function", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    stable.grant_write(function)  # a promotion function may: not an instance role
    found = findings(stack, "IMM-PRIV4")
    assert sorted(k[:6] for k in found) == ["Everyt", "Writer"]
    assert any("point a channel at any image" in m for messages in found.values() for m in messages)
