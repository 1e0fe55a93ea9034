"""ReleasePipeline: waves in order, stages of a wave in parallel, bake conditions on the fleets' alarm gates with
rollback, approval and deployment window, one image pin everywhere, cross-account reader roles."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Environment, Stack, pipelines

from immutable_constructs import ReleasePipeline, ReleaseWave, ValidationError

from ..conftest import ROOT, joined, load_module

EXAMPLE = ROOT / "examples" / "release_waves" / "app.py"


def stage_named(release: dict[str, Any], name: str) -> dict[str, Any]:
    (stage,) = [s for s in release["pipeline"]["Stages"] if s["Name"] == name]
    return stage


def deploy_stage_names(release: dict[str, Any]) -> list[str]:
    return [
        s["Name"]
        for s in release["pipeline"]["Stages"]
        if any(a["ActionTypeId"]["Provider"] == "CloudFormation" for a in s["Actions"])
    ]


def test_waves_deploy_in_order_after_self_mutation(release: dict[str, Any]) -> None:
    names = [s["Name"] for s in release["pipeline"]["Stages"]]
    assert names[:3] == ["Source", "Build", "UpdatePipeline"]
    assert deploy_stage_names(release) == [
        "canary-222222222222-eu-west-1",
        "early",
        "production-555555555555-eu-west-1",
    ]
    assert release["pipeline"]["PipelineType"] == "V2"


def test_the_stages_of_a_wave_deploy_in_parallel(release: dict[str, Any]) -> None:
    deploys = [a for a in stage_named(release, "early")["Actions"] if a["Name"].endswith(".Deploy")]
    assert len(deploys) == 4
    assert {a["RunOrder"] for a in deploys} == {2}  # one run order: together, after all four change sets
    assert {a.get("Region", "eu-west-1") for a in deploys} == {"eu-west-1", "us-east-1"}  # none: the pipeline's


def test_every_wave_bakes_on_its_fleets_gates_and_rolls_back(release: dict[str, Any]) -> None:
    expected = {
        "canary-222222222222-eu-west-1": (["canary-222222222222-eu-west-1-Web-release-gate"], "60"),
        "early": (
            [
                f"early-{a}-{r}-Web-release-gate"
                for a in ("333333333333", "444444444444")
                for r in ("eu-west-1", "us-east-1")
            ],
            "120",
        ),
        "production-555555555555-eu-west-1": (["production-555555555555-eu-west-1-Web-release-gate"], "180"),
    }
    for name, (alarms, minutes) in expected.items():
        (condition,) = stage_named(release, name)["OnSuccess"]["Conditions"]
        assert condition["Result"] == "ROLLBACK"
        assert [r["RuleTypeId"]["Provider"] for r in condition["Rules"]] == ["CloudWatchAlarm"] * len(alarms)
        assert sorted(r["Configuration"]["AlarmName"] for r in condition["Rules"]) == sorted(alarms)
        assert {r["Configuration"]["WaitTime"] for r in condition["Rules"]} == {minutes}
        for rule in condition["Rules"]:  # read in the alarm's own region, with the role of its own account
            account = rule["Configuration"]["AlarmName"].split("-")[1]
            assert rule["Region"] in rule["Configuration"]["AlarmName"]
            assert f":iam::{account}:role/release-gate-" in json.dumps(rule["RoleArn"]).replace('"', "")


def test_each_gate_is_a_composite_of_the_fleet_rollback_alarms(release: dict[str, Any]) -> None:
    for name, template in release["stages"].items():
        resources = template["Resources"]
        (gate,) = [r for r in resources.values() if r["Type"] == "AWS::CloudWatch::CompositeAlarm"]
        assert gate["Properties"]["AlarmName"].endswith("-Web-release-gate"), name
        rule = json.dumps(gate["Properties"]["AlarmRule"])
        alarms = [k for k, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm" and k.startswith("Fleet")]
        rollback = [k for k in alarms if "AgentSilence" not in k]
        assert rollback and all(k in rule for k in rollback), name  # CPU (no target group in the example)
        assert not any(k in rule for k in alarms if "AgentSilence" in k), "missing data must not stop a release"


def test_reader_roles_trust_the_pipeline_account_and_read_only_the_gate(release: dict[str, Any]) -> None:
    for name, template in release["stages"].items():
        resources = template["Resources"]
        (role_id, role), *_ = [(k, r) for k, r in resources.items() if k.startswith("ReleaseGateReader")]
        assert role["Properties"]["RoleName"].startswith("release-gate-")
        principal = json.dumps(role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"])
        assert ":iam::111111111111:root" in principal, name
        (policy,) = [
            r
            for r in resources.values()
            if r["Type"] == "AWS::IAM::Policy" and r["Properties"]["Roles"] == [{"Ref": role_id}]
        ]
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Action"] == "cloudwatch:DescribeAlarms"
        assert "Fn::GetAtt" in json.dumps(statement["Resource"]), "the gate alarm's ARN, not *"
    # the pipeline's role may assume exactly those roles
    policies = [r for r in release["template"]["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    assumed = [
        s
        for p in policies
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "sts:AssumeRole" and "release-gate-" in json.dumps(s["Resource"])
    ]
    assert sum(len(s["Resource"]) if isinstance(s["Resource"], list) else 1 for s in assumed) == 6


def test_production_waits_for_approval_inside_its_window(release: dict[str, Any]) -> None:
    stage = stage_named(release, "production-555555555555-eu-west-1")
    approval, *deploys = sorted(stage["Actions"], key=lambda a: a["RunOrder"])
    assert approval["ActionTypeId"]["Category"] == "Approval" and approval["RunOrder"] < deploys[0]["RunOrder"]
    (condition,) = stage["BeforeEntry"]["Conditions"]
    (rule,) = condition["Rules"]
    assert condition["Result"] == "FAIL" and rule["RuleTypeId"]["Provider"] == "DeploymentWindow"
    assert rule["Configuration"] == {"Cron": "* 8-16 ? * MON-THU *", "TimeZone": "Europe/Paris"}
    assert "BeforeEntry" not in stage_named(release, "early") and "Approval" not in json.dumps(
        stage_named(release, "early")
    )


def test_the_same_image_version_reaches_every_stage(release: dict[str, Any]) -> None:
    """Every stage launches version 7 of the tooling account's shared catalog parameter, in its own region (RAM
    shares are regional), and grants its Auto Scaling role the key of that region's AMI before the fleet."""
    assert len(release["stages"]) == 6
    for name, template in release["stages"].items():
        region = re.search(r"(eu-west-1|us-east-1)$", name)
        assert region, name
        images = [
            joined(r["Properties"]["LaunchTemplateData"]["ImageId"])
            for r in template["Resources"].values()
            if r["Type"] == "AWS::EC2::LaunchTemplate"
        ]
        assert images == [f"resolve:ssm:arn:aws:ssm:{region[0]}:111111111111:parameter/images/web/stable:7"], name
        assert not _resolves(json.dumps(template)), "no {{resolve:ssm}}: it would read the workload account's own"
        ((grant_id, grant),) = [
            (k, r) for k, r in template["Resources"].items() if r["Type"] == "Custom::ImageKeyGrant"
        ]
        assert f":kms:{region[0]}:111111111111:key/" in grant["Properties"]["KeyArn"], name
        groups = [r for r in template["Resources"].values() if r["Type"] == "AWS::AutoScaling::AutoScalingGroup"]
        assert groups and all(grant_id in g.get("DependsOn", []) for g in groups), name


