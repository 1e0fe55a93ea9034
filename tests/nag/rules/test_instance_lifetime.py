"""IMM-REP7: a group without MaxInstanceLifetime, or with one above 365 days set by an escape hatch."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2

from ..helpers import findings, new_stack

IMAGE = ec2.MachineImage.generic_linux({"us-east-1": "ami-12345678"})


def group(stack: object, vpc: ec2.IVpc, id: str, lifetime: Duration | None) -> autoscaling.AutoScalingGroup:
    return autoscaling.AutoScalingGroup(
        stack, id, vpc=vpc, instance_type=ec2.InstanceType("t3.micro"), machine_image=IMAGE,  # type: ignore[arg-type]
        update_policy=autoscaling.UpdatePolicy.rolling_update(), max_instance_lifetime=lifetime,
    )  # fmt: skip


def test_group_without_lifetime_is_reported() -> None:
    _, stack, vpc = new_stack()
    group(stack, vpc, "Forever", None)
    (messages,) = findings(stack, "IMM-REP7").values()
    assert "Properties.MaxInstanceLifetime is not set" in messages[0]


def test_lifetime_over_365_days_through_an_escape_hatch_is_reported() -> None:
    _, stack, vpc = new_stack()
    cfn = group(stack, vpc, "Hatch", Duration.days(30)).node.default_child
    assert isinstance(cfn, autoscaling.CfnAutoScalingGroup)
    cfn.max_instance_lifetime = 400 * 86400
    (messages,) = findings(stack, "IMM-REP7").values()
    assert "400 days is above the maximum of 365 days" in messages[0] and "deploy fails" in messages[0]


def test_lifetime_within_a_year_passes() -> None:
    _, stack, vpc = new_stack()
    group(stack, vpc, "Year", Duration.days(365))
    group(stack, vpc, "Fortnight", Duration.days(14))
    assert findings(stack, "IMM-REP7") == {}
