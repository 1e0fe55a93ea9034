"""`immutable-constructs report`: validation-report.json -> SARIF 2.1.0 and a summary."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from immutable_constructs import __version__
from immutable_constructs.cli import PLUGIN_NAME, main

from ..conftest import ROOT, Synthesized

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json").read_text())
REASON = "Bastion-free access is tracked in the platform backlog as PLAT-123."


def validate(log: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(log)


OPEN = 'open_ssh = ec2.SecurityGroup(stack, "Open", vpc=vpc)'
#: The app the findings come from, written to app.py so the SARIF can point at its lines.
APP_SOURCE = f"""\
from aws_cdk import Acknowledgment, App, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from cdk_nag import AwsSolutionsChecks

from immutable_constructs.nag import ImmutableInfrastructureChecks

app = App(outdir=OUTDIR)
stack = Stack(app, "Findings")
vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0, subnet_configuration=[])
{OPEN}
open_ssh.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(22))
acked = ec2.SecurityGroup(stack, "Acked", vpc=vpc)
acked.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(22))
Validations.of(acked).acknowledge(Acknowledgment(id="ImmutableInfrastructureChecks::IMM-SSH1", reason={REASON!r}))
ecr.Repository(stack, "Mutable")
Validations.of(app).add_plugins(AwsSolutionsChecks(app), ImmutableInfrastructureChecks())
app.synth()
"""


def line_of(text: str) -> int:
    return next(number for number, line in enumerate(APP_SOURCE.splitlines(), start=1) if text in line)


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """cdk.out (in an app folder with app.py and cdk.json) of an app with findings of both packs,
    one of ours acknowledged."""
    app_dir = tmp_path_factory.mktemp("app")
    (app_dir / "app.py").write_text(APP_SOURCE)
    (app_dir / "cdk.json").write_text(json.dumps({"app": "python3 app.py"}))
    outdir = app_dir / "cdk.out"
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        exec(compile(APP_SOURCE, str(app_dir / "app.py"), "exec"), {"OUTDIR": str(outdir)})
    return outdir


@pytest.fixture(scope="module")
def sarif(failing: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    target = tmp_path_factory.mktemp("sarif") / "findings.sarif"
    assert main(["report", str(failing), "--sarif", str(target), "--source-root", str(failing.parent)]) == 0
    log: dict[str, Any] = json.loads(target.read_text())
    return log


def runs(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {run["tool"]["driver"]["name"]: run for run in log["runs"]}


def test_sarif_is_valid_against_the_2_1_0_schema(sarif: dict[str, Any]) -> None:
    validate(sarif)
    assert sarif["version"] == "2.1.0"


def test_every_plugin_becomes_a_run(sarif: dict[str, Any]) -> None:
    assert {"ImmutableInfrastructureChecks", "AwsSolutions"} <= set(runs(sarif))
    assert runs(sarif)["AwsSolutions"]["results"], "AwsSolutions findings are converted too"


def test_our_rules_link_to_their_docs(sarif: dict[str, Any]) -> None:
    rules = {r["id"]: r for r in runs(sarif)["ImmutableInfrastructureChecks"]["tool"]["driver"]["rules"]}
    assert rules["IMM-SSH1"]["helpUri"] == (
        f"https://github.com/immutable-constructs/immutable-constructs/blob/v{__version__}/docs/rules.md#imm-ssh1"
    )
    assert rules["IMM-IMG2"]["defaultConfiguration"]["level"] == "warning"


def test_every_rule_has_what_github_requires(sarif: dict[str, Any]) -> None:
    # GitHub docs, "SARIF support for code scanning": reportingDescriptor needs id, shortDescription.text,
    # fullDescription.text; help.text and helpUri are shown on the alert.
    for run in sarif["runs"]:
        for rule in run["tool"]["driver"]["rules"]:
            assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"], rule
            assert rule["help"]["text"], rule
            assert rule.get("helpUri", "https://").startswith("https://"), rule
            assert len(rule["shortDescription"]["text"]) <= 1024 and len(rule["fullDescription"]["text"]) <= 1024


def test_results_point_at_the_users_source_line(sarif: dict[str, Any], failing: Path) -> None:
    results = runs(sarif)["ImmutableInfrastructureChecks"]["results"]
    (open_ssh,) = [r for r in results if r["ruleId"] == "IMM-SSH1" and not r.get("suppressions")]
    assert open_ssh["level"] == "error"
    (location,) = open_ssh["locations"]
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "Findings/Open/Resource"
    # The line of app.py that creates the construct, relative to the repository root.
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "app.py"},
        "region": {"startLine": line_of(OPEN), "snippet": {"text": OPEN}},
    }
    # The synthesized resource stays reachable as a related location.
    (related,) = open_ssh["relatedLocations"]
    template = related["physicalLocation"]
    assert template["artifactLocation"]["uri"] == "cdk.out/Findings.template.json"
    line = (failing / "Findings.template.json").read_text().splitlines()[template["region"]["startLine"] - 1]
    assert line.strip().startswith('"Open') and line.strip().endswith(": {")
    assert "reaches SSH (22)" in open_ssh["message"]["text"]
    # A construct whose ids are not in the source (CDK's own children) falls back to the entry file.
    for result in results:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri == "app.py" and not uri.startswith("cdk.out")


def test_no_result_points_into_the_generated_assembly(sarif: dict[str, Any]) -> None:
    for run in sarif["runs"]:
        for result in run["results"]:
            for location in result["locations"]:
                uri = location["physicalLocation"]["artifactLocation"]["uri"]
                assert not uri.startswith(("cdk.out", "/")) and "://" not in uri, result


def test_acknowledged_findings_are_suppressed_with_their_reason(sarif: dict[str, Any]) -> None:
    results = runs(sarif)["ImmutableInfrastructureChecks"]["results"]
    (acked,) = [r for r in results if r.get("suppressions")]
    assert acked["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "Findings/Acked/Resource"
    (suppression,) = acked["suppressions"]
    assert suppression == {
        "kind": "inSource",
        "status": "accepted",
        "justification": REASON,
        "properties": {"acknowledgedId": "ImmutableInfrastructureChecks::IMM-SSH1", "acknowledgedAt": "Findings/Acked"},
    }


def test_summary_and_fail_on(failing: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(failing), "--fail-on", "error"]) == 1
    out = capsys.readouterr().out
    assert "ERROR    IMM-SSH1" in out
    assert "ImmutableInfrastructureChecks: 1 errors, 1 warnings, 0 notes, 1 acknowledged" in out


def test_reference_app_report_passes(reference_app: Synthesized, tmp_path: Path) -> None:
    target = tmp_path / "app.sarif"
    assert main(["report", str(reference_app.outdir), "--sarif", str(target), "--fail-on", "warning"]) == 0
    log = json.loads(target.read_text())
    validate(log)
    suppressed = [r for run in log["runs"] for r in run["results"] if r.get("suppressions")]
    assert suppressed and all(len(r["suppressions"][0]["justification"]) >= 40 for r in suppressed)


def assembly(folder: Path, *, registered: list[str], reported: list[str], cfn_validate: bool = False) -> Path:
    """A minimal fresh cloud assembly: a manifest, the pack's run record, a report naming ``reported``."""
    (folder / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": {}}))
    record = {
        "schema": 1,
        "plugin": PLUGIN_NAME,
        "registeredPlugins": registered,
        "cloudFormationValidate": cfn_validate,
    }
    (folder / "immutable-constructs-run.json").write_text(json.dumps(record))
    plugins = [{"pluginName": name, "conclusion": "success", "violations": []} for name in reported]
    (folder / "validation-report.json").write_text(json.dumps({"pluginReports": plugins}))
    return folder


def test_every_registered_plugin_gets_a_run_and_only_those(tmp_path: Path) -> None:
    # The CDK omits a plugin with no violations and no acknowledgements from the report; the
    # pack's run record names every plugin the app registered.
    assembly(tmp_path, registered=[PLUGIN_NAME, "AwsSolutions"], reported=[])
    target = tmp_path / "clean.sarif"
    assert main(["report", str(tmp_path), "--sarif", str(target)]) == 0
    log = json.loads(target.read_text())
    validate(log)
    assert sorted(run["tool"]["driver"]["name"] for run in log["runs"]) == ["AwsSolutions", PLUGIN_NAME]
    assert all(run["results"] == [] for run in log["runs"])


def test_a_plugin_the_app_does_not_register_gets_no_empty_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A workflow's `--plugin AwsSolutions` for an app without cdk-nag: an empty run would look like a pass.
    assembly(tmp_path, registered=[PLUGIN_NAME], reported=[])
    target = tmp_path / "clean.sarif"
    assert main(["report", str(tmp_path), "--sarif", str(target), "--plugin", "AwsSolutions"]) == 2
    assert not target.exists()
    err = capsys.readouterr().err
    assert "--plugin AwsSolutions: did not run in this synth" in err and err.count("\n") == 1
    assert main(["report", str(tmp_path), "--sarif", str(target)]) == 0
    assert [run["tool"]["driver"]["name"] for run in json.loads(target.read_text())["runs"]] == [PLUGIN_NAME]


def test_cloudformation_validate_gets_a_run_when_it_ran(tmp_path: Path) -> None:
    # Its alerts close once fixed: the run is there (empty) whenever the built-in validation ran.
    assembly(tmp_path, registered=[PLUGIN_NAME], reported=[], cfn_validate=True)
    target = tmp_path / "clean.sarif"
    assert main(["report", str(tmp_path), "--sarif", str(target)]) == 0
    names = [run["tool"]["driver"]["name"] for run in json.loads(target.read_text())["runs"]]
    assert names == [PLUGIN_NAME, "CloudFormation Validate"]


def test_a_crashed_plugin_fails_closed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # What the CDK reports for a plugin whose validate() raised: failure, no violations, an error.
    assembly(tmp_path, registered=[PLUGIN_NAME, "AwsSolutions"], reported=[])
    crashed = {"pluginName": "AwsSolutions", "conclusion": "failure", "violations": [], "metadata": {"error": "boom"}}
    (tmp_path / "validation-report.json").write_text(json.dumps({"pluginReports": [crashed]}))
    target = tmp_path / "out.sarif"
    assert main(["report", str(tmp_path), "--sarif", str(target)]) == 2
    assert not target.exists()
    assert "plugin AwsSolutions crashed" in capsys.readouterr().err


def test_an_app_without_the_pack_fails_closed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A pull request that deletes the add_plugins line: a finished synth, no record of the pack.
    (tmp_path / "manifest.json").write_text(json.dumps({"version": "48.0.0"}))
    target = tmp_path / "empty.sarif"
    assert main(["report", str(tmp_path), "--sarif", str(target), "--fail-on", "error"]) == 2
    assert not target.exists()
    assert f"{PLUGIN_NAME} did not run in this synth" in capsys.readouterr().err


def test_console_script_is_registered() -> None:
    setup = (ROOT / "setup.py").read_text()
    assert "immutable-constructs=immutable_constructs.cli:main" in setup


def test_github_actions_example_uploads_sarif_even_when_synth_fails() -> None:
    workflow = yaml.safe_load((ROOT / "examples" / "github-actions" / "immutability.yml").read_text())
    assert workflow["permissions"]["security-events"] == "write"
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    synth = next(i for i, s in enumerate(steps) if "cdk synth" in s.get("run", ""))
    report = next(i for i, s in enumerate(steps) if "immutable-constructs report cdk.out --sarif" in s.get("run", ""))
    upload = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert synth < report < upload
    assert steps[report]["if"] == "always()"
    assert steps[upload]["if"].startswith("always()")
    assert steps[synth]["run"].startswith("rm -rf cdk.out"), "a stale assembly must not pass for a fresh one"
    sarif_file = steps[upload]["with"]["sarif_file"]
    assert f"--sarif {sarif_file}" in steps[report]["run"]


def _pinned_actions(workflow: dict[str, Any]) -> dict[str, str]:
    return {
        step["uses"].split("@")[0]: step["uses"]
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if "uses" in step
    }


def test_github_actions_example_has_ci_pins_and_permissions() -> None:
    # Same pins and permissions as the project's own CI: SHA-pinned actions on node24, and
    # actions: read, without which upload-sarif fails on private repositories.
    text = (ROOT / "examples" / "github-actions" / "immutability.yml").read_text()
    workflow = yaml.safe_load(text)
    assert workflow["permissions"] == {"contents": "read", "security-events": "write", "actions": "read"}
    example = _pinned_actions(workflow)
    assert example and all(re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", uses) for uses in example.values()), example
    ci: dict[str, str] = {}
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        ci.update(_pinned_actions(yaml.safe_load(path.read_text())))
    assert ci, "the project's own workflows pin no action: nothing to compare the example with"
    for action, uses in example.items():
        assert ci.get(action, uses) == uses, f"{action}: the example pins {uses}, the project's CI {ci[action]}"
    assert "--plugin" not in text, "every registered plugin is reported anyway; --plugin only demands one"
    makefile = (ROOT / "Makefile").read_text()
    assert "examples/github-actions/*.yml" in makefile.split("actionlint:")[0].rsplit("\n\n", 1)[-1]
