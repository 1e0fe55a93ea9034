"""examples/versioned_function: every caller reaches the alias, and the hook checks the new version first."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App

from immutable_constructs.nag import ImmutableInfrastructureChecks

from ..conftest import ROOT, load_module, only, resources_of


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    module = load_module(ROOT / "examples" / "versioned_function" / "app.py", "example_versioned_function")
    app = App()
    stack = module.build(app)
    return dict(app.synth().get_stack_by_name(stack.stack_name).template)


def test_the_api_and_the_queue_invoke_the_alias(template: dict[str, Any]) -> None:
    (alias_id,) = resources_of(template, "AWS::Lambda::Alias")
    integration = only(template, "AWS::ApiGatewayV2::Integration")["Properties"]
    assert integration["IntegrationUri"] == {"Ref": alias_id}
    (permission,) = [p for k, p in resources_of(template, "AWS::Lambda::Permission").items() if k.startswith("Api")]
    assert permission["Properties"]["FunctionName"] == {"Ref": alias_id}  # (the other: the drift check's schedule)
    mapping = only(template, "AWS::Lambda::EventSourceMapping")["Properties"]
    assert mapping["FunctionName"]["Fn::Join"][1][-1] == ":live"
    findings = ImmutableInfrastructureChecks().check_template(template)
    assert [f.rule_id for f in findings] == []


def test_a_linear_release_checked_by_the_hook_and_a_business_alarm(template: dict[str, Any]) -> None:
    group = only(template, "AWS::CodeDeploy::DeploymentGroup")["Properties"]
    assert group["DeploymentConfigName"] == "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"
    assert len(group["AlarmConfiguration"]["Alarms"]) == 4  # errors, throttles, duration, failed orders
    alias = only(template, "AWS::Lambda::Alias")
    hook = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]["BeforeAllowTrafficHook"]["Ref"]
    variables = template["Resources"][hook]["Properties"]["Environment"]["Variables"]
    (version_id,) = resources_of(template, "AWS::Lambda::Version")
    assert variables["FUNCTION_VERSION"] == {"Fn::GetAtt": [version_id, "Version"]}  # the new version, not live
    assert alias["Properties"]["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 1}
