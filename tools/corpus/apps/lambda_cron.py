"""Pattern: a function run on a cron schedule by an EventBridge rule (aws-cdk-examples' "lambda-cron")."""

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_

from ._files import HANDLER

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "python/lambda-cron/app.py",
    "commit": "bccff1d2775e4b0bf777721c6b41c0107e122f73",
}


def build(app: App) -> None:
    stack = Stack(app, "LambdaCron")
    function = lambda_.Function(
        stack,
        "Singleton",
        code=lambda_.Code.from_asset(HANDLER),
        handler="index.handler",
        timeout=Duration.seconds(300),
        runtime=lambda_.Runtime.PYTHON_3_12,
    )
    rule = events.Rule(
        stack, "Rule", schedule=events.Schedule.cron(minute="0", hour="18", month="*", week_day="MON-FRI", year="*")
    )
    rule.add_target(targets.LambdaFunction(function))
