"""Pattern: an ECS service on EC2 capacity (cluster.add_capacity) behind a load balancer, sample image
(aws-cdk-examples' "ecs/ecs-load-balanced-service", with today's ApplicationLoadBalancedEc2Service)."""

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "python/ecs/ecs-load-balanced-service/app.py",
    "commit": "39af4edb22bb07b8f0e6ccb42b913212db1504f9",
}


def build(app: App) -> None:
    stack = Stack(app, "EcsEc2")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2)
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
    cluster.add_capacity("Capacity", instance_type=ec2.InstanceType("t3.micro"))
    ecs_patterns.ApplicationLoadBalancedEc2Service(
        stack, "Service", cluster=cluster, memory_limit_mib=512,
        task_image_options=ecs_patterns.ApplicationLoadBalancedTaskImageOptions(
            image=ecs.ContainerImage.from_registry("amazon/amazon-ecs-sample")),
    )  # fmt: skip
