"""Synthesize an app with the pack as its plugin and read our violations of one rule."""

from __future__ import annotations

from typing import Any

from aws_cdk import App, Validations

from immutable_constructs.nag import ImmutableInfrastructureChecks

from .helpers import rule_violations, synth_report


def synth_app_findings(app: App, rule_id: str) -> list[dict[str, Any]]:
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    _, violations = synth_report(app)
    return rule_violations(violations, rule_id)
