"""The reference app (app.py) and every example: what the issue's "done" list promises.

Each app is synthesized once per session (tests/conftest.py) into build/templates/, where
`make test` runs the cfn-lint CLI over the same files afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from cfnlint.api import lint

from .conftest import Synthesized, example_apps

REPLACING_POLICIES = {"AutoScalingReplacingUpdate", "AutoScalingRollingUpdate", "AutoScalingInstanceRefresh"}


def all_apps(reference_app: Synthesized, examples: dict[str, Synthesized]) -> Iterator[Synthesized]:
    yield reference_app
    yield from examples.values()


def ingress_rules(app: Synthesized) -> Iterator[dict[str, Any]]:
    """Every ingress rule, inline or standalone."""
    for resource in app.resources("AWS::EC2::SecurityGroup").values():
        yield from resource["Properties"].get("SecurityGroupIngress", [])
    for resource in app.resources("AWS::EC2::SecurityGroupIngress").values():
        yield resource["Properties"]


def reaches(rule: dict[str, Any], port: int) -> bool:
    if str(rule.get("IpProtocol")) == "-1":
        return True
    return int(rule.get("FromPort", 0)) <= port <= int(rule.get("ToPort", 65535))


def test_every_example_is_synthesized(examples: dict[str, Synthesized]) -> None:
    assert sorted(examples) == sorted(path.parent.name for path in example_apps())
    assert len(examples) >= 2


def test_reference_app_contents(reference_app: Synthesized) -> None:
    assert list(reference_app.templates) == ["ImmutableReference"]
    for type_name in (
        "AWS::EC2::VPC",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::AutoScaling::AutoScalingGroup",
        "AWS::EC2::LaunchTemplate",
        "AWS::SSM::Document",
    ):
        assert reference_app.resources(type_name), type_name


def test_reference_app_uses_no_context_lookups(reference_app: Synthesized) -> None:
    manifest = json.loads((reference_app.outdir / "manifest.json").read_text())
    assert "missing" not in manifest, manifest.get("missing")


def test_reference_app_pins_the_image_version(reference_app: Synthesized) -> None:
    (launch_template,) = [
        lt for logical_id, lt in reference_app.resources("AWS::EC2::LaunchTemplate").items() if "WebFleet" in logical_id
    ]
    assert launch_template["Properties"]["LaunchTemplateData"]["ImageId"] == "{{resolve:ssm:/images/web/stable:1}}"


def test_image_version_comes_from_context(tmp_path: Any) -> None:
    from aws_cdk import App

    from .conftest import ROOT, load_module

    module = load_module(ROOT / "app.py", "app_with_context")
    app = App(outdir=str(tmp_path), context={"images.web.stable": "18"})
    stack = module.ReferenceStack(app, "Pinned", image_version=int(app.node.try_get_context("images.web.stable")))
    template = app.synth().get_stack_by_name(stack.stack_name).template
    (launch_template,) = [
        r for k, r in template["Resources"].items() if r["Type"] == "AWS::EC2::LaunchTemplate" and "WebFleet" in k
    ]
    assert launch_template["Properties"]["LaunchTemplateData"]["ImageId"] == "{{resolve:ssm:/images/web/stable:18}}"


def test_every_group_replaces_and_regenerates(reference_app: Synthesized, examples: dict[str, Synthesized]) -> None:
    count = 0
    for app in all_apps(reference_app, examples):
        assert not app.resources("AWS::AutoScaling::LaunchConfiguration"), app.name
        for logical_id, group in app.resources("AWS::AutoScaling::AutoScalingGroup").items():
            count += 1
            assert REPLACING_POLICIES & set(group.get("UpdatePolicy", {})), (app.name, logical_id)
            assert group["Properties"]["MaxInstanceLifetime"] >= 86400, (app.name, logical_id)
            assert "LaunchTemplate" in group["Properties"], (app.name, logical_id)
    assert count >= 3


def test_every_launch_template_is_hardened(reference_app: Synthesized, examples: dict[str, Synthesized]) -> None:
    for app in all_apps(reference_app, examples):
        for logical_id, launch_template in app.resources("AWS::EC2::LaunchTemplate").items():
            data = launch_template["Properties"]["LaunchTemplateData"]
            assert data["MetadataOptions"]["HttpTokens"] == "required", (app.name, logical_id)
            assert "KeyName" not in data, (app.name, logical_id)
            devices = data["BlockDeviceMappings"]
            assert devices and all(d["Ebs"]["Encrypted"] is True for d in devices), (app.name, logical_id)
            assert all(ni["AssociatePublicIpAddress"] is False for ni in data["NetworkInterfaces"])


def test_no_ingress_reaches_ssh_or_rdp(reference_app: Synthesized, examples: dict[str, Synthesized]) -> None:
    for app in all_apps(reference_app, examples):
        for rule in ingress_rules(app):
            assert not reaches(rule, 22) and not reaches(rule, 3389), (app.name, rule)
        assert not app.resources("AWS::EC2::KeyPair")
        assert not app.resources("AWS::EC2::InstanceConnectEndpoint")
        assert not app.resources("AWS::EC2::Instance"), "no standalone (pet) instances"


def test_sessions_are_logged_encrypted(reference_app: Synthesized, examples: dict[str, Synthesized]) -> None:
    apps = [reference_app, examples["isolated_fleet"]]
    for app in apps:
        documents = [
            d for d in app.resources("AWS::SSM::Document").values() if d["Properties"]["DocumentType"] == "Session"
        ]
        assert len(documents) == 1, app.name
        inputs = documents[0]["Properties"]["Content"]["inputs"]
        assert inputs["s3EncryptionEnabled"] is True
        assert inputs["cloudWatchEncryptionEnabled"] is True
        assert inputs["kmsKeyId"], "session data is encrypted with a KMS key"
        assert inputs["s3BucketName"] and inputs["cloudWatchLogGroupName"]


def test_isolated_example_gets_session_manager_endpoints(examples: dict[str, Synthesized]) -> None:
    endpoints = examples["isolated_fleet"].resources("AWS::EC2::VPCEndpoint").values()
    names = json.dumps([e["Properties"]["ServiceName"] for e in endpoints])
    for service in ("ssm", "ssmmessages", "logs", "kms", "s3"):
        assert f".{service}" in names, service
    assert "ec2messages" not in names


def test_aws_solutions_passes_with_reasoned_acknowledgements(reference_app: Synthesized) -> None:
    # The synth itself raises when a rule pack reports an unacknowledged error, so
    # reaching here means AwsSolutionsChecks passed; the report shows what was acknowledged.
    assert reference_app.report is not None, "AwsSolutionsChecks did not run"
    reports = {r["pluginName"]: r for r in reference_app.report["pluginReports"]}
    solutions = reports["AwsSolutions"]
    assert solutions["conclusion"] == "success"
    assert solutions["violations"] == []
    suppressed = solutions["suppressedViolations"]
    for violation in suppressed:
        assert violation["acknowledgedId"].startswith("AwsSolutions::"), violation["acknowledgedId"]
        assert len(violation["reason"]) >= 40, violation
    rules = {v["ruleName"].split("[")[0] for v in suppressed}
    assert rules <= {"AwsSolutions-IAM4", "AwsSolutions-IAM5", "AwsSolutions-EC23", "AwsSolutions-S1"}, rules
    agent = [
        v for v in suppressed if v["violatingConstructs"][0]["constructPath"].endswith("WebFleet/AgentPolicy/Resource")
    ]
    assert len(agent) == 3, "the fleet's agent policy acknowledges exactly its three wildcard resources"


def test_cfn_lint_reports_no_errors(reference_app: Synthesized, examples: dict[str, Synthesized]) -> None:
    for app in all_apps(reference_app, examples):
        for stack_name, template in app.templates.items():
            matches = lint(json.dumps(template), regions=["us-east-1", "eu-west-1"])
            errors = [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches if m.rule.id[0] == "E"]
            assert errors == [], f"{app.name}/{stack_name}: {errors}"


@pytest.mark.parametrize("name", [p.parent.name for p in example_apps()])
def test_example_templates_written_for_cfn_lint(examples: dict[str, Synthesized], name: str) -> None:
    assert list(examples[name].outdir.glob("*.template.json"))


def test_immutable_infrastructure_checks_pass_on_the_reference_app(reference_app: Synthesized) -> None:
    from immutable_constructs.nag import ImmutableInfrastructureChecks

    from .conftest import ROOT

    assert "ImmutableInfrastructureChecks()" in (ROOT / "app.py").read_text(), "app.py registers the pack"
    assert reference_app.report is not None
    reports = {r["pluginName"]: r for r in reference_app.report["pluginReports"]}
    # A plugin with nothing to report is left out of validation-report.json.
    ours = reports.get("ImmutableInfrastructureChecks", {"conclusion": "success", "violations": []})
    assert ours["conclusion"] == "success"
    assert ours["violations"] == []
    assert not ours.get("suppressedViolations"), "app.py needs no acknowledgement of the pack"
    # The same templates judged directly: nothing, so the empty report is not a pack that never ran.
    pack = ImmutableInfrastructureChecks()
    assert [f for template in reference_app.templates.values() for f in pack.check_template(template)] == []
