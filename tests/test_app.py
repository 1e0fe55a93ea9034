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
    # Two stacks, deployed in this order: images first, then the service pinned to promoted images.
    assert list(reference_app.templates) == ["ImmutableReferenceImages", "ImmutableReference"]
    images, service = (reference_app.templates[name]["Resources"] for name in reference_app.templates)
    for type_name in ("AWS::EC2::VPC", "AWS::ImageBuilder::ImagePipeline"):
        assert any(r["Type"] == type_name for r in images.values()), type_name
    for type_name in (
        "AWS::EC2::VPC",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::AutoScaling::AutoScalingGroup",
        "AWS::EC2::LaunchTemplate",
        "AWS::SSM::Document",
    ):
        assert any(r["Type"] == type_name for r in service.values()), type_name
    assert not any(r["Type"].startswith("AWS::ImageBuilder::") for r in service.values())
    manifest = json.loads((reference_app.outdir / "manifest.json").read_text())
    dependencies = manifest["artifacts"]["ImmutableReference"].get("dependencies", [])
    assert "ImmutableReferenceImages" in dependencies, "deploying the service stack deploys the images first"


def test_reference_app_builds_both_image_lines(reference_app: Synthesized) -> None:
    written = sorted(
        config["ParameterName"]
        for distribution in reference_app.resources("AWS::ImageBuilder::DistributionConfiguration").values()
        for target in distribution["Properties"]["Distributions"]
        for config in target["SsmParameterConfigurations"]
    )
    assert written == ["/images/api/candidate", "/images/web/candidate"]
    api_components = [
        c["Properties"]["Data"]
        for k, c in reference_app.resources("AWS::ImageBuilder::Component").items()
        if "ApiImage" in k and "codedeploy" in c["Properties"]["Data"]
    ]
    assert api_components, "the api image bakes the CodeDeploy agent BlueGreenFleet needs"
    assert "/latest/install" in api_components[0] and "install auto" in api_components[0]


def test_reference_app_uses_no_context_lookups(reference_app: Synthesized) -> None:
    manifest = json.loads((reference_app.outdir / "manifest.json").read_text())
    assert "missing" not in manifest, manifest.get("missing")


def test_reference_app_pins_come_from_cdk_json(reference_app: Synthesized) -> None:
    from .conftest import ROOT

    pins = json.loads((ROOT / "cdk.json").read_text())["context"]
    launch_templates = reference_app.resources("AWS::EC2::LaunchTemplate")
    (web,) = [lt for logical_id, lt in launch_templates.items() if "WebFleet" in logical_id]
    (api,) = [lt for logical_id, lt in launch_templates.items() if "ApiFleet" in logical_id]
    web_pin, api_pin = pins["images.web.stable"], pins["images.api.stable"]
    assert web["Properties"]["LaunchTemplateData"]["ImageId"] == f"{{{{resolve:ssm:/images/web/stable:{web_pin}}}}}"
    assert api["Properties"]["LaunchTemplateData"]["ImageId"] == f"{{{{resolve:ssm:/images/api/stable:{api_pin}}}}}"


def synth_reference(tmp_path: Any, context: dict[str, Any]) -> dict[str, Any]:
    from aws_cdk import App

    from .conftest import ROOT, load_module

    module = load_module(ROOT / "app.py", f"app_with_context_{len(context)}")
    app = App(outdir=str(tmp_path), context=context)
    stack = module.ReferenceStack(app, "Pinned")
    return dict(app.synth().get_stack_by_name(stack.stack_name).template)


def test_image_version_comes_from_context(tmp_path: Any) -> None:
    template = synth_reference(tmp_path, {"images.web.stable": 18, "images.api.stable": "4"})
    images = {
        k: r["Properties"]["LaunchTemplateData"]["ImageId"]
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::EC2::LaunchTemplate"
    }
    assert sorted(images.values()) == ["{{resolve:ssm:/images/api/stable:4}}", "{{resolve:ssm:/images/web/stable:18}}"]


def test_a_missing_pin_fails_with_one_message_naming_the_key(tmp_path: Any) -> None:
    from immutable_constructs import ValidationError

    with pytest.raises(ValidationError) as raised:
        synth_reference(tmp_path, {"images.web.stable": 18})
    message = str(raised.value)
    assert "1 invalid prop problem" in message
    assert "'images.api.stable'" in message and '"images.api.stable": N' in message and "cdk.json" in message
    assert "aws ssm get-parameter-history --name /images/api/stable" in message


