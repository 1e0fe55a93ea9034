"""Pattern: S3 object-created events through SNS to an encrypted SQS queue (with a DLQ on the
subscription), consumed by a function's "live" alias (function.add_alias) so that "the function
version used for processing" can be adjusted (aws-cdk-examples' "s3-event-processor", Go; its GoFunction
built here as a plain Function from a directory, so the app synthesizes offline without Go)."""

from aws_cdk import App, Duration, RemovalPolicy, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs

from ._files import HANDLER

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "go/s3-event-processor/s3-event-processor.go",
    "commit": "bccff1d2775e4b0bf777721c6b41c0107e122f73",
}


def build(app: App) -> None:
    stack = Stack(app, "S3EventProcessor")
    bucket = s3.Bucket(
        stack,
        "UploadBucket",
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        versioned=True,
        encryption=s3.BucketEncryption.S3_MANAGED,
        lifecycle_rules=[
            s3.LifecycleRule(
                enabled=True,
                expiration=Duration.days(60),
                transitions=[s3.Transition(storage_class=s3.StorageClass.GLACIER, transition_after=Duration.days(30))],
            )
        ],
    )
    topic = sns.Topic(stack, "ObjectCreatedTopic", topic_name="s3-object-created-topic")
    encrypted = {"encryption": sqs.QueueEncryption.SQS_MANAGED, "enforce_ssl": True}
    queue = sqs.Queue(stack, "ObjectCreatedQueue", queue_name="s3-object-created-queue", **encrypted)
    dead_letters = sqs.Queue(stack, "ObjectCreatedDlQueue", queue_name="s3-object-created-dl-queue", **encrypted)
    bucket.add_object_created_notification(s3n.SnsDestination(topic))
    topic.add_subscription(
        subscriptions.SqsSubscription(queue, raw_message_delivery=True, dead_letter_queue=dead_letters)
    )
    handler = lambda_.Function(
        stack,
        "ObjectCreatedHandler",
        function_name="s3-object-created-handler",
        code=lambda_.Code.from_asset(HANDLER),
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.RETAIN),
    )
    live = handler.add_alias("live")
    live.add_event_source(
        sources.SqsEventSource(
            queue,
            report_batch_item_failures=True,
            max_concurrency=2,
            batch_size=10,
            max_batching_window=Duration.seconds(10),
        )
    )
