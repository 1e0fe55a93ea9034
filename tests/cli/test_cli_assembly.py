"""`immutable-constructs report` fails closed, `explain` works offline, and neither needs Node.

A crashed synth must never hand GitHub an empty SARIF log (that closes every open alert),
and a report left over from an earlier synth must never pass for this one's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_sns as sns

from immutable_constructs.cli import NO_ASSEMBLY, main
from immutable_constructs.nag import ImmutableInfrastructureChecks

from ..conftest import ROOT

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json").read_text())
MULTITOOL = ROOT / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"
# `make test` installs the Multitool (npm ci) and sets REQUIRE_NODE_TOOLS=1: there a missing Multitool fails the
# SARIF validation tests instead of skipping them silently. A bare `pytest` without node_modules skips them.
needs_multitool = pytest.mark.skipif(
    not MULTITOOL.exists() and os.environ.get("REQUIRE_NODE_TOOLS") != "1",
    reason="npm ci installs @microsoft/sarif-multitool (package.json); make test requires it",
)


def synth(outdir: Path, *, findings: bool) -> None:
    app = App(outdir=str(outdir))
    stack = Stack(app, "Guide")
    if findings:
        vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0, subnet_configuration=[])
        ec2.SecurityGroup(stack, "Open", vpc=vpc).add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(3389))
    else:
        sns.Topic(stack, "Topic")
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    if findings:
        with pytest.raises(RuntimeError, match="ValidationFailed"):
            app.synth()
    else:
        app.synth()


def test_missing_folder_exits_2_and_writes_no_sarif(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.sarif"
    assert main(["report", str(tmp_path / "cdk.out"), "--sarif", str(target)]) == NO_ASSEMBLY == 2
    assert not target.exists()
    err = capsys.readouterr().err
    assert "is not a folder" in err and "No SARIF written" in err


def test_folder_without_a_cloud_assembly_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # What a crash before synth finished leaves behind: an outdir without manifest.json.
    cdk_out = tmp_path / "cdk.out"
    cdk_out.mkdir()
    (cdk_out / "validation-report.json").write_text(json.dumps({"pluginReports": []}))
    target = tmp_path / "out.sarif"
    assert main(["report", str(cdk_out), "--sarif", str(target), "--fail-on", "none"]) == 2
    assert not target.exists()
    assert "manifest.json is missing" in capsys.readouterr().err


def test_a_report_older_than_the_assembly_is_stale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cdk_out = tmp_path / "cdk.out"
    synth(cdk_out, findings=True)
    manifest = cdk_out / "manifest.json"
    report = cdk_out / "validation-report.json"
    # A later synth of the app without the plugin rewrites the assembly, not the report.
    os.utime(report, ns=(manifest.stat().st_mtime_ns - 10**9,) * 2)
    target = tmp_path / "out.sarif"
    assert main(["report", str(cdk_out), "--sarif", str(target)]) == 2
    assert not target.exists()
    assert "left over from an earlier synth" in capsys.readouterr().err


def test_a_fresh_report_with_findings_is_converted(tmp_path: Path) -> None:
    cdk_out = tmp_path / "cdk.out"
    synth(cdk_out, findings=True)
    target = tmp_path / "out.sarif"
    assert main(["report", str(cdk_out), "--sarif", str(target), "--fail-on", "error"]) == 1
    log = json.loads(target.read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "IMM-SSH1"


def test_a_clean_synth_gives_empty_runs(tmp_path: Path) -> None:
    cdk_out = tmp_path / "cdk.out"
    synth(cdk_out, findings=False)
    target = tmp_path / "out.sarif"
    assert main(["report", str(cdk_out), "--sarif", str(target), "--fail-on", "note"]) == 0
    log = json.loads(target.read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    assert [run["results"] for run in log["runs"]] == [[]]
    assert log["runs"][0]["tool"]["driver"]["name"] == "ImmutableInfrastructureChecks"


def test_explain_prints_the_rules_section(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "imm-ssh1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## IMM-SSH1\n")
    assert "## IMM-SSH2" not in out
    assert "/blob/v" in out and out.rstrip().endswith("docs/rules.md#imm-ssh1")
    assert main(["explain", "ImmutableInfrastructureChecks::IMM-IMG2"]) == 0
    assert capsys.readouterr().out.startswith("## IMM-IMG2\n")


def test_explain_of_an_unknown_rule_lists_the_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "IMM-NOPE9"]) == 2
    assert "IMM-SSH1, IMM-SSH2" in capsys.readouterr().err


def test_every_rule_of_the_catalog_can_be_explained() -> None:
    from immutable_constructs.cli.explain import rule_ids
    from immutable_constructs.nag import RULES

    assert {r.id for r in RULES} <= set(rule_ids())


def test_shipped_rules_md_is_docs_rules_md() -> None:
    # immutable_constructs/docs/rules.md is a symlink, so the wheel ships the one true file. Read it from
    # the package that is imported (the working tree here, the installed wheel in the nox matrix).
    from importlib.resources import files

    shipped = files("immutable_constructs") / "docs" / "rules.md"
    assert shipped.read_text() == (ROOT / "docs" / "rules.md").read_text()
    setup = (ROOT / "setup.py").read_text()
    assert '"docs/*.md"' in setup and '"project_urls"' in setup


def test_cli_runs_without_node_and_without_aws_cdk(tmp_path: Path) -> None:
    cdk_out = tmp_path / "cdk.out"
    synth(cdk_out, findings=False)
    script = (
        "import sys\n"
        "from immutable_constructs.cli import main\n"
        f"assert main(['report', {str(cdk_out)!r}]) == 0\n"
        "assert main(['explain', 'IMM-SSH1']) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii', 'cdk_nag', 'constructs')))\n"
    )
    env = {"PATH": str(tmp_path / "no-node-here"), "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "[]"


def test_package_names_are_still_importable_lazily() -> None:
    import immutable_constructs
    import immutable_constructs.nag as nag

    for name in immutable_constructs.__all__:
        assert getattr(immutable_constructs, name) is not None, name
    for name in nag.__all__:
        assert getattr(nag, name) is not None, name
    assert "ImmutableFleet" in dir(immutable_constructs)
    with pytest.raises(AttributeError):
        _ = immutable_constructs.NoSuchThing  # type: ignore[attr-defined]
    from immutable_constructs import cli

    assert cli.PLUGIN_NAME == nag.PLUGIN_NAME


def multitool(sarif: Path, out: Path) -> dict[str, Any]:
    """Microsoft's SARIF Multitool with its SARIF and GitHub ingestion rules (GHxxxx)."""
    env = {**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"}
    command = [str(MULTITOOL), "validate", "--rule-kind", "Sarif;Gh", "--level", "Error;Warning;Note"]
    run = subprocess.run(
        [*command, str(sarif), "--output", str(out), "--log", "ForceOverwrite"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    validation: dict[str, Any] = json.loads(out.read_text())
    return validation


@needs_multitool
def test_sarif_multitool_finds_no_errors_or_warnings(tmp_path: Path) -> None:
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text('ec2.SecurityGroup(stack, "Open", vpc=vpc)\n')
    (app_dir / "cdk.json").write_text(json.dumps({"app": "python3 app.py"}))
    synth(app_dir / "cdk.out", findings=True)
    target = tmp_path / "guide.sarif"
    assert main(["report", str(app_dir / "cdk.out"), "--sarif", str(target), "--source-root", str(app_dir)]) == 0
    results = [r for run in multitool(target, tmp_path / "validation.sarif")["runs"] for r in run["results"]]
    serious = [f"{r['ruleId']}: {r['message']}" for r in results if r.get("level", "warning") in ("error", "warning")]
    assert serious == []
    # Only advice remains (message ids, unreachable URLs offline, rule id format...), never a GitHub rule.
    assert not [r for r in results if r["ruleId"].startswith("GH")]
    # The check is real: the log of the previous release (relative helpUri, no fullDescription) fails it.
    broken = json.loads(target.read_text())
    for rule in broken["runs"][0]["tool"]["driver"]["rules"]:
        del rule["fullDescription"]
        rule["helpUri"] = "docs/rules.md#" + rule["id"].lower()
    target.write_text(json.dumps(broken))
    results = [r for run in multitool(target, tmp_path / "broken.sarif")["runs"] for r in run["results"]]
    assert {"GH2012", "SARIF1002"} <= {r["ruleId"] for r in results if r.get("level", "warning") == "error"}


def test_sarif_multitool_is_a_pinned_dev_dependency() -> None:
    package = json.loads((ROOT / "package.json").read_text())
    assert package["devDependencies"]["@microsoft/sarif-multitool"] == "5.7.0"
