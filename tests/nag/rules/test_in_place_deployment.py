"""IMM-REP3: a server deployment group that deploys in place is reported; blue/green passes."""

from __future__ import annotations

from ..helpers import reported

APPLICATION = {"Type": "AWS::CodeDeploy::Application", "Properties": {"ComputePlatform": "Server"}}


def group(style: dict[str, str] | None) -> dict[str, object]:
    properties: dict[str, object] = {"ApplicationName": {"Ref": "App"}, "ServiceRoleArn": "arn:aws:iam::1:role/cd"}
    if style:
        properties["DeploymentStyle"] = style
    return {"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": properties}


def test_in_place_is_reported() -> None:
    resources = {"App": APPLICATION, "Default": group(None), "InPlace": group({"DeploymentType": "IN_PLACE"})}
    assert reported(resources, "IMM-REP3") == {"Default", "InPlace"}


def test_blue_green_passes() -> None:
    resources = {
        "App": APPLICATION,
        "G": group({"DeploymentType": "BLUE_GREEN", "DeploymentOption": "WITH_TRAFFIC_CONTROL"}),
    }
    assert reported(resources, "IMM-REP3") == set()
