"""IMM-REL1: production deployed with no earlier wave, or without bake and alarm gates, is reported; a baked
release passes; a pipeline that deploys no CloudFormation is not judged."""

from __future__ import annotations

from typing import Any

from ..helpers import reported

CFN = {"Category": "Deploy", "Owner": "AWS", "Provider": "CloudFormation", "Version": "1"}
BUILD = {"Category": "Build", "Owner": "AWS", "Provider": "CodeBuild", "Version": "1"}


def bake(minutes: str = "60", result: str = "ROLLBACK") -> dict[str, Any]:
    rule = {
        "Name": "Bake",
        "RuleTypeId": {"Category": "Rule", "Owner": "AWS", "Provider": "CloudWatchAlarm", "Version": "1"},
        "Configuration": {"AlarmName": "gate", "WaitTime": minutes},
    }
    return {"Conditions": [{"Result": result, "Rules": [rule]}]}


def stage(name: str, provider: dict[str, str], on_success: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"Name": name, "Actions": [{"Name": "A", "ActionTypeId": provider, "RunOrder": 1}]}
    if on_success:
        body["OnSuccess"] = on_success
    return body


def pipeline(*stages: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::CodePipeline::Pipeline",
        "Properties": {"RoleArn": "arn:aws:iam::1:role/p", "PipelineType": "V2", "Stages": list(stages)},
    }


def test_unbaked_or_single_wave_production_is_reported() -> None:
    resources = {
        "OneWave": pipeline(stage("Build", BUILD), stage("Prod", CFN, bake())),
        "NoBake": pipeline(stage("Canary", CFN), stage("Prod", CFN, bake())),
        "ProdUngated": pipeline(stage("Canary", CFN, bake()), stage("Prod", CFN)),
        "FailNotRollback": pipeline(stage("Canary", CFN, bake(result="FAIL")), stage("Prod", CFN, bake())),
        "NoWait": pipeline(stage("Canary", CFN, bake(minutes="0")), stage("Prod", CFN, bake())),
    }
    assert reported(resources, "IMM-REL1") == set(resources)


def test_baked_waves_pass_and_build_only_pipelines_are_not_judged() -> None:
    resources = {
        "Baked": pipeline(stage("Build", BUILD), stage("Canary", CFN, bake()), stage("Prod", CFN, bake("180"))),
        "BuildOnly": pipeline(stage("Build", BUILD)),
    }
    assert reported(resources, "IMM-REL1") == set()
