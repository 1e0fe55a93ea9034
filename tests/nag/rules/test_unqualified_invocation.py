"""IMM-REP8: a caller of a versioned function's unqualified ARN or $LATEST is reported; one of its alias passes."""

from __future__ import annotations

from typing import Any

import pytest

from ..helpers import reported

FUNCTION = {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "index.handler"}}
VERSIONED = {
    "Fn": FUNCTION,
    "Version": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Fn"}}},
    "Live": {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Fn"}, "Name": "live"}},
}
ARN = {"Fn::GetAtt": ["Fn", "Arn"]}
INVOKE_URI = {"Fn::Join": ["", ["arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/", ARN, "/invocations"]]}


def mapping(name: Any) -> dict[str, Any]:
    return {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"FunctionName": name, "EventSourceArn": "q"}}


def test_callers_of_the_unqualified_function_or_latest_are_reported() -> None:
    resources = {
        **VERSIONED,
        "Mapping": mapping({"Ref": "Fn"}),
        "Latest": mapping("arn:aws:lambda:eu-west-1:123456789012:function:other:$LATEST"),
        "Permission": {"Type": "AWS::Lambda::Permission",
                       "Properties": {"Action": "lambda:InvokeFunction", "FunctionName": ARN, "Principal": "sns"}},
        "Url": {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": ARN, "AuthType": "AWS_IAM"}},
        "Method": {"Type": "AWS::ApiGateway::Method",
                   "Properties": {"HttpMethod": "GET", "Integration": {"Type": "AWS_PROXY", "Uri": INVOKE_URI}}},
        "Http": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {"IntegrationUri": ARN}},
        "Subscription": {"Type": "AWS::SNS::Subscription", "Properties": {"Protocol": "lambda", "Endpoint": ARN}},
        "Rule": {"Type": "AWS::Events::Rule", "Properties": {"Targets": [{"Id": "T", "Arn": ARN}]}},
        "Schedule": {"Type": "AWS::Scheduler::Schedule",
                     "Properties": {"Target": {"Arn": {"Fn::Sub": "${Fn.Arn}"}, "RoleArn": "r"}}},
    }  # fmt: skip
    assert reported(resources, "IMM-REP8") == {
        "Mapping", "Latest", "Permission", "Url", "Method", "Http", "Subscription", "Rule", "Schedule",
    }  # fmt: skip


def test_callers_of_the_alias_or_a_version_pass() -> None:
    alias = {"Ref": "Live"}
    resources = {
        **VERSIONED,
        "Mapping": mapping({"Fn::Join": ["", [{"Ref": "Fn"}, ":live"]]}),
        "ByVersion": mapping({"Fn::Join": [":", [ARN, "7"]]}),
        "Permission": {"Type": "AWS::Lambda::Permission",
                       "Properties": {"Action": "lambda:InvokeFunction", "FunctionName": alias, "Principal": "sns"}},
        "Url": {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": ARN, "Qualifier": "live"}},
        "Rule": {"Type": "AWS::Events::Rule", "Properties": {"Targets": [{"Id": "T", "Arn": alias}]}},
        "Schedule": {"Type": "AWS::Scheduler::Schedule",
                     "Properties": {"Target": {"Arn": {"Fn::Sub": "${Fn.Arn}:live"}, "RoleArn": "r"}}},
        "GetOnly": {"Type": "AWS::Lambda::Permission",
                    "Properties": {"Action": "lambda:GetFunction", "FunctionName": ARN, "Principal": "123456789012"}},
    }  # fmt: skip
    assert reported(resources, "IMM-REP8") == set()


@pytest.mark.parametrize("caller", [mapping({"Ref": "Fn"}), mapping({"Fn::GetAtt": ["Fn", "Arn"]})])
def test_a_function_that_publishes_no_version_is_not_judged(caller: dict[str, Any]) -> None:
    assert reported({"Fn": FUNCTION, "Mapping": caller}, "IMM-REP8") == set()
