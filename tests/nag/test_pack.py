"""ImmutableInfrastructureChecks as a CDK policy-validation plugin: report, failures, acknowledgements."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Acknowledgment, App, Stack, Stage, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from constructs import Construct

from immutable_constructs import ValidationError, __version__
from immutable_constructs.nag import RULES, STRICT_CONTEXT_KEY, ImmutableInfrastructureChecks, Severity

from ..conftest import app_context, example_apps, load_module

#: Findings link to this release's docs/rules.md on GitHub (absolute: pip users have no docs folder).
DOCS = f"https://github.com/immutable-constructs/immutable-constructs/blob/v{__version__}/docs/rules.md"

PINNED_RULE_IDS = [
    "IMM-SSH1",
    "IMM-SSH2",
    "IMM-SSH3",
    "IMM-SSH4",
    "IMM-REP1",
    "IMM-REP2",
    "IMM-REP3",
    "IMM-REP4",
    "IMM-REP5",
    "IMM-REP6",
    "IMM-REP7",
    "IMM-REP8",
    "IMM-REP9",
    "IMM-REP10",
    "IMM-REP11",
    "IMM-IMG1",
    "IMM-IMG2",
    "IMM-IMG3",
    "IMM-IMG4",
    "IMM-IMG5",
    "IMM-SEC1",
    "IMM-SEC2",
    "IMM-SEC3",
    "IMM-HYG1",
    "IMM-HYG2",
    "IMM-DEP1",
    "IMM-DEP2",
    "IMM-DEP3",
    "IMM-DEP4",
    "IMM-DEP5",
    "IMM-DEP6",
    "IMM-DEP7",
    "IMM-DEP8",
    "IMM-REL1",
    "IMM-FAIL1",
    "IMM-PRIV1",
    "IMM-PRIV2",
    "IMM-PRIV3",
    "IMM-PRIV4",
    "IMM-ACK1",
    "IMM-ACK2",
    "IMM-ACK3",
]
REASON = "Reviewed by the platform team: this is a documented exception."


def test_rule_ids_are_pinned() -> None:
    pack = ImmutableInfrastructureChecks()
    assert pack.rule_ids == PINNED_RULE_IDS
    assert pack.name == "ImmutableInfrastructureChecks"
    assert pack.version.count(".") == 2
    assert {r.id: r.severity.value for r in RULES if r.severity.value == "warning"} == {
        "IMM-IMG2": "warning",
        "IMM-IMG4": "warning",
        "IMM-IMG5": "warning",
        "IMM-REP6": "warning",
        "IMM-REP8": "warning",
        "IMM-REP9": "warning",
        "IMM-REP10": "warning",
        "IMM-PRIV3": "warning",
    }


def test_unknown_rule_ids_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"not_acknowledgeable=\['IMM-NOPE'\]: these are not rule ids"):
        ImmutableInfrastructureChecks(not_acknowledgeable=["IMM-SSH1", "IMM-NOPE"])


@pytest.mark.parametrize(
    ("value", "reason"), [(0, "must be at least 1"), (-3, "must be at least 1"), (True, "must be a whole number")]
)
def test_min_reason_length_must_be_positive(value: Any, reason: str) -> None:
    with pytest.raises(ValidationError, match=rf"min_reason_length=.*{reason}"):
        ImmutableInfrastructureChecks(min_reason_length=value)


@pytest.mark.parametrize("value", ["false", "true", 0, 1])
def test_strict_is_a_bool_not_a_string(value: Any) -> None:
    """``strict="false"`` used to turn strict mode on (a non-empty string is truthy)."""
    with pytest.raises(ValidationError, match=r"^ImmutableInfrastructureChecks: 1 invalid prop problem:\n  - strict="):
        ImmutableInfrastructureChecks(strict=value)


def ssh_group(scope: Construct, id: str, vpc: ec2.IVpc) -> ec2.SecurityGroup:
    group = ec2.SecurityGroup(scope, id, vpc=vpc)
    group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(22))
    return group


def isolated_vpc(scope: Construct) -> ec2.Vpc:
    return ec2.Vpc(scope, "Vpc", max_azs=1, nat_gateways=0, subnet_configuration=[])


def acknowledge(scope: Construct, rule_id: str, reason: str = REASON) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=f"ImmutableInfrastructureChecks::{rule_id}", reason=reason))


def synth(app: App) -> tuple[str | None, dict[str, Any]]:
    """Synthesize; return the failure message (None when synth passed) and our plugin's report."""
    error = None
    try:
        app.synth()
    except RuntimeError as e:
        error = str(e)
    report_file = Path(str(app.outdir)) / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {"pluginReports": []}
    ours = [r for r in report["pluginReports"] if r["pluginName"] == "ImmutableInfrastructureChecks"]
    return error, (ours[0] if ours else {})