def _resolves(text: str) -> list[str]:
    return re.findall(r"\{\{resolve:ssm:[^}]*\}\}", text)


def test_cross_account_keys_when_a_wave_is_elsewhere(release: dict[str, Any]) -> None:
    keys = [r for r in release["template"]["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    assert keys, "CDK Pipelines encrypts its artifacts with a key the target accounts' roles may use"
    deploy_roles = {
        json.dumps(a.get("RoleArn"))
        for s in release["pipeline"]["Stages"]
        for a in s["Actions"]
        if a["ActionTypeId"]["Provider"] == "CloudFormation"
    }
    for account in ("222222222222", "333333333333", "444444444444", "555555555555"):
        assert any(f"{account}" in role and "deploy-role" in role for role in deploy_roles), account


# -- bad input: one ValidationError naming the prop --------------------------------------------------------


def _pipeline(**props: Any) -> ReleasePipeline:
    module = load_module(EXAMPLE, "release_example_bad")
    app = App(context={"images.web.stable": 7})
    stack = Stack(app, "P", env=Environment(account="111111111111", region="eu-west-1"))
    source = pipelines.CodePipelineSource.connection("o/r", "main", connection_arn=module.CONNECTION)
    defaults: dict[str, Any] = {
        "synth": pipelines.ShellStep("Synth", input=source, commands=["npx cdk synth"]),
        "service": module.WebService,
        "waves": [ReleaseWave("canary", [Environment(account="222222222222", region="eu-west-1")])],
        "image_lines": ["web"],
    }
    return ReleasePipeline(stack, "Release", **{**defaults, **props})


@pytest.mark.parametrize(
    ("props", "prop", "words"),
    [
        ({"waves": []}, "waves", "is empty"),
        ({"image_lines": ["api"]}, "image_lines", "images.api.stable"),
        (
            {"waves": [ReleaseWave("a b", [Environment(account="222222222222", region="eu-west-1")])]},
            "waves[0].name",
            "match",
        ),
        (
            {"waves": [ReleaseWave("a", [Environment(region="eu-west-1")])]},
            "waves[0].environments[0].account",
            "literal",
        ),
        (
            {"waves": [ReleaseWave("a", [Environment(account="2222", region="eu-west-1")])]},
            "waves[0].environments[0].account",
            "12-digit",
        ),
        (
            {
                "waves": [
                    ReleaseWave(
                        "a", [Environment(account="222222222222", region="eu-west-1")], bake_time=Duration.seconds(90)
                    )
                ]
            },
            "waves[0].bake_time",
            "whole number of minutes",
        ),
        (
            {
                "waves": [
                    ReleaseWave("a", [Environment(account="222222222222", region="eu-west-1")], window_cron="0 9 * *")
                ]
            },
            "waves[0].window_cron",
            "six fields",
        ),
        (
            {
                "waves": [
                    ReleaseWave(
                        "a",
                        [Environment(account="222222222222", region="eu-west-1")],
                        window_cron="* 8-16 ? * MON-THU *",
                        window_time_zone="Mars/Olympus",
                    )
                ]
            },
            "waves[0].window_time_zone",
            "IANA",
        ),
        (
            {"waves": [ReleaseWave(n, [Environment(account="222222222222", region="eu-west-1")]) for n in ("a", "b")]},
            "waves[1].environments[0]",
            "released by wave 'a'",
        ),
    ],
)
def test_bad_input_is_one_validation_error(props: dict[str, Any], prop: str, words: str) -> None:
    with pytest.raises(ValidationError) as raised:
        _pipeline(**props)
    assert raised.value.construct_path == "P/Release"
    problems = {p.prop: p for p in raised.value.problems}
    assert prop in problems and words in f"{problems[prop].reason} {problems[prop].fix}", raised.value.problems


def test_a_big_wave_is_split_into_baked_stages_of_five() -> None:
    envs = [Environment(account=f"2222222222{n:02d}", region="eu-west-1") for n in range(7)]
    release = _pipeline(waves=[ReleaseWave("all", envs)])
    assert list(release.gates) == ["all-1", "all-2"]
    assert [len(g) for g in release.gates.values()] == [5, 2]


def test_pins_are_given_to_the_service() -> None:
    release = _pipeline()
    assert release.image_versions == {"web": 7}
    assert Path(EXAMPLE).exists()


def test_the_release_pipeline_passes_the_rule_pack(release: dict[str, Any]) -> None:
    from immutable_constructs.nag import ImmutableInfrastructureChecks

    pack = ImmutableInfrastructureChecks()
    assert [f.rule_id for f in pack.check_template(release["template"])] == []
    for name, template in release["stages"].items():
        assert [f.rule_id for f in pack.check_template(template)] == [], name


def test_a_same_account_release_has_no_cross_account_keys() -> None:
    from aws_cdk.assertions import Template

    release = _pipeline(waves=[ReleaseWave("canary", [Environment(account="111111111111", region="eu-west-1")])])
    Template.from_stack(Stack.of(release)).resource_count_is("AWS::KMS::Key", 0)


def test_a_pipeline_stack_without_an_account_is_refused() -> None:
    module = load_module(EXAMPLE, "release_example_no_env")
    stack = Stack(App(context={"images.web.stable": 7}), "NoEnv")
    source = pipelines.CodePipelineSource.connection("o/r", "main", connection_arn=module.CONNECTION)
    with pytest.raises(ValidationError, match="no literal account") as raised:
        ReleasePipeline(
            stack,
            "Release",
            synth=pipelines.ShellStep("Synth", input=source, commands=["npx cdk synth"]),
            service=module.WebService,
            waves=[ReleaseWave("canary", [Environment(account="222222222222", region="eu-west-1")])],
        )
    assert raised.value.problems[0].prop == "scope"
