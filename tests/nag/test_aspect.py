"""Aspects.of(app).add(ImmutableInfrastructureChecks()), the cdk-nag 2 habit, checks the app like add_plugins."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import App, Aspects, Stack, Validations
from aws_cdk import aws_ec2 as ec2

from immutable_constructs.nag import ImmutableInfrastructureChecks

from .helpers import rule_violations, synth_report


def ssh_app(tmp_path: Path) -> App:
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Open")
    group = ec2.SecurityGroup(
        stack, "Ssh", vpc=ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0, subnet_configuration=[])
    )
    group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(22))
    return app


def test_added_as_an_aspect_the_pack_reports_once(tmp_path: Path) -> None:
    app = ssh_app(tmp_path)
    Aspects.of(app).add(ImmutableInfrastructureChecks())
    error, violations = synth_report(app)
    assert error is not None and "ValidationFailed" in error
    assert len(rule_violations(violations, "IMM-SSH1")) == 1


def test_aspect_on_a_stack_and_a_plugin_on_the_app_are_not_doubled(tmp_path: Path) -> None:
    app = ssh_app(tmp_path)
    pack = ImmutableInfrastructureChecks()
    Aspects.of(app.node.find_child("Open")).add(pack)
    Aspects.of(app).add(pack)
    _, violations = synth_report(app)
    assert len(rule_violations(violations, "IMM-SSH1")) == 1


def test_clean_app_passes_as_an_aspect(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    Stack(app, "Empty")
    Aspects.of(app).add(ImmutableInfrastructureChecks())
    error, violations = synth_report(app)
    assert error is None and violations == []


def test_plugin_still_works(tmp_path: Path) -> None:
    app = ssh_app(tmp_path)
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    _, violations = synth_report(app)
    assert len(rule_violations(violations, "IMM-SSH1")) == 1
