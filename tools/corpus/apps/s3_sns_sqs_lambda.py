"""Pattern: S3 uploads notify an SNS topic, fanned out to an SQS queue (with a dead-letter queue) that a
function consumes as its event source (aws-cdk-examples' "s3-sns-sqs-lambda-chain")."""

from aws_cdk import App, Duration, Stack
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
    "path": "python/s3-sns-sqs-lambda-chain/s3_sns_sqs_lambda_chain/s3_sns_sqs_lambda_chain_stack.py",
    "commit": "bccff1d2775e4b0bf777721c6b41c0107e122f73",
}


def build(app: App) -> None:
    stack = Stack(app, "S3SnsSqsLambda")
    dlq = sqs.Queue(stack, "dead_letter_queue_id", retention_period=Duration.days(7))
    queue = sqs.Queue(
        stack,
        "sample_queue_id",
        visibility_timeout=Duration.seconds(180),
        dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=1, queue=dlq),
    )
    topic = sns.Topic(stack, "sample_sns_topic_id")
    topic.add_subscription(subscriptions.SqsSubscription(queue, raw_message_delivery=True))
    bucket = s3.Bucket(stack, "sample_bucket_id", block_public_access=s3.BlockPublicAccess.BLOCK_ALL, versioned=True)
    bucket.add_event_notification(
        s3.EventType.OBJECT_CREATED_PUT,
        s3n.SnsDestination(topic),
        s3.NotificationKeyFilter(prefix="uploads", suffix=".csv"),
    )
    function = lambda_.Function(
        stack,
        "lambda_function",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_asset(HANDLER),
        timeout=Duration.seconds(30),
    )
    function.add_event_source(sources.SqsEventSource(queue))
