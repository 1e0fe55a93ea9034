"""Pattern: a function released as its current version through an alias that a CodeDeploy Lambda
deployment group shifts linearly, rolled back by the alias's error alarm, with pre- and post-traffic
hooks; a second alias shifted by a canary config (aws-cdk's own integration test of
LambdaDeploymentGroup: the way the CDK team deploys a function). Correct for IMM-REP8 and IMM-REP9."""

from aws_cdk import App, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_lambda as lambda_

from ._files import HANDLER

ORIGIN = {
    "kind": "pattern",
    "repo": "aws/aws-cdk",
    "path": "packages/@aws-cdk-testing/framework-integ/test/aws-codedeploy/test/lambda/integ.deployment-group.ts",
    "commit": "1f55af8d5ca05cd70e832b5663906ed17459256c",
}


def _function(stack: Stack, name: str) -> lambda_.Function:
    return lambda_.Function(
        stack, name, code=lambda_.Code.from_asset(HANDLER), handler="index.handler", runtime=lambda_.Runtime.PYTHON_3_12
    )


def build(app: App) -> None:
    stack = Stack(app, "LambdaCanary")
    version = _function(stack, "Handler").current_version
    alias = lambda_.Alias(stack, "Alias", alias_name="alias", version=version)
    errors = cloudwatch.Alarm(
        stack,
        "BlueGreenErrors",
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        metric=alias.metric_errors(),
    )
    codedeploy.LambdaDeploymentGroup(
        stack,
        "BlueGreenDeployment",
        alias=alias,
        alarms=[errors],
        deployment_config=codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_1_MINUTE,
        pre_hook=_function(stack, "PreHook"),
        post_hook=_function(stack, "PostHook"),
    )
    second = lambda_.Alias(stack, "SecondAlias", alias_name="secondAlias", version=version)
    codedeploy.LambdaDeploymentGroup(
        stack,
        "SecondDeployment",
        alias=second,
        deployment_config=codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES,
    )
