"""Pattern: a function's current version behind an alias with provisioned concurrency, scaled by
Application Auto Scaling on the alias's utilisation (aws-cdk-examples'
"lambda-provisioned-concurrency-autoscaling", TypeScript; its NodejsFunction built here as a plain
Function from a directory, so the app synthesizes offline without esbuild)."""

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_

from ._files import HANDLER

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "typescript/lambda-provisioned-concurrency-autoscaling/lib/lambda-pc-autoscaling-target.ts",
    "commit": "bccff1d2775e4b0bf777721c6b41c0107e122f73",
}
NAME = "pc-target-function"


def build(app: App) -> None:
    stack = Stack(app, "LambdaProvisioned")
    function = lambda_.Function(
        stack,
        "LambdaFunction",
        function_name=NAME,
        code=lambda_.Code.from_asset(HANDLER),
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        memory_size=512,
        timeout=Duration.seconds(6),
    )
    lambda_.Alias(
        stack,
        "LambdaFunctionAlias",
        alias_name="provisioned",
        version=function.current_version,
        provisioned_concurrent_executions=1,
    )
    metric = cloudwatch.Metric(
        metric_name="ProvisionedConcurrencyUtilization",
        namespace="AWS/Lambda",
        dimensions_map={"FunctionName": function.function_name, "Resource": f"{function.function_name}:'provisioned"},
        statistic="Maximum",
        period=Duration.minutes(5),
    )
    appscaling.ScalableTarget(
        stack,
        f"{NAME}ScalableTarget",
        service_namespace=appscaling.ServiceNamespace.LAMBDA,
        max_capacity=2,
        min_capacity=1,
        resource_id=f"function:{NAME}:provisioned",
        scalable_dimension="lambda:function:ProvisionedConcurrency",
    ).scale_to_track_metric(f"{NAME}PCScaleTracking", target_value=0.8, custom_metric=metric)
