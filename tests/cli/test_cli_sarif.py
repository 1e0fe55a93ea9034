"""SARIF of a report with findings of ours and of AwsSolutions, against expected values.

Rule ids, titles, help texts and URIs, levels and locations: what GitHub code scanning shows.
Our findings carry their title, fix and documentation link as fields of the validation report
(``ruleMetadata``); AwsSolutions' carry only a description, which the report falls back to.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from immutable_constructs import __version__
from immutable_constructs.cli import main, to_sarif
from immutable_constructs.cli.sarif import FailOn, Level

from .test_cli_assembly import multitool, needs_multitool

APP_SOURCE = """\
from aws_cdk import Acknowledgment, App, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from cdk_nag import AwsSolutionsChecks

from immutable_constructs.nag import ImmutableInfrastructureChecks

app = App(outdir=OUTDIR)
stack = Stack(app, "Golden")
vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0, subnet_configuration=[])
open_ssh = ec2.SecurityGroup(stack, "Open", vpc=vpc)
open_ssh.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(22))
terse = ec2.SecurityGroup(stack, "Terse", vpc=vpc)
terse.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(3389))
Validations.of(terse).acknowledge(Acknowledgment(id="ImmutableInfrastructureChecks::IMM-SSH1", reason="legacy"))
ecr.Repository(stack, "Cache")
ec2.CfnLaunchTemplate(
    stack,
    "Template",
    launch_template_data={"imageId": "resolve:ssm:/images/web", "metadataOptions": {"httpTokens": "required"}},
)
Validations.of(app).add_plugins(AwsSolutionsChecks(app), ImmutableInfrastructureChecks())
app.synth()
"""


def view(log: dict[str, Any]) -> dict[str, Any]:
    """What a reader of the alerts sees, per run: each rule's descriptor and each result's place."""
    runs: dict[str, Any] = {}
    for run in log["runs"]:
        rules = [
            (
                r["id"],
                r["shortDescription"]["text"],
                r["fullDescription"]["text"],
                r["help"]["text"],
                r.get("helpUri"),
                r["defaultConfiguration"]["level"],
            )
            for r in run["tool"]["driver"]["rules"]
        ]
        results = []
        for r in run["results"]:
            (location,) = r["locations"]
            physical = location["physicalLocation"]
            related = [
                (x["physicalLocation"]["artifactLocation"]["uri"], "region" in x["physicalLocation"])
                for x in r.get("relatedLocations", [])
            ]
            results.append(
                (
                    r["ruleId"],
                    r["level"],
                    r["message"]["text"],
                    physical["artifactLocation"]["uri"],
                    physical["region"]["startLine"],
                    [x["fullyQualifiedName"] for x in location.get("logicalLocations", [])],
                    related,
                    r["properties"]["propertyPaths"],
                    [s["justification"] for s in r.get("suppressions", [])],
                )
            )
        runs[run["tool"]["driver"]["name"]] = {"rules": rules, "results": sorted(results)}
    return runs


DOCS = f"https://github.com/immutable-constructs/immutable-constructs/blob/v{__version__}/docs/rules.md"
CDK_NAG = "https://github.com/cdklabs/cdk-nag/blob/main/RULES.md"
TEMPLATE = [("cdk.out/Golden.template.json", True)]
SSH1_FIX = "Remove the ingress rule; open sessions with Session Manager (SessionManagerAccess) instead."
IMG2_FIX = "Set image_tag_mutability=ecr.TagMutability.IMMUTABLE."
IMG3_FIX = "Pin the parameter version: PinnedSsmImage('/images/web/stable', version=N)."
HYG2_FIX = "Map every EBS volume, the root volume included, with encrypted=True."
EC23 = "The Security Group allows for 0.0.0.0/0 or ::/0 inbound access."
VPC7 = "The VPC does not have an associated Flow Log."

EXPECTED_RULES = {
    "AwsSolutions": [
        ("AwsSolutions-VPC7", VPC7, VPC7, VPC7, CDK_NAG, "error"),
        ("AwsSolutions-EC23", EC23, EC23, EC23, CDK_NAG, "error"),
    ],
    "ImmutableInfrastructureChecks": [
        (
            "IMM-SSH1",
            "Ingress reaches SSH (22) or RDP (3389)",
            f"Ingress reaches SSH (22) or RDP (3389). {SSH1_FIX}",
            SSH1_FIX,
            f"{DOCS}#imm-ssh1",
            "error",
        ),
        (
            "IMM-IMG2",
            "ECR repository with mutable tags",
            f"ECR repository with mutable tags. {IMG2_FIX}",
            IMG2_FIX,
            f"{DOCS}#imm-img2",
            "warning",
        ),
        (
            "IMM-IMG3",
            "AMI resolved from an unversioned SSM parameter",
            f"AMI resolved from an unversioned SSM parameter. {IMG3_FIX}",
            IMG3_FIX,
            f"{DOCS}#imm-img3",
            "error",
        ),
        (
            "IMM-HYG2",
            "Unencrypted EBS volume",
            f"Unencrypted EBS volume. {HYG2_FIX}",
            HYG2_FIX,
            f"{DOCS}#imm-hyg2",
            "error",
        ),
        (
            "IMM-ACK1",
            "Acknowledgement reason too short",
            "Acknowledgement reason too short. Say why the finding is acceptable here.",
            "Say why the finding is acceptable here.",
            f"{DOCS}#imm-ack1",
            "error",
        ),
    ],
}

EXPECTED_RESULTS = {
    "AwsSolutions": [
        (
            "AwsSolutions-EC23",
            "error",
            f"Golden/Open/Resource: {EC23}",
            "app.py",
            11,
            ["Golden/Open/Resource"],
            [],
            [],
            [],
        ),
        (
            "AwsSolutions-EC23",
            "error",
            f"Golden/Terse/Resource: {EC23}",
            "app.py",
            13,
            ["Golden/Terse/Resource"],
            [],
            [],
            [],
        ),
        (
            "AwsSolutions-VPC7",
            "error",
            f"Golden/Vpc/Resource: {VPC7}",
            "app.py",
            10,
            ["Golden/Vpc/Resource"],
            [],
            [],
            [],
        ),
    ],
    "ImmutableInfrastructureChecks": [
        (
            "IMM-ACK1",
            "error",
            'Golden/Terse: Acknowledgement reason too short: "ImmutableInfrastructureChecks::IMM-SSH1" at Golden/Terse '
            "gives 'legacy' (6 characters, at least 20 needed). Fix: Say why the finding is acceptable here. "
            f"See {DOCS}#acknowledging-a-finding",
            "app.py",
            13,
            ["Golden/Terse"],
            [],
            [],
            [],
        ),
        (
            "IMM-HYG2",
            "error",
            "Golden/Template: Unencrypted EBS volume: Properties.LaunchTemplateData.BlockDeviceMappings is not set: "
            f"the root volume's encryption is left to the AMI and account default. Fix: {HYG2_FIX} See {DOCS}#imm-hyg2",
            "app.py",
            19,
            ["Golden/Template"],
            TEMPLATE,
            ["Properties.LaunchTemplateData.BlockDeviceMappings"],
            [],
        ),
        (
            "IMM-IMG2",
            "warning",
            "Golden/Cache/Resource: ECR repository with mutable tags: Properties.ImageTagMutability = MUTABLE "
            f"(default): a pushed tag can later point at a different image. Fix: {IMG2_FIX} See {DOCS}#imm-img2",
            "app.py",
            16,
            ["Golden/Cache/Resource"],
            TEMPLATE,
            ["Properties.ImageTagMutability"],
            [],
        ),
        (
            "IMM-IMG3",
            "error",
            "Golden/Template: AMI resolved from an unversioned SSM parameter: Properties.LaunchTemplateData.ImageId = "
            "resolve:ssm:/images/web: resolved at every launch from SSM parameter /images/web: one fleet can run "
            "several images. Fix: Pin a version of your parameter: machine_image=PinnedSsmImage('/images/web', "
            "version=N) (`aws ssm get-parameter-history --name /images/web` lists the versions). "
            f"See {DOCS}#imm-img3",
            "app.py",
            19,
            ["Golden/Template"],
            TEMPLATE,
            ["Properties.LaunchTemplateData.ImageId"],
            [],
        ),
        (
            "IMM-SSH1",
            "error",
            "Golden/Open/Resource: Ingress reaches SSH (22) or RDP (3389): Properties.SecurityGroupIngress.0 = "
            '{"FromPort": 22, "IpProtocol": "tcp", "ToPort": 22}: ingress from CidrIp=0.0.0.0/0 reaches SSH (22). '
            f"Fix: {SSH1_FIX} See {DOCS}#imm-ssh1",
            "app.py",
            11,
            ["Golden/Open/Resource"],
            TEMPLATE,
            ["Properties.SecurityGroupIngress.0"],
            [],
        ),
        (
            "IMM-SSH1",
            "error",
            "Golden/Terse/Resource: Ingress reaches SSH (22) or RDP (3389): Properties.SecurityGroupIngress.0 = "
            '{"FromPort": 3389, "IpProtocol": "tcp", "ToPort": 3389}: ingress from CidrIp=0.0.0.0/0 reaches '
            "RDP (3389). "
            f"Fix: {SSH1_FIX} See {DOCS}#imm-ssh1",
            "app.py",
            13,
            ["Golden/Terse/Resource"],
            TEMPLATE,
            ["Properties.SecurityGroupIngress.0"],
            ["legacy"],
        ),
    ],
}


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SARIF file of the app above (written as app.py beside its cdk.out, so locations are its lines)."""
    app_dir = tmp_path_factory.mktemp("golden")
    (app_dir / "app.py").write_text(APP_SOURCE)
    (app_dir / "cdk.json").write_text(json.dumps({"app": "python3 app.py"}))
    outdir = app_dir / "cdk.out"
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        exec(compile(APP_SOURCE, str(app_dir / "app.py"), "exec"), {"OUTDIR": str(outdir)})
    target = app_dir / "golden.sarif"
    assert main(["report", str(outdir), "--sarif", str(target), "--source-root", str(app_dir)]) == 0
    return target


