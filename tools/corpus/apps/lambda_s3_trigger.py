"""Pattern: a bucket whose OBJECT_CREATED notifications invoke a function (aws-cdk-examples' "lambda-s3-trigger")."""

from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n

from ._files import HANDLER

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "python/lambda-s3-trigger/s3trigger/s3trigger_stack.py",
    "commit": "bccff1d2775e4b0bf777721c6b41c0107e122f73",
}


def build(app: App) -> None:
    stack = Stack(app, "S3Trigger")
    function = lambda_.Function(
        stack,
        "lambda_function",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_asset(HANDLER),
    )
    bucket = s3.Bucket(stack, "s3bucket")
    bucket.add_event_notification(s3.EventType.OBJECT_CREATED, s3n.LambdaDestination(function))
