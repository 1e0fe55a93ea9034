"""Pattern: S3 object events on EventBridge start a standalone Fargate task (ECS Exec on) through a rule's
EcsTask target (aws-cdk-examples' "s3-eventbridge-ecs")."""

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_s3 as s3

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "python/s3-eventbridge-ecs/s3_eventbridge_ecs/s3_eventbridge_ecs_stack.py",
    "commit": "bccff1d2775e4b0bf777721c6b41c0107e122f73",
}


def build(app: App) -> None:
    stack = Stack(app, "S3EventbridgeEcs")
    vpc = ec2.Vpc(stack, "ecsVpc")
    bucket = s3.Bucket(
        stack,
        "bucket",
        access_control=s3.BucketAccessControl.PRIVATE,
        versioned=False,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
    )
    bucket.enable_event_bridge_notification()
    cluster = ecs.Cluster(stack, "ecscluster", vpc=vpc, container_insights=True, enable_fargate_capacity_providers=True)
    task = ecs.FargateTaskDefinition(stack, "taskdef", cpu=256)
    container = task.add_container(
        "amazoncontainer", image=ecs.ContainerImage.from_registry("amazon/amazon-ecs-sample")
    )
    container.add_port_mappings(ecs.PortMapping(container_port=8080))
    rule = events.Rule(
        stack,
        "ecsRule",
        description="Rule to trigger ecs task",
        event_pattern=events.EventPattern(
            source=["aws.s3"],
            detail_type=["Object Created", "Object Deleted"],
            detail={"bucket": {"name": [bucket.bucket_name]}},
        ),
    )
    rule.add_target(targets.EcsTask(cluster=cluster, task_definition=task, task_count=1, enable_execute_command=True))
