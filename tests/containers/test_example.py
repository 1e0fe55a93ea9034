"""examples/container_service: an image asset released by blue/green, with the example's own rollback alarm."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App

from immutable_constructs.nag import ImmutableInfrastructureChecks

from ..conftest import ROOT, load_module, only, resources_of


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    module = load_module(ROOT / "examples" / "container_service" / "app.py", "example_container_service")
    app = App()
    stack = module.build(app)
    return dict(app.synth().get_stack_by_name(stack.stack_name).template)


def test_the_image_asset_is_released_by_blue_green_with_both_alarms(template: dict[str, Any]) -> None:
    service = only(template, "AWS::ECS::Service")["Properties"]
    configuration = service["DeploymentConfiguration"]
    assert configuration["Strategy"] == "BLUE_GREEN" and configuration["BakeTimeInMinutes"] == 15
    names = [name["Ref"] for name in configuration["Alarms"]["AlarmNames"]]
    assert len(names) == 2 and any(n.startswith("SlowWeb") for n in names)
    (container,) = only(template, "AWS::ECS::TaskDefinition")["Properties"]["ContainerDefinitions"]
    assert "container-assets" in container["Image"]["Fn::Sub"]
    assert [s["Name"] for s in container["Secrets"]] == ["DATABASE_PASSWORD"] and "Environment" not in container
    assert len(resources_of(template, "AWS::ElasticLoadBalancingV2::TargetGroup")) == 2
    assert ImmutableInfrastructureChecks().check_template(template) == []
