"""What the per-rule tests share: judge a synthesized stack with the pack, or synth an app with it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2

from immutable_constructs.nag import ImmutableInfrastructureChecks

PACK = ImmutableInfrastructureChecks()


def new_stack(name: str = "Test") -> tuple[App, Stack, ec2.Vpc]:
    app = App()
    stack = Stack(app, name)
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0, subnet_configuration=[
        ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    ])  # fmt: skip
    return app, stack, vpc


def findings(stack: Stack, rule_id: str) -> dict[str, list[str]]:
    """Logical id -> messages of ``rule_id``'s findings in ``stack``'s synthesized template."""
    template = stack.node.root.synth().get_stack_by_name(stack.stack_name).template  # type: ignore[attr-defined]
    found: dict[str, list[str]] = {}
    for f in PACK.check_template(template):
        if f.rule_id == rule_id:
            found.setdefault(str(f.logical_id), []).append(f.message)
    return found


def synth_report(app: App) -> tuple[str | None, list[dict[str, Any]]]:
    """Synthesize an app that has the pack as a plugin; the failure message and our violations."""
    error = None
    try:
        app.synth()
    except RuntimeError as e:
        error = str(e)
    report_file = Path(str(app.outdir)) / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {"pluginReports": []}
    ours = [r for r in report["pluginReports"] if r["pluginName"] == "ImmutableInfrastructureChecks"]
    return error, (ours[0]["violations"] if ours else [])


def rule_violations(violations: list[dict[str, Any]], rule_id: str) -> list[dict[str, Any]]:
    return [v for v in violations if v["ruleName"] == rule_id]


def reported(resources: dict[str, Any], rule_id: str, **body: Any) -> set[str]:
    """The logical ids ``rule_id`` reports in a template made of ``resources`` (plain Python, no synth)."""
    return {str(f.logical_id) for f in PACK.check_template({"Resources": resources, **body}) if f.rule_id == rule_id}
