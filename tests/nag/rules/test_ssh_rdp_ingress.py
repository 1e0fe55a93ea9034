"""IMM-SSH1 on a group's own members: the peer rule of clusters passes, a deliberate SSH rule does not."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2

from ..helpers import findings, new_stack


def test_self_referencing_all_tcp_rule_passes() -> None:
    _, stack, vpc = new_stack()
    group = ec2.SecurityGroup(stack, "Cluster", vpc=vpc)
    group.add_ingress_rule(group, ec2.Port.all_tcp())
    group.add_ingress_rule(group, ec2.Port.all_traffic())
    assert findings(stack, "IMM-SSH1") == {}


def test_self_referencing_ssh_rule_is_reported_as_the_group_itself() -> None:
    _, stack, vpc = new_stack()
    group = ec2.SecurityGroup(stack, "Cluster", vpc=vpc)
    group.add_ingress_rule(group, ec2.Port.tcp(22))
    (messages,) = findings(stack, "IMM-SSH1").values()
    assert len(messages) == 1
    assert "ingress from the group itself" in messages[0] and "reaches SSH (22): every member" in messages[0]


def test_all_tcp_from_another_group_is_still_reported() -> None:
    _, stack, vpc = new_stack()
    group = ec2.SecurityGroup(stack, "Db", vpc=vpc)
    other = ec2.SecurityGroup(stack, "App", vpc=vpc)
    group.add_ingress_rule(other, ec2.Port.all_tcp())
    (messages,) = findings(stack, "IMM-SSH1").values()
    assert "SourceSecurityGroupId" in messages[0] and "itself" not in messages[0]
