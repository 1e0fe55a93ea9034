"""What the README and the docstrings say about unpinned images is what the library does.

The README said ``latest_amazon_linux2023()`` "gets a warning" and ``help(ImmutableFleet)`` that
``from_ssm_parameter`` "gets a warning", while with the rule pack on both fail synth. Each
claim is read from the text (which warning id, which rule, which severity) and checked
against a synth of exactly that fleet.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, Stage, Validations
from aws_cdk import aws_ec2 as ec2

from immutable_constructs import BlueGreenFleet, ImmutableFleet
from immutable_constructs.nag import ImmutableInfrastructureChecks

from .conftest import ROOT, Synthesized
from .retained import DOC, RETAINED_SECTION, is_documented, retained_resources

IMAGES = {
    "latest_amazon_linux2023": lambda: ec2.MachineImage.latest_amazon_linux2023(),
    "from_ssm_parameter": lambda: ec2.MachineImage.from_ssm_parameter("/images/web/stable"),
}


def behaviour(image: str, tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    """Construct warnings ids and the pack's rule -> severity for a fleet on ``image``."""
    app = App(outdir=str(tmp_path / image))
    stack = Stack(app, "Docs")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    ImmutableFleet(stack, "Web", vpc=vpc, instance_type=ec2.InstanceType("t3.small"), machine_image=IMAGES[image]())
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    manifest = json.loads((tmp_path / image / "manifest.json").read_text())
    artifact = manifest["artifacts"]["Docs"]
    metadata = artifact.get("metadata") or json.loads(
        (tmp_path / image / artifact["additionalMetadataFile"]).read_text()
    )
    warnings = [str(e["data"]) for entries in metadata.values() for e in entries if e["type"] == "aws:cdk:warning"]
    report: dict[str, Any] = json.loads((tmp_path / image / "validation-report.json").read_text())
    (ours,) = [p for p in report["pluginReports"] if p["pluginName"] == "ImmutableInfrastructureChecks"]
    return warnings, {v["ruleName"]: v["severity"] for v in ours["violations"]}


def readme_claim() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (bullet,) = [b for b in readme.split("\n- ") if "`MachineImage.latest_amazon_linux2023()`" in b and "IMM-" in b]
    return " ".join(bullet.split())


def docstring_claim() -> str:
    doc = " ".join((ImmutableFleet.__init__.__doc__ or "").split())
    return doc[doc.index(":param machine_image:") : doc.index(":param instance_type:")]


@pytest.mark.parametrize("image", sorted(IMAGES))
@pytest.mark.parametrize("where", ["README.md", "help(ImmutableFleet)"])
def test_the_claim_about_unpinned_images_holds(image: str, where: str, tmp_path: Path) -> None:
    claim = readme_claim() if where == "README.md" else docstring_claim()
    assert image in claim, f"{where} says nothing about {image}"
    assert "gets a warning" not in claim, f"{where}: {claim}"
    rule = re.search(r"IMM-[A-Z]+\d", claim)
    assert rule, f"{where} names no rule: {claim}"
    warnings, findings = behaviour(image, tmp_path)
    assert findings.get(rule.group(0)) == "error" and "error" in claim, (where, claim, findings)
    if "immutable-constructs:unpinnedImage" in claim:
        assert any("unpinnedImage" in w or "newest version" in w for w in warnings), warnings


def test_blue_green_fleet_documents_the_same_machine_image() -> None:
    # BlueGreenFleet checks images with the same launch kit; its docstring must not contradict the fleet's.
    doc = " ".join((BlueGreenFleet.__init__.__doc__ or "").split())
    assert "gets a warning" not in doc


# -- what `cdk destroy` leaves behind, in every app --------------------------------------------------------------


def _retained_in(synthesized: Synthesized) -> dict[str, tuple[str, str]]:
    """(stack path/logical id) -> (owner, path below it) of each retained resource of every stack of the app,
    stages' stacks included (their templates live in the stage's own assembly folder)."""
    assert synthesized.app is not None
    found: dict[str, tuple[str, str]] = {}
    for stack in (node for node in synthesized.app.node.find_all() if isinstance(node, Stack)):
        template = json.loads((Path(Stage.of(stack).outdir) / stack.template_file).read_text())  # type: ignore[union-attr]
        for logical, where in retained_resources(stack, template).items():
            found[f"{stack.node.path}/{logical}"] = where
    return found


def test_every_resource_the_library_retains_on_delete_is_documented(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    """docs/deploying.md's table lists every resource a library construct keeps on `cdk destroy`, in app.py and
    every example (the emulator's destroy checks cover only the stacks it can deploy); app.py's own retained
    resources too. An example's own resources outside the library are the example's choice."""
    undocumented, seen = {}, 0
    for synthesized in (reference_app, *examples.values()):
        for where, (owner, path) in _retained_in(synthesized).items():
            if owner == "app.py" and synthesized is not reference_app:
                continue
            seen += 1
            if not is_documented((owner, path)):
                undocumented[f"{synthesized.name}: {where}"] = (owner, path)
    assert undocumented == {}, f"retained on delete but not in {DOC.name} ({RETAINED_SECTION}): {undocumented}"
    assert seen >= 20  # fleets' and sessions' logs and keys across the apps: the walk found them


def test_the_retained_table_check_can_fail() -> None:
    assert is_documented(("SessionManagerAccess", "Fleet0A1B2C3D/LogGroup"))
    assert not is_documented(("SessionManagerAccess", "Fleet0A1B2C3/LogGroup"))  # seven hex digits
    assert not is_documented(("ImmutableFleet", "Key"))
    assert not is_documented(("app.py", "LogGroup"))