def by_rule(violations: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for v in violations:
        found.setdefault(v["ruleName"], []).append(v)
    return found


def paths(violations: list[dict[str, Any]]) -> list[str]:
    return sorted(c["constructPath"] for v in violations for c in v["violatingConstructs"])


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str | None, dict[str, Any]]:
    """An open SSH group, an acknowledged one, a short reason, a stale acknowledgement, a warning."""
    app = App(outdir=str(tmp_path_factory.mktemp("mixed")))
    stack = Stack(app, "Mixed")
    vpc = isolated_vpc(stack)
    ssh_group(stack, "Open", vpc)
    acknowledge(ssh_group(stack, "Acked", vpc), "IMM-SSH1")
    acknowledge(ssh_group(stack, "ShortReason", vpc), "IMM-SSH1", "legacy")
    acknowledge(vpc, "IMM-REP2")  # there is no instance: stale
    ecr.Repository(stack, "Mutable")
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    return synth(app)


def test_errors_fail_synth(mixed: tuple[str | None, dict[str, Any]]) -> None:
    error, report = mixed
    assert error is not None and "ValidationFailed" in error
    assert report["conclusion"] == "failure"


def test_findings_land_on_the_l1_construct_path(mixed: tuple[str | None, dict[str, Any]]) -> None:
    _, report = mixed
    (violation,) = by_rule(report["violations"])["IMM-SSH1"]
    assert paths([violation]) == ["Mixed/Open/Resource"]
    assert violation["severity"] == "error"
    (construct,) = violation["violatingConstructs"]
    assert construct["cloudFormationResource"]["propertyPaths"] == ["Properties.SecurityGroupIngress.0"]
    assert "CidrIp=0.0.0.0/0 reaches SSH (22)" in violation["description"]
    assert violation["suggestedFix"].endswith(f"{DOCS}#imm-ssh1")


def test_violations_carry_their_rule_as_fields(mixed: tuple[str | None, dict[str, Any]]) -> None:
    # ruleMetadata is what `immutable-constructs report` reads for SARIF (title, help, helpUri): never the text.
    _, report = mixed
    (ssh,) = by_rule(report["violations"])["IMM-SSH1"]
    assert ssh["ruleMetadata"] == {
        "documentation": f"{DOCS}#imm-ssh1",
        "ruleSeverity": "error",
        "title": "Ingress reaches SSH (22) or RDP (3389)",
        "fix": "Remove the ingress rule; open sessions with Session Manager (SessionManagerAccess) instead.",
    }
    (short,) = by_rule(report["violations"])["IMM-ACK1"]
    assert short["ruleMetadata"] == {
        "documentation": f"{DOCS}#imm-ack1",
        "ruleSeverity": "fatal",
        "title": "Acknowledgement reason too short",
        "fix": "Say why the finding is acceptable here.",
    }
    assert short["suggestedFix"] == f"Say why the finding is acceptable here. See {DOCS}#acknowledging-a-finding"
    (stale,) = by_rule(report["violations"])["IMM-ACK3"]
    assert stale["ruleMetadata"]["title"] == "Acknowledgement that matches no finding"


