"""IMM-FAIL1: a warning that predicts a failed launch is an error of the pack, acknowledgeable with a reason."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Acknowledgment, Annotations, App, Stack, Validations
from aws_cdk import aws_ec2 as ec2

from immutable_constructs import ImmutableFleet, PinnedSsmImage
from immutable_constructs.nag import ImmutableInfrastructureChecks

from ..helpers import rule_violations, synth_report

REASON = "Trial fleet: the team bakes the agent in a later step (RUN-7)."


def fleet_app(tmp_path: Path, image: ec2.IMachineImage) -> tuple[App, ImmutableFleet]:
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Web")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0, subnet_configuration=[
        ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    ])  # fmt: skip
    fleet = ImmutableFleet(stack, "Fleet", vpc=vpc, machine_image=image, instance_type=ec2.InstanceType("t3.micro"))
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    return app, fleet


STOCK = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


def test_stock_image_without_agent_fails_synth_with_the_warning_id(tmp_path: Path) -> None:
    app, _ = fleet_app(tmp_path, PinnedSsmImage(STOCK, version=3))
    error, violations = synth_report(app)
    (failure,) = rule_violations(violations, "IMM-FAIL1")
    assert error is not None and "ValidationFailed" in error
    assert failure["severity"] == "error"
    assert "every launch fails (immutable-constructs:stockImageWithoutAgent)" in failure["description"]
    assert [c["constructPath"] for c in failure["violatingConstructs"]] == ["Web/Fleet"]


def test_acknowledging_the_warning_alone_keeps_the_finding(tmp_path: Path) -> None:
    app, fleet = fleet_app(tmp_path, PinnedSsmImage(STOCK, version=3))
    Annotations.of(fleet).acknowledge_warning("immutable-constructs:stockImageWithoutAgent", "known")
    _, violations = synth_report(app)
    assert len(rule_violations(violations, "IMM-FAIL1")) == 1


def test_acknowledged_with_a_reason_passes(tmp_path: Path) -> None:
    app, fleet = fleet_app(tmp_path, PinnedSsmImage(STOCK, version=3))
    Validations.of(fleet).acknowledge(Acknowledgment(id="ImmutableInfrastructureChecks::IMM-FAIL1", reason=REASON))
    _, violations = synth_report(app)
    assert rule_violations(violations, "IMM-FAIL1") == []
    assert rule_violations(violations, "IMM-ACK3") == []


def test_own_image_has_no_predicted_failure(tmp_path: Path) -> None:
    app, _ = fleet_app(tmp_path, PinnedSsmImage("/images/web/stable", version=3))
    _, violations = synth_report(app)
    assert rule_violations(violations, "IMM-FAIL1") == []
