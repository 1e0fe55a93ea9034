"""The reference app's service stack (app.py's ReferenceStack) deployed for real.

Everything in it deploys on the emulator: VPC, ALB, the web fleet (ImmutableFleet), Session Manager
access with tainted-host replacement, the stack drift alarm, and the API fleet (BlueGreenFleet) whose
custom resource runs through the real CDK Provider framework (its Node functions and Step Functions
waiter run on the emulator) with the blue/green handler from this checkout. The handler's CodeDeploy
calls go to the unit tests' model-validated fake over HTTP (ministack has no CodeDeploy); its Auto
Scaling and load balancer calls go to the emulator. So the custom resource's create (first group and
deployment group), update (a CodeDeploy release into a green group), rollback (a failed release) and
delete (deployment group and every group it owns) are the handler's real sequences.

The images stack (Image Builder, CodePipeline-free but Image Builder-only) cannot deploy here.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aws_cdk import App, Stack

from tests.conftest import load_module

from .conftest import ROOT, Emulator
from .functions import check_functions
from .lifecycle import Lifecycle, group_images, stack_status
from .resources import physical_ids

pytestmark = pytest.mark.deploy

STACK = "ImmutableReference"


def reference(web: int, api: int | None = None) -> Callable[[App], Stack]:
    def build(app: App) -> Stack:
        module = load_module(ROOT / "app.py", f"deploy_reference_{web}_{api}")
        stack: Stack = module.ReferenceStack(app, STACK, image_version=web, api_image_version=api or web)
        return stack

    return build


def deployment_group_of(emulator: Emulator) -> dict[str, object]:
    (group,) = emulator.codedeploy.fake.groups.values()
    return group


def failed_blue_green_release(
    emulator: Emulator, stack: str, version: int, images_of: Callable[[int], set[str]]
) -> None:
    """A release CodeDeploy fails (the green fleet is unhealthy): CodeDeploy rolls back, the custom
    resource fails, CloudFormation rolls the stack back, and the handler converges to the old version."""
    before = group_images(emulator, stack)
    ids = physical_ids(emulator.client, stack)
    serving = deployment_group_of(emulator)["autoScalingGroups"]
    assembly, _ = emulator.synth(f"{stack}-api{version}", reference(version - 1, version))
    emulator.codedeploy.outcome = "fail"
    try:
        failed = emulator.deploy(assembly, stack, check=False)
    finally:
        emulator.codedeploy.outcome = "succeed"
    assert failed.returncode != 0, "a release whose CodeDeploy deployment failed succeeded"
    assert stack_status(emulator, stack) == "UPDATE_ROLLBACK_COMPLETE"
    assert any(outcome == "fail" for _, outcome in emulator.codedeploy.ended)
    after = group_images(emulator, stack)
    assert set(after.values()) == set(before.values()) == images_of(version - 1), (
        f"the failed release left a group on another image: {before} -> {after}; {emulator.codedeploy.ended}"
    )
    assert physical_ids(emulator.client, stack) == ids
    assert deployment_group_of(emulator)["autoScalingGroups"] == serving
    assert not emulator.codedeploy.errors


def test_reference_service_stack_deploys_releases_rolls_back_and_destroys(emulator: Emulator) -> None:
    lifecycle = Lifecycle(
        emulator,
        stack=STACK,
        build=lambda version: reference(version),
        parameters=("/images/web/stable", "/images/api/stable"),
        first=1,
        on_deployed=check_functions,
        on_rolled_back=failed_blue_green_release,
    )
    lifecycle.run()
    fake = emulator.codedeploy.fake
    assert not emulator.codedeploy.errors
    assert not fake.groups, "the deployment group outlived the stack"
    assert ("CreateDeploymentGroup" in fake.operations()) and ("DeleteDeploymentGroup" in fake.operations())
    assert any(outcome == "succeed" for _, outcome in emulator.codedeploy.ended), "no blue/green release ran"
    leftover = [
        g["AutoScalingGroupName"]
        for g in emulator.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
        if any(t["Key"] == "immutable-constructs:blue-green" for t in g.get("Tags", []))
    ]
    assert not leftover, f"groups the blue/green handler owned are left: {leftover}"
