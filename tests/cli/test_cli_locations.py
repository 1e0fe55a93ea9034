"""SARIF locations are the line that created the construct, found fast.

The library's constructs record their caller's ``file:line`` (``_private/origin.py``); the
report uses it instead of searching the source for the construct id, which an earlier call
passing the same id string would win. Other constructs are found by their id, in an index of
the sources built once (benchmarks/cli_report.py: 3,000 findings on 90,000 lines).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from immutable_constructs.cli import main
from immutable_constructs.cli.sarif_sources import recorded_origins

from ..conftest import ROOT

DECOY = 'decoy = ssm.StringParameter(other, "Web", string_value="same id, created first")'
FLEET = 'fleet = ImmutableFleet(stack, "Web", vpc=vpc, instance_type=SMALL, machine_image=LATEST)'
OPEN = 'bastion = ec2.SecurityGroup(stack, "Bastion", vpc=vpc)'
APP_SOURCE = f"""\
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ssm as ssm

from immutable_constructs import ImmutableFleet
from immutable_constructs.nag import ImmutableInfrastructureChecks

app = App(outdir=OUTDIR)
other = Stack(app, "Other")
stack = Stack(app, "Shared")
vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
SMALL = ec2.InstanceType("t3.small")
LATEST = ec2.MachineImage.latest_amazon_linux2023()
{DECOY}
{FLEET}
{OPEN}
bastion.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(22))
Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
app.synth()
"""


def line_of(text: str) -> int:
    return APP_SOURCE.splitlines().index(text) + 1


@pytest.fixture(scope="module")
def located(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    app_dir = tmp_path_factory.mktemp("located")
    (app_dir / "app.py").write_text(APP_SOURCE)
    (app_dir / "cdk.json").write_text(json.dumps({"app": "python3 app.py"}))
    outdir = app_dir / "cdk.out"
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        exec(compile(APP_SOURCE, str(app_dir / "app.py"), "exec"), {"OUTDIR": str(outdir)})
    target = app_dir / "located.sarif"
    assert main(["report", str(outdir), "--sarif", str(target), "--source-root", str(app_dir)]) == 0
    log: dict[str, Any] = json.loads(target.read_text())
    return log


def test_a_library_construct_is_placed_on_its_own_line_not_on_an_earlier_id(located: dict[str, Any]) -> None:
    results = located["runs"][0]["results"]
    below_fleet = [
        r for r in results if r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith("Shared/Web/")
    ]
    assert below_fleet, "the latest-at-launch image gives the fleet a finding"
    for result in below_fleet:
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "app.py"
        assert physical["region"] == {"startLine": line_of(FLEET), "snippet": {"text": FLEET}}, result["ruleId"]


def test_other_constructs_are_still_found_by_their_id(located: dict[str, Any]) -> None:
    (result,) = [r for r in located["runs"][0]["results"] if r["ruleId"] == "IMM-SSH1"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == line_of(OPEN)


def test_the_origin_is_in_the_assembly_not_the_template(tmp_path: Path) -> None:
    from aws_cdk import App, Stack

    from immutable_constructs import AmiCatalog

    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Catalog")
    here = sys._getframe().f_lineno + 1
    AmiCatalog(stack, "Images", lines=["web"])
    app.synth()
    assert recorded_origins(tmp_path) == {"Catalog/Images": (Path(__file__).resolve(), here)}
    assert "immutable-constructs:origin" not in (tmp_path / "Catalog.template.json").read_text()


def test_3000_findings_on_90000_lines() -> None:
    # The bar is 5 s (benchmarks/cli_report.py); a shared CI machine gets twice that. The
    # search it replaces rescanned every line per id: 300 findings took about 40 s.
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import cli_report
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    started = time.perf_counter()
    cli_report.run(["--rounds", "1"])
    assert time.perf_counter() - started < 2 * cli_report.BAR_SECONDS
