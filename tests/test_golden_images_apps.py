"""The reference app and the golden_ami example: pipeline -> catalog -> fleet pinned to stable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App

from .conftest import ROOT, Synthesized, app_context, load_module


def test_pipeline_feeds_the_catalog_the_fleet_pins(
    reference_app: Synthesized, examples: dict[str, Synthesized]
) -> None:
    for app in (reference_app, examples["golden_ami"]):
        (distribution,) = (
            d for k, d in app.resources("AWS::ImageBuilder::DistributionConfiguration").items() if "Web" in k
        )
        (target,) = distribution["Properties"]["Distributions"]
        assert target["SsmParameterConfigurations"] == [
            {"ParameterName": "/images/web/candidate", "DataType": "aws:ec2:image"}
        ], app.name
        # app.py also has the api line and its ApiFleet (BlueGreenFleet): pick the web pipeline and fleet.
        (function,) = (f for k, f in app.resources("AWS::Lambda::Function").items() if "WebImagePromotion" in k)
        assert function["Properties"]["Environment"]["Variables"]["TARGET_PARAMETER"] == "/images/web/stable"
        (launch_template,) = (t for k, t in app.resources("AWS::EC2::LaunchTemplate").items() if "Api" not in k)
        image_id = launch_template["Properties"]["LaunchTemplateData"]["ImageId"]
        assert image_id == "{{resolve:ssm:/images/web/stable:1}}", app.name
        # The catalog's writers own its parameters; the only parameters here are the fleets' agent configurations.
        parameters = app.resources("AWS::SSM::Parameter")
        assert all("AgentConfig" in logical_id for logical_id in parameters), "the catalog's writers own them"
        # The pipeline and the fleet pinned to its output are in different stacks: the pin cannot
        # resolve before a build has promoted an image, so one stack could never deploy.
        for template in app.templates.values():
            types = {r["Type"] for r in template["Resources"].values()}
            assert not {"AWS::ImageBuilder::ImagePipeline", "AWS::EC2::LaunchTemplate"} <= types, app.name


def test_lifecycle_exclusions_present(reference_app: Synthesized, examples: dict[str, Synthesized]) -> None:
    for app in (reference_app, examples["golden_ami"]):
        policies = app.resources("AWS::ImageBuilder::LifecyclePolicy").values()
        assert policies, app.name
        for policy in policies:
            for detail in policy["Properties"]["PolicyDetails"]:
                amis = detail["ExclusionRules"]["Amis"]
                assert amis["LastLaunched"]["Value"] >= 1 and amis["TagMap"], app.name


def test_build_instances_are_cattle_in_every_app(reference_app: Synthesized, examples: dict[str, Synthesized]) -> None:
    for app in (reference_app, *examples.values()):
        for infrastructure in app.resources("AWS::ImageBuilder::InfrastructureConfiguration").values():
            properties = infrastructure["Properties"]
            assert "KeyPair" not in properties
            assert properties["InstanceMetadataOptions"]["HttpTokens"] == "required"
            assert properties["TerminateInstanceOnFailure"] is True


def test_example_synthesizes_identically_twice(examples: dict[str, Synthesized], tmp_path: Path) -> None:
    module = load_module(ROOT / "examples" / "golden_ami" / "app.py", "golden_ami_again")
    app = App(outdir=str(tmp_path), context=app_context(ROOT / "examples" / "golden_ami" / "app.py"))
    stack = module.build(app)
    again = app.synth().get_stack_by_name(stack.stack_name).template
    first = examples["golden_ami"].templates[stack.stack_name]
    assert json.dumps(again, sort_keys=True) == json.dumps(first, sort_keys=True)


#: The examples whose app registers AwsSolutionsChecks (release_waves: over the pipeline's and every stage's stacks).
CHECKED_BY_AWS_SOLUTIONS = sorted(
    p.parent.name for p in (ROOT / "examples").glob("*/app.py") if "AwsSolutionsChecks(app)" in p.read_text()
)


def test_the_examples_checked_by_aws_solutions() -> None:
    assert {"golden_ami", "release_waves"} <= set(CHECKED_BY_AWS_SOLUTIONS), CHECKED_BY_AWS_SOLUTIONS


@pytest.mark.parametrize("name", CHECKED_BY_AWS_SOLUTIONS)
def test_example_passes_aws_solutions_with_reasoned_acknowledgements(
    examples: dict[str, Synthesized], name: str
) -> None:
    report = examples[name].report
    assert report is not None
    (solutions,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert solutions["conclusion"] == "success" and solutions["violations"] == []
    for violation in solutions["suppressedViolations"]:
        assert violation["acknowledgedId"].startswith("AwsSolutions::")
        assert len(violation["reason"]) >= 40, violation