def test_rules_of_both_packs_are_described_as_expected(golden: Path) -> None:
    runs = view(json.loads(golden.read_text()))
    assert {name: run["rules"] for name, run in runs.items()} == EXPECTED_RULES


def test_results_of_both_packs_are_placed_as_expected(golden: Path) -> None:
    runs = view(json.loads(golden.read_text()))
    assert {name: run["results"] for name, run in runs.items()} == EXPECTED_RESULTS


@needs_multitool
def test_the_sarif_multitool_accepts_it(golden: Path, tmp_path: Path) -> None:
    results = [r for run in multitool(golden, tmp_path / "validation.sarif")["runs"] for r in run["results"]]
    assert [
        f"{r['ruleId']}: {r['message']}" for r in results if r.get("level", "warning") in ("error", "warning")
    ] == []
    assert not [r for r in results if r["ruleId"].startswith("GH")]


def test_docs_url_moves_our_links_only(golden: Path, tmp_path: Path) -> None:
    target = tmp_path / "mirror.sarif"
    cdk_out = golden.parent / "cdk.out"
    assert main(["report", str(cdk_out), "--sarif", str(target), "--docs-url", "https://docs.example.com/rules"]) == 0
    runs = view(json.loads(target.read_text()))
    ours = {rule[0]: rule[4] for rule in runs["ImmutableInfrastructureChecks"]["rules"]}
    assert ours["IMM-SSH1"] == "https://docs.example.com/rules#imm-ssh1"
    assert ours["IMM-ACK1"] == "https://docs.example.com/rules#imm-ack1"
    assert {rule[4] for rule in runs["AwsSolutions"]["rules"]} == {CDK_NAG}


