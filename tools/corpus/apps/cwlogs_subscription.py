"""Pattern: an EventBridge schedule runs a log emitter; a second function, published with a "live" alias
of its current version and a layer, receives the emitter's log group through a subscription filter
(aws-cdk-examples' "opensearch/cwlogs_ingestion", TypeScript, the subscription stack; its
PythonLayerVersion built here as a LayerVersion from a directory, so the app synthesizes offline
without Docker)."""

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_logs_destinations as destinations

from ._files import FILES, HANDLER

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "typescript/opensearch/cwlogs_ingestion/lib/cwlogs_subscription_stack.ts",
    "commit": "bccff1d2775e4b0bf777721c6b41c0107e122f73",
}
PREFIX = "cwlogs-subscription"


def build(app: App) -> None:
    stack = Stack(app, "CwLogsSubscription")
    log_group = logs.LogGroup(stack, "EventBridgeTriggeredLambdaLogGroup", retention=logs.RetentionDays.ONE_WEEK)
    emitter = lambda_.Function(
        stack,
        "EventBridgeTriggeredLambdaFunction",
        code=lambda_.Code.from_asset(HANDLER),
        handler="index.handler",
        timeout=Duration.seconds(300),
        runtime=lambda_.Runtime.PYTHON_3_12,
        log_group=log_group,
    )
    rule = events.Rule(stack, "Rule", schedule=events.Schedule.rate(Duration.minutes(5)))
    rule.add_target(targets.LambdaFunction(emitter))
    layer = lambda_.LayerVersion(
        stack,
        f"{PREFIX}LambdaLayer",
        code=lambda_.Code.from_asset(str(FILES / "layer")),
        compatible_runtimes=[lambda_.Runtime.PYTHON_3_12, lambda_.Runtime.PYTHON_3_11],
        description="A layer that contains the required modules",
        license="MIT License",
    )
    function = lambda_.Function(
        stack,
        f"{PREFIX}LambdaFunction",
        runtime=lambda_.Runtime.PYTHON_3_12,
        code=lambda_.Code.from_asset(HANDLER),
        handler="index.handler",
        layers=[layer],
        environment={"OSI_INGESTION_ENDPOINT": "https://pipeline.eu-west-1.osis.amazonaws.com/logs"},
    )
    lambda_.Alias(stack, f"{PREFIX}LambdaFunctionAlias", alias_name="live", version=function.current_version)
    function.add_to_role_policy(iam.PolicyStatement(effect=iam.Effect.ALLOW, resources=["*"], actions=["osis:ingest"]))
    subscription = logs.SubscriptionFilter(
        stack,
        f"{PREFIX}LogSubscription",
        log_group=log_group,
        destination=destinations.LambdaDestination(function),
        filter_pattern=logs.FilterPattern.all_events(),
    )
    subscription.node.add_dependency(function)
