"""ReleasePipeline on top of what CDK Pipelines generates: AwsSolutions over every stack of the example with each
remaining wildcard acknowledged on its own policy, artifact buckets that log access, asset roles confined to their
own projects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from immutable_constructs.release._acknowledge import acknowledge_generated


def _solutions(outdir: Path) -> dict[str, Any]:
    report = json.loads((outdir / "validation-report.json").read_text())
    (solutions,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    return solutions  # type: ignore[no-any-return]


def _suppressed(solutions: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (v["ruleName"], c["constructPath"], v["reason"])
        for v in solutions.get("suppressedViolations", [])
        for c in v["violatingConstructs"]
    ]


def test_every_stack_of_the_example_passes_aws_solutions(release: dict[str, Any]) -> None:
    solutions = _solutions(release["outdir"])
    assert solutions["conclusion"] == "success" and solutions["violations"] == []
    suppressed = _suppressed(solutions)
    for rule, path, reason in suppressed:
        assert len(reason) >= 40, (rule, path)
    for violation in solutions["suppressedViolations"]:
        assert violation["acknowledgedId"].startswith("AwsSolutions::"), violation
    # The plugin saw the stages' stacks (the library's own acknowledgements there), not only the pipeline's.
    paths = {path for _, path, _ in suppressed}
    for stage in ("canary-222222222222-eu-west-1", "early-444444444444-us-east-1", "production-555555555555-eu-west-1"):
        assert any(p.startswith(f"WebRelease/{stage}/Web/") for p in paths), stage


def test_the_pipeline_acknowledges_each_wildcard_on_its_own_policy(release: dict[str, Any]) -> None:
    mine = [(rule, path) for rule, path, _ in _suppressed(_solutions(release["outdir"])) if "/Release/" in path]
    assert mine, "CDK Pipelines' policies have wildcards"
    for rule, path in mine:
        assert rule.startswith("AwsSolutions-IAM5[") and rule.endswith("]"), rule  # one wildcard, never the rule
        assert path.endswith("/DefaultPolicy/Resource"), path
    # What the construct fixed is not acknowledged: no artifact bucket without access logs, no stage finding.
    assert not [r for r, _ in mine if r.startswith("AwsSolutions-S1")]


def test_artifact_buckets_log_their_access(release: dict[str, Any]) -> None:
    templates = [release["template"]]
    templates += [json.loads(p.read_text()) for p in release["outdir"].glob("cross-region-stack-*.template.json")]
    assert len(templates) == 2, "the us-east-1 environments need a replication bucket in the pipeline's account"
    for template in templates:
        resources = template["Resources"]
        logged = {
            k: r["Properties"]["LoggingConfiguration"]
            for k, r in resources.items()
            if r["Type"] == "AWS::S3::Bucket" and "LoggingConfiguration" in r["Properties"]
        }
        assert len(logged) == 1, sorted(logged)
        ((source, config),) = logged.items()
        assert config["LogFilePrefix"] == "artifacts/"
        target = config["DestinationBucketName"]["Ref"]
        assert resources[target]["DeletionPolicy"] == "Retain"
        assert resources[target]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}  # S3 logs only to SSE-S3 buckets
        ]
        (policy,) = [
            r["Properties"]["PolicyDocument"]
            for r in resources.values()
            if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": target}
        ]
        (delivery,) = [s for s in policy["Statement"] if s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}]
        assert delivery["Action"] == "s3:PutObject"
        assert delivery["Condition"]["ArnLike"]["aws:SourceArn"] == {"Fn::GetAtt": [source, "Arn"]}
        assert delivery["Condition"]["StringEquals"]["aws:SourceAccount"] == "111111111111"


def test_the_asset_role_is_confined_to_its_own_projects(release: dict[str, Any]) -> None:
    resources = release["template"]["Resources"]
    projects = {k for k, r in resources.items() if r["Type"] == "AWS::CodeBuild::Project" and "AssetsFileAsset" in k}
    assert projects  # one per file asset of the stages (the fleets' and handlers' code)
    (role,) = [k for k, r in resources.items() if r["Type"] == "AWS::IAM::Role" and "AssetsFileRole" in k]
    (confinement,) = [
        r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::IAM::Policy" and "FileRoleConfinement" in k
    ]
    assert confinement["Roles"] == [{"Ref": role}]
    builds, logs, reports = confinement["PolicyDocument"]["Statement"]
    for statement in (builds, logs, reports):
        assert statement["Effect"] == "Deny" and "Resource" not in statement
    assert set(builds["Action"]) == {"codebuild:StartBuild", "codebuild:StopBuild", "codebuild:BatchGetBuilds"}
    assert {json.dumps(r) for r in builds["NotResource"]} == {
        json.dumps({"Fn::GetAtt": [p, "Arn"]}) for p in sorted(projects)
    }
    assert len(logs["NotResource"]) == 2 * len(projects)  # each project's log group and its streams
    assert all(any(p in json.dumps(r) for p in projects) for r in logs["NotResource"])
    assert len(reports["NotResource"]) == len(projects)


def test_a_wildcard_no_entry_explains_stays_reported(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "S", env={"account": "111111111111", "region": "eu-west-1"})
    bucket = s3.Bucket(stack, "ArtifactsBucket", enforce_ssl=True, server_access_logs_prefix="self/")
    pipeline = Construct(Construct(stack, "Release"), "Pipeline")
    role = iam.Role(
        Construct(pipeline, "Pipeline"), "Role", assumed_by=iam.ServicePrincipal("codepipeline.amazonaws.com")
    )
    bucket.grant_read(role)  # s3:GetObject* etc. on the artifact bucket: explained
    role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject*"], resources=["arn:aws:s3:::elsewhere/*"]))
    assert acknowledge_generated(pipeline, [bucket.bucket_arn], []) == 3  # GetBucket*, List*, the bucket's /*
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    solutions = _solutions(tmp_path)
    reported = {v["ruleName"] for v in solutions["violations"] if v["ruleName"].startswith("AwsSolutions-IAM5")}
    # s3:GetObject* is one finding for the whole policy, and one of its statements is not on the artifacts.
    assert reported == {
        "AwsSolutions-IAM5[Resource::arn:aws:s3:::elsewhere/*]",
        "AwsSolutions-IAM5[Action::s3:GetObject*]",
    }, reported


def test_artifact_keys_are_kept_with_their_buckets(release: dict[str, Any]) -> None:
    templates = [release["template"]]
    templates += [json.loads(p.read_text()) for p in release["outdir"].glob("cross-region-stack-*.template.json")]
    for template in templates:
        resources = template["Resources"].values()
        keys = [r for r in resources if r["Type"] == "AWS::KMS::Key"]
        assert len(keys) == 1 and keys[0]["DeletionPolicy"] == keys[0]["UpdateReplacePolicy"] == "Retain"
        assert [r["DeletionPolicy"] for r in resources if r["Type"] == "AWS::KMS::Alias"] == ["Delete"]
        assert {r["DeletionPolicy"] for r in resources if r["Type"] == "AWS::S3::Bucket"} == {"Retain"}
