"""IMM-REP6: a fleet whose tainted hosts are not replaced, on plain templates, on a synthesized
stack (opted out, unwatched, watched, acknowledged) and on the frozen reference template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Acknowledgment, App, Stack, Validations

from immutable_constructs import SessionManagerAccess
from immutable_constructs.nag import ImmutableInfrastructureChecks

from ...drift.test_tainted_hosts import fleets

PACK = ImmutableInfrastructureChecks()
KEY = "immutable-constructs:fleet"
REFERENCE = Path(__file__).parent.parent.parent / "data" / "reference-2026-11-29" / "ImmutableReference.template.json"
REASON = "Break-glass fleet: the incident team replaces its hosts by hand after each incident (RUN-42)."


def group(value: Any, *, key: str = KEY) -> dict[str, Any]:
    tags = [{"Key": "Name", "Value": "web", "PropagateAtLaunch": True}, {"Key": key, "Value": value}]
    return {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {"MinSize": "1", "MaxSize": "2", "Tags": tags}}


def blue_green(value: str) -> dict[str, Any]:
    return {
        "Type": "Custom::ImmutableBlueGreenFleet",
        "Properties": {"ServiceToken": "arn", "FleetTagKey": KEY, "FleetTagValue": value},
    }


def watcher(replaced: list[str], tag_only: list[str] | None = None, *, key: str = KEY) -> dict[str, Any]:
    variables = {"FLEET_TAG_KEY": key, "FLEET_TAG_VALUES": json.dumps(replaced), "WATCHER": "w"}
    if tag_only is not None:
        variables["TAG_ONLY_FLEET_TAG_VALUES"] = json.dumps(tag_only)
    return {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": variables}}}


def rep6(resources: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    """Logical id -> (severity, property path, message) of each IMM-REP6 finding."""
    return {
        str(f.logical_id): (f.severity.value, f.location, f.message)
        for f in PACK.check_template({"Resources": resources})
        if f.rule_id == "IMM-REP6"
    }


def test_a_watched_fleet_passes() -> None:
    assert rep6({"Web": group("web"), "Api": blue_green("api"), "Taint": watcher(["api", "web"], [])}) == {}


def test_an_unwatched_fleet_is_a_warning() -> None:
    found = rep6({"Web": group("web"), "Api": blue_green("api"), "Taint": watcher(["other"])})
    assert set(found) == {"Web", "Api"}
    severity, path, message = found["Web"]
    assert severity == "warning"
    assert path.endswith("Properties.Tags.1")
    assert "no tainted-host function of this app watches this fleet" in message
    assert found["Api"][1].endswith("Properties.FleetTagValue")


def test_an_opted_out_fleet_is_a_warning_naming_the_function() -> None:
    found = rep6({"Web": group("web"), "Api": blue_green("api"), "Taint": watcher(["web"], ["api"])})
    assert set(found) == {"Api"}
    assert "replacement of tainted hosts is turned off for this fleet (tag only in Taint)" in found["Api"][2]


def test_replaced_by_one_function_is_enough() -> None:
    resources = {"Web": group("web"), "TagOnly": watcher([], ["web"]), "Replaces": watcher(["web"])}
    assert rep6(resources) == {}


@pytest.mark.parametrize(
    "resources",
    [
        {"Plain": group("web", key="team")},  # not a fleet of ours
        {"Token": group({"Ref": "FleetName"})},  # a value known only at deploy time is not judged
        {"Other": {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {"MinSize": "1", "MaxSize": "1"}}},
    ],
)
def test_groups_that_are_not_our_fleets_are_not_judged(resources: dict[str, Any]) -> None:
    assert rep6(resources) == {}


def test_a_function_for_another_tag_key_or_unreadable_values_watches_nothing() -> None:
    unreadable = watcher([])
    unreadable["Properties"]["Environment"]["Variables"]["FLEET_TAG_VALUES"] = {"Ref": "Values"}
    resources = {"Web": group("web"), "Team": watcher(["web"], key="team"), "Unreadable": unreadable}
    assert set(rep6(resources)) == {"Web"}


def test_the_frozen_reference_template_watched_no_fleet() -> None:
    """The 'before' picture (tests/data/README.md): neither fleet is watched, each is reported once."""
    found = rep6(json.loads(REFERENCE.read_text())["Resources"])
    assert {k: v[0] for k, v in found.items()} == {
        "WebFleetGroupASG98D0CB4F": "warning",
        "ApiFleetDeployment0298288C": "warning",
    }


# -- through the CDK: SessionManagerAccess, the opt-out and the acknowledgement ---------------------


def report(app: App) -> dict[str, Any]:
    app.synth()  # warnings do not fail synth
    body = json.loads((Path(str(app.outdir)) / "validation-report.json").read_text())
    (ours,) = [r for r in body["pluginReports"] if r["pluginName"] == "ImmutableInfrastructureChecks"]
    found: dict[str, Any] = ours
    return found


def rep6_paths(violations: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["constructPath"]: v for v in violations if v["ruleName"] == "IMM-REP6" for c in v["violatingConstructs"]}


def test_through_the_cdk_opted_out_and_unwatched_fleets_warn_and_an_acknowledgement_silences(
    tmp_path: Path,
) -> None:
    app = App(outdir=str(tmp_path))
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    stack = Stack(app, "Fleets")
    web, api, _ = fleets(stack)
    access = SessionManagerAccess(stack, "Sessions")
    access.add_fleet(web)
    access.add_fleet(api, replace_tainted_hosts=False)
    unwatched = Stack(app, "Unwatched")
    lone, break_glass, _ = fleets(unwatched)
    Validations.of(break_glass).acknowledge(Acknowledgment(id="ImmutableInfrastructureChecks::IMM-REP6", reason=REASON))
    ours = report(app)
    warned = rep6_paths(ours["violations"])
    assert sorted(warned) == ["Fleets/Api/Deployment/Default", "Unwatched/Web/Group/ASG"]
    assert all(v["severity"] == "warning" for v in warned.values())
    assert "turned off" in warned["Fleets/Api/Deployment/Default"]["description"]
    assert "no tainted-host function" in warned["Unwatched/Web/Group/ASG"]["description"]
    suppressed = rep6_paths(ours["suppressedViolations"])
    assert list(suppressed) == ["Unwatched/Api/Deployment/Default"]
    assert suppressed["Unwatched/Api/Deployment/Default"]["reason"] == REASON
    assert "Fleets/Web/Group/ASG" not in warned, "the watched fleet passes"
    assert lone.node.path == "Unwatched/Web"


def test_strict_mode_makes_the_warning_fail_synth(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks(strict=True))
    stack = Stack(app, "Strict")
    fleets(stack)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    body = json.loads((tmp_path / "validation-report.json").read_text())
    violations = [v for r in body["pluginReports"] for v in r["violations"]]
    assert {(v["ruleName"], v["severity"]) for v in violations} == {("IMM-REP6", "error")}, "only IMM-REP6 failed it"