@pytest.mark.parametrize("app_path", ["app.py", "examples/golden_ami/app.py", "examples/blue_green/app.py"])
def test_running_an_app_without_its_pins_prints_no_traceback(app_path: str, tmp_path: Any) -> None:
    """As `cdk synth` runs it, minus the context: one message on stderr, exit code 1, no traceback."""
    import os
    import subprocess
    import sys

    from .conftest import ROOT

    env = {**os.environ, "CDK_OUTDIR": str(tmp_path), "CDK_CONTEXT_JSON": "{}", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(ROOT / app_path)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "synth failed:" in done.stderr and "cdk.json" in done.stderr


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
        # the construct's own document, and one per fleet added (issue 28: a prefix per fleet)
        assert len(documents) == 1 + (2 if app is reference_app else 1), app.name
        for document in documents:
            inputs = document["Properties"]["Content"]["inputs"]
            assert inputs["s3EncryptionEnabled"] is True
            assert inputs["cloudWatchEncryptionEnabled"] is True
            assert inputs["kmsKeyId"], "session data is encrypted with a KMS key"
            assert inputs["s3BucketName"] and inputs["cloudWatchLogGroupName"]


def test_isolated_example_gets_session_manager_endpoints(examples: dict[str, Synthesized]) -> None:
    endpoints = examples["isolated_fleet"].resources("AWS::EC2::VPCEndpoint").values()
    names = json.dumps([e["Properties"]["ServiceName"] for e in endpoints])
    for service in ("ssm", "ssmmessages", "logs", "kms", "s3", "monitoring"):
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


# -- issue 12: no host a human touched stays in service -------------------------------------------------


def fleet_tag_values(app: Synthesized) -> set[str]:
    """The fleet tag value of every fleet of the app (Auto Scaling groups and blue/green fleets)."""
    found = {
        tag["Value"]
        for group in app.resources("AWS::AutoScaling::AutoScalingGroup").values()
        for tag in group["Properties"].get("Tags", [])
        if tag["Key"] == "immutable-constructs:fleet"
    }
    found |= {r["Properties"]["FleetTagValue"] for r in app.resources("Custom::ImmutableBlueGreenFleet").values()}
    return found


def replaced_fleets(app: Synthesized) -> set[str]:
    """The fleet tag values a tainted-host function replaces the tainted hosts of."""
    return {
        value
        for function in app.resources("AWS::Lambda::Function").values()
        for variables in [function["Properties"].get("Environment", {}).get("Variables", {})]
        if variables.get("FLEET_TAG_KEY") == "immutable-constructs:fleet"
        for value in json.loads(variables["FLEET_TAG_VALUES"])
    }


def test_every_fleet_of_every_app_is_watched_for_tainted_hosts(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    service = reference_app.templates["ImmutableReference"]["Resources"]
    assert "SessionAccessTaintedHostsFunction" in "".join(service), "created by SessionManagerAccess in app.py"
    assert len(fleet_tag_values(reference_app)) == 2, "the web fleet and the API fleet"
    for app in all_apps(reference_app, examples):
        fleets = fleet_tag_values(app)
        assert fleets <= replaced_fleets(app), f"{app.name}: {sorted(fleets - replaced_fleets(app))} not watched"


def test_every_example_passes_the_immutable_infrastructure_checks(examples: dict[str, Synthesized]) -> None:
    from immutable_constructs.nag import ImmutableInfrastructureChecks

    pack = ImmutableInfrastructureChecks()
    for app in examples.values():
        findings = [f"{f.rule_id} {f.logical_id}" for t in app.templates.values() for f in pack.check_template(t)]
        assert findings == [], app.name


def _pipeline_support_stack(template: dict[str, Any]) -> bool:
    """A CodePipeline's cross-region support stack (only its replication bucket, key and alias: CDK synthesizes it
    without assets, so it cannot hold the drift check's function), or a CDK Pipelines stack (it mutates itself from
    git on every run, and StackDriftAlarm has no read permissions for AWS::CodeBuild::Project, which has no resource
    schema in the registry)."""
    types = {r["Type"] for r in template["Resources"].values()}
    support = types <= {"AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::KMS::Key", "AWS::KMS::Alias"}
    return support or {"AWS::CodePipeline::Pipeline", "AWS::CodeBuild::Project"} <= types


def test_every_stack_of_every_app_alarms_on_its_own_drift(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    for app in all_apps(reference_app, examples):
        for stack_name, template in app.templates.items():
            if _pipeline_support_stack(template):
                continue
            watched = {
                json.dumps(r["Properties"].get("Dimensions"))
                for r in template["Resources"].values()
                if r["Type"] == "AWS::CloudWatch::Alarm"
                and r["Properties"].get("Namespace") == "ImmutableConstructs/StackDrift"
                and r["Properties"].get("AlarmActions")
            }
            own = json.dumps([{"Name": "StackName", "Value": stack_name}])
            assert own in watched, f"{app.name}/{stack_name}: no StackDriftAlarm on its own stack ({watched})"


def test_the_tainted_host_alarms_of_the_reference_app_notify_the_alarm_topic(reference_app: Synthesized) -> None:
    service = reference_app.templates["ImmutableReference"]["Resources"]
    (topic,) = [k for k, r in service.items() if r["Type"] == "AWS::SNS::Topic" and k.startswith("ImmutableAlarmTopic")]
    tainted = {k: r for k, r in service.items() if k.startswith("SessionAccessTaintedHosts") and "Alarm" in k}
    assert len(tainted) == 2, sorted(tainted)  # the overdue alarm and the errors alarm
    for alarm in tainted.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic}]


def test_every_example_has_a_row_in_the_examples_readme() -> None:
    from .conftest import ROOT

    table = (ROOT / "examples" / "README.md").read_text()
    missing = [p.parent.name for p in example_apps() if f"| `{p.parent.name}` |" not in table]
    assert missing == [], f"examples/README.md has no row for {missing}"