C1_DOCS = "https://example.com/c1"


def test_violations_without_fields_fall_back(tmp_path: Path) -> None:
    # Ours in a report written before violations carried their rule: described from the catalog.
    # AwsSolutions' (see above) have a description only: its first sentence is the title. A plugin
    # that fills ruleMetadata the way ours does is read like ours.
    report = {
        "pluginReports": [
            {
                "pluginName": "ImmutableInfrastructureChecks",
                "violations": [
                    {
                        "ruleName": "IMM-SSH1",
                        "description": "Ingress reaches SSH (22) or RDP (3389): Properties.X = 22: open.",
                        "suggestedFix": f"Remove the ingress rule. See {DOCS}#imm-ssh1",
                        "severity": "error",
                        "violatingConstructs": [{"constructPath": "S/G/Resource"}],
                    }
                ],
            },
            {
                "pluginName": "Custom",
                "violations": [
                    {
                        "ruleName": "C1",
                        "description": "Bucket is public because of its policy.",
                        "severity": "info",
                        "ruleMetadata": {
                            "title": "Public bucket",
                            "fix": "Block public access.",
                            "documentation": C1_DOCS,
                        },
                        "violatingConstructs": [{"constructPath": "S/B/Resource"}],
                    }
                ],
            },
        ]
    }
    log = to_sarif(report, cdk_out=tmp_path)
    runs = view(log)
    assert runs["ImmutableInfrastructureChecks"]["rules"] == EXPECTED_RULES["ImmutableInfrastructureChecks"][:1]
    assert runs["Custom"]["rules"] == [
        ("C1", "Public bucket", "Public bucket. Block public access.", "Block public access.", C1_DOCS, "note")
    ]
    (custom,) = [run for run in log["runs"] if run["tool"]["driver"]["name"] == "Custom"]
    assert custom["tool"]["driver"]["rules"][0]["help"]["markdown"] == f"Block public access. [C1]({C1_DOCS})"


def test_fail_on_levels_are_a_closed_set(golden: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert [f.value for f in FailOn] == ["error", "warning", "note", "none"]
    assert [level for level in Level if FailOn.WARNING.fails(level)] == [Level.WARNING, Level.ERROR]
    assert not any(FailOn.NONE.fails(level) for level in Level)
    assert [Level.of(s) for s in ("fatal", "error", "warning", "info", "custom")] == [
        Level.ERROR,
        Level.ERROR,
        Level.WARNING,
        Level.NOTE,
        Level.WARNING,
    ]
    cdk_out = str(golden.parent / "cdk.out")
    assert [main(["report", cdk_out, "--fail-on", f]) for f in ("error", "warning", "note", "none")] == [1, 1, 1, 0]
    with pytest.raises(SystemExit) as refused:
        main(["report", cdk_out, "--fail-on", "fatal"])
    assert refused.value.code == 2
    assert "invalid FailOn value: 'fatal'" in capsys.readouterr().err
