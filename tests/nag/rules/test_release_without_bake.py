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


def test_a_plain_cdk_pipeline_straight_to_production_is_reported() -> None:
    from aws_cdk import App, Environment, Stack, Stage, pipelines
    from aws_cdk import aws_sns as sns

    from ..helpers import findings

    app = App()
    stack = Stack(app, "Plain", env=Environment(account="111111111111", region="eu-west-1"))
    connection = "arn:aws:codeconnections:eu-west-1:111111111111:connection/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
    source = pipelines.CodePipelineSource.connection("o/r", "main", connection_arn=connection)
    pipeline = pipelines.CodePipeline(
        stack, "Pipeline", synth=pipelines.ShellStep("Synth", input=source, commands=["npx cdk synth"])
    )
    production = Stage(stack, "Prod", env=Environment(account="111111111111", region="eu-west-1"))
    sns.Topic(Stack(production, "Service"), "Topic", enforce_ssl=True)
    pipeline.add_stage(production)
    found = findings(stack, "IMM-REL1")
    assert len(found) == 1 and "no earlier wave" in next(iter(found.values()))[0]