def test_severities_are_a_closed_set() -> None:
    assert [s.value for s in Severity] == ["error", "warning", "fatal"]
    assert Severity("warning") is Severity.WARNING and Severity.WARNING == "warning"
    assert [s for s in Severity if s.fails_synth] == [Severity.ERROR, Severity.FATAL]
    assert Severity.WARNING.reported(strict=True) is Severity.ERROR
    assert Severity.WARNING.reported() is Severity.WARNING
    assert Severity.ERROR.reported(strict=True, locked=True) is Severity.FATAL
    assert {r.severity for r in RULES} == {Severity.ERROR, Severity.WARNING}, "FATAL is only ever reported"


def test_acknowledgements_are_recorded_with_their_reason(mixed: tuple[str | None, dict[str, Any]]) -> None:
    _, report = mixed
    suppressed = {paths([v])[0]: v for v in report["suppressedViolations"]}
    assert set(suppressed) == {"Mixed/Acked/Resource", "Mixed/ShortReason/Resource"}
    acked = suppressed["Mixed/Acked/Resource"]
    assert acked["acknowledgedId"] == "ImmutableInfrastructureChecks::IMM-SSH1"
    assert acked["reason"] == REASON


def test_short_reasons_are_rejected_and_cannot_be_acknowledged(mixed: tuple[str | None, dict[str, Any]]) -> None:
    _, report = mixed
    (violation,) = by_rule(report["violations"])["IMM-ACK1"]
    assert violation["severity"] == "fatal"
    assert paths([violation]) == ["Mixed/ShortReason"]
    assert "'legacy' (6 characters, at least 20 needed)" in violation["description"]


def test_stale_acknowledgements_are_reported_as_warnings(mixed: tuple[str | None, dict[str, Any]]) -> None:
    _, report = mixed
    (violation,) = by_rule(report["violations"])["IMM-ACK3"]
    assert violation["severity"] == "warning"
    assert paths([violation]) == ["Mixed/Vpc"]
    assert "ImmutableInfrastructureChecks::IMM-REP2" in violation["description"]


def test_warnings_are_reported(mixed: tuple[str | None, dict[str, Any]]) -> None:
    _, report = mixed
    (violation,) = by_rule(report["violations"])["IMM-IMG2"]
    assert violation["severity"] == "warning"
    assert paths([violation]) == ["Mixed/Mutable/Resource"]


def warning_only_app(tmp_path: Path, pack: ImmutableInfrastructureChecks, context: dict[str, Any] | None = None) -> App:
    app = App(outdir=str(tmp_path), context=context or {})
    ecr.Repository(Stack(app, "Warn"), "Mutable")
    Validations.of(app).add_plugins(pack)
    return app


def test_warnings_do_not_fail_synth(tmp_path: Path) -> None:
    error, report = synth(warning_only_app(tmp_path, ImmutableInfrastructureChecks()))
    assert error is None
    assert report["conclusion"] == "success"
    assert [v["ruleName"] for v in report["violations"]] == ["IMM-IMG2"]


def test_strict_prop_fails_on_warnings(tmp_path: Path) -> None:
    error, report = synth(warning_only_app(tmp_path, ImmutableInfrastructureChecks(strict=True)))
    assert error is not None and "IMM-IMG2" in error
    assert [v["severity"] for v in report["violations"]] == ["error"]
    # The rule's own severity stays in ruleMetadata.
    assert [v["ruleMetadata"]["ruleSeverity"] for v in report["violations"]] == ["warning"]


def test_strict_context_key_fails_on_warnings(tmp_path: Path) -> None:
    app = warning_only_app(tmp_path, ImmutableInfrastructureChecks(), context={STRICT_CONTEXT_KEY: "true"})
    error, _ = synth(app)
    assert error is not None


def test_strict_prop_false_wins_over_the_context_key(tmp_path: Path) -> None:
    app = warning_only_app(tmp_path, ImmutableInfrastructureChecks(strict=False), context={STRICT_CONTEXT_KEY: True})
    error, _ = synth(app)
    assert error is None


