"""Rules about pairs across the whole cloud assembly: IMM-DEP4 and IMM-REP6 with two stacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import App, CfnAutoScalingRollingUpdate, CfnResource, CfnUpdatePolicy, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from immutable_constructs.nag import ImmutableInfrastructureChecks

from .helpers import PACK, rule_violations, synth_report

FLEET_TAG = "immutable-constructs:fleet"
STABLE_ARN = "arn:aws:ssm:us-east-1:123456789012:parameter/images/web/stable"


def writer(stack: Stack) -> None:
    """A role allowed to write /images/web/stable (what a promotion function is)."""
    role = iam.Role(stack, "Promotion", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["ssm:PutParameter"], resources=[STABLE_ARN]))


def pin(stack: Stack) -> None:
    ec2.CfnLaunchTemplate(stack, "Web", launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
        image_id="{{resolve:ssm:/images/web/stable:3}}"))  # fmt: skip


def two_stacks(tmp_path: Path, *, ordered: bool) -> App:
    app = App(outdir=str(tmp_path))
    images, service = Stack(app, "Images"), Stack(app, "Service")
    writer(images)
    pin(service)
    if ordered:
        service.add_dependency(images)
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    return app


def test_pin_in_a_stack_not_deployed_after_the_images_stack_is_reported(tmp_path: Path) -> None:
    _, violations = synth_report(two_stacks(tmp_path, ordered=False))
    (finding,) = rule_violations(violations, "IMM-DEP4")
    assert "of stack Images only after an image build" in finding["description"]
    assert "stack Service is not deployed after Images" in finding["description"]
    assert [c["constructPath"] for c in finding["violatingConstructs"]] == ["Service/Web"]


def test_pin_in_a_stack_deployed_after_the_images_stack_passes(tmp_path: Path) -> None:
    _, violations = synth_report(two_stacks(tmp_path, ordered=True))
    assert rule_violations(violations, "IMM-DEP4") == []


def fleet_group(name: str) -> dict[str, Any]:
    return {"Type": "AWS::AutoScaling::AutoScalingGroup",
            "Properties": {"MinSize": "1", "MaxSize": "1", "MaxInstanceLifetime": 86400,
                           "Tags": [{"Key": FLEET_TAG, "Value": name, "PropagateAtLaunch": True}]},
            "UpdatePolicy": {"AutoScalingRollingUpdate": {}}}  # fmt: skip


def variables(values: list[str]) -> dict[str, str]:
    """What IMM-REP6 reads of a TaintedHostReplacement's function: its environment."""
    return {"FLEET_TAG_KEY": FLEET_TAG, "FLEET_TAG_VALUES": json.dumps(values), "TAG_ONLY_FLEET_TAG_VALUES": "[]"}


def watcher(values: list[str]) -> dict[str, Any]:
    return {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": variables(values)}}}


def test_fleet_watched_from_another_stack_passes_and_an_unwatched_one_is_reported() -> None:
    templates = {
        "Service": {"Resources": {"Web": fleet_group("web"), "Api": fleet_group("api")}},
        "Access": {"Resources": {"Tainted": watcher(["web"])}},
    }
    found = [(f.template_path, f.logical_id) for f in PACK.check_app(templates) if f.rule_id == "IMM-REP6"]
    assert found == [("Service", "Api")]
    # One template at a time, the watched fleet looked unwatched.
    alone = [f.logical_id for f in PACK.check_template(templates["Service"]) if f.rule_id == "IMM-REP6"]
    assert sorted(str(x) for x in alone) == ["Api", "Web"]


def test_tainted_host_function_in_another_stack_through_the_cdk(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    service, access = Stack(app, "Service"), Stack(app, "Access")
    group = CfnResource(
        service, "Web", type="AWS::AutoScaling::AutoScalingGroup", properties=fleet_group("web")["Properties"]
    )
    group.cfn_options.update_policy = CfnUpdatePolicy(auto_scaling_rolling_update=CfnAutoScalingRollingUpdate())
    lambda_.CfnFunction(
        access, "Tainted", role="arn:aws:iam::123456789012:role/r", runtime="python3.12", handler="index.handler",
        code=lambda_.CfnFunction.CodeProperty(zip_file="def handler(e, c): pass"),
        environment=lambda_.CfnFunction.EnvironmentProperty(variables=variables(["web"])),
    )  # fmt: skip
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    _, violations = synth_report(app)
    assert rule_violations(violations, "IMM-REP6") == []


def test_check_app_dependencies_order_dep4() -> None:
    images = {"Resources": {"Role": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [
        {"Effect": "Allow", "Action": "ssm:PutParameter",
         "Resource": "arn:aws:ssm:us-east-1:123456789012:parameter/images/web/stable"}]},
        "PolicyName": "p", "Roles": ["r"]}}}}  # fmt: skip
    service = {"Resources": {"T": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
        "ImageId": "{{resolve:ssm:/images/web/stable:3}}"}}}}}  # fmt: skip
    templates = {"Images": images, "Service": service}
    unordered = [f for f in PACK.check_app(templates) if f.rule_id == "IMM-DEP4"]
    ordered = [f for f in PACK.check_app(templates, dependencies={"Service": ["Images"]}) if f.rule_id == "IMM-DEP4"]
    assert len(unordered) == 1 and ordered == []
