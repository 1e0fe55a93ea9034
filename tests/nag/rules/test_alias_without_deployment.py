"""IMM-REP9: an alias CloudFormation moves by itself is reported; one CodeDeploy moves passes."""

from __future__ import annotations

from typing import Any

from ..helpers import reported


def alias(update_policy: dict[str, Any] | None = None, version: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Type": "AWS::Lambda::Alias",
        "Properties": {"FunctionName": {"Ref": "Fn"}, "Name": "live",
                       "FunctionVersion": version or {"Fn::GetAtt": ["V", "Version"]}},
    }  # fmt: skip
    if update_policy is not None:
        body["UpdatePolicy"] = update_policy
    return body


def test_an_alias_without_a_deployment_group_is_reported() -> None:
    resources = {
        "Moved": alias(),
        "Latest": alias(version="$LATEST"),
        "NoGroup": alias({"CodeDeployLambdaAliasUpdate": {"ApplicationName": {"Ref": "App"}}}),
    }
    assert reported(resources, "IMM-REP9") == {"Moved", "Latest", "NoGroup"}


def test_an_alias_codedeploy_moves_passes() -> None:
    policy = {"CodeDeployLambdaAliasUpdate": {"ApplicationName": {"Ref": "App"}, "DeploymentGroupName": {"Ref": "G"}}}
    assert reported({"Released": alias(policy)}, "IMM-REP9") == set()