def test_not_acknowledgeable_rules_stay_reported(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Locked")
    acknowledge(ssh_group(stack, "Acked", isolated_vpc(stack)), "IMM-SSH1")
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks(not_acknowledgeable=["IMM-SSH1"]))
    error, report = synth(app)
    assert error is not None
    found = by_rule(report["violations"])
    assert [v["severity"] for v in found["IMM-SSH1"]] == ["fatal"]
    assert paths(found["IMM-SSH1"]) == ["Locked/Acked/Resource"]
    assert [v["severity"] for v in found["IMM-ACK2"]] == ["fatal"]
    assert not report.get("suppressedViolations")


def test_an_acknowledgement_on_the_app_covers_every_stack(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path), context={})
    for name in ("One", "Two"):
        ecr.Repository(Stack(app, name), "Mutable", image_tag_mutability=ecr.TagMutability.MUTABLE)
    acknowledge(app, "IMM-IMG2", "Build caches are overwritten on purpose; nothing deploys from them.")
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks(strict=True))
    error, report = synth(app)
    assert error is None
    assert report["violations"] == []
    assert paths(report["suppressedViolations"]) == ["One/Mutable/Resource", "Two/Mutable/Resource"]


def test_stacks_inside_stages_are_checked(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = Stack(Stage(app, "Prod"), "Web")
    ssh_group(stack, "Open", isolated_vpc(stack))
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    error, report = synth(app)
    assert error is not None
    assert paths(report["violations"]) == ["Prod/Web/Open/Resource"]


@pytest.mark.parametrize("path", example_apps(), ids=lambda p: p.parent.name)
def test_every_example_passes_the_pack(path: Path, tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path), context=app_context(path))
    load_module(path, f"nag_{path.parent.name}").build(app)
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    error, report = synth(app)
    assert error is None, error
    failing = [v for v in report.get("violations", []) if v["severity"] in ("error", "fatal")]
    assert failing == [], failing


def github_anchor(heading: str) -> str:
    """The anchor GitHub renders for a Markdown heading."""
    import re

    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_docs_have_a_section_per_rule_and_every_link_resolves() -> None:
    from ..conftest import ROOT

    docs = (ROOT / "docs" / "rules.md").read_text()
    anchors = {github_anchor(line[3:]) for line in docs.splitlines() if line.startswith("## ")}
    for rule_id in ImmutableInfrastructureChecks().rule_ids:
        assert rule_id.lower() in anchors, rule_id
        section = docs.split(f"\n## {rule_id}\n", 1)[1].split("\n## ", 1)[0]
        assert "Acknowledge" in section or rule_id.startswith("IMM-ACK"), rule_id
    for r in RULES:
        assert r.docs == f"{DOCS}#{r.id.lower()}"
        section = docs.split(f"\n## {r.id}\n", 1)[1].split("\n## ", 1)[0]
        assert "Bad" in section and "Good" in section and f"ImmutableInfrastructureChecks::{r.id}" in section
    assert "acknowledging-a-finding" in anchors


def test_nested_stacks_are_checked_and_acknowledged(tmp_path: Path) -> None:
    from aws_cdk import NestedStack

    app = App(outdir=str(tmp_path))
    parent = Stack(Stage(app, "Prod"), "Parent")
    child = NestedStack(parent, "Child")
    ssh_group(child, "Open", isolated_vpc(child))
    acknowledge(ecr.Repository(child, "Cache"), "IMM-IMG2")
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    error, report = synth(app)
    assert error is not None
    found = by_rule(report["violations"])
    assert paths(found["IMM-SSH1"]) == ["Prod/Parent/Child/Open/Resource"]
    assert "IMM-ACK3" not in found, "the acknowledgement in the nested stack matches its finding"
    assert paths(report["suppressedViolations"]) == ["Prod/Parent/Child/Cache/Resource"]


def test_a_stale_acknowledgement_on_the_app_is_reported(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    ecr.Repository(Stack(app, "Clean"), "Images", image_tag_mutability=ecr.TagMutability.IMMUTABLE)
    acknowledge(app, "IMM-REP5")
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    error, report = synth(app)
    assert error is None, "a stale acknowledgement is a warning"
    (violation,) = report["violations"]
    assert violation["ruleName"] == "IMM-ACK3"
    assert "at the app matches no finding" in violation["description"]
