"""IMM-PRIV4: an instance role may write the AMI catalog."""

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


def test_writing_the_apps_own_parameter_passes_and_a_named_catalog_parameter_fails() -> None:
    # cdk-gitlab-runner (tools/corpus) lets its runner write its token parameter, named by CloudFormation:
    # a Ref to a parameter of the template names that parameter, not any path.
    _, stack, _ = new_stack()
    token = ssm.StringParameter(stack, "Token", string_value="unset")
    token.grant_write(_instance_role(stack, "Runner"))
    stable = ssm.StringParameter(stack, "Channel", parameter_name="/images/web/stable", string_value="ami-12345678")
    stable.grant_write(_instance_role(stack, "Host"))
    assert sorted(k[:4] for k in findings(stack, "IMM-PRIV4")) == ["Host"]
