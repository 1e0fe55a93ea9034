"""Pattern: a Fargate service behind an NLB running the public sample image, open to the VPC on 80
(aws-cdk-examples' "ecs/fargate-load-balanced-service")."""

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "python/ecs/fargate-load-balanced-service/app.py",
    "commit": "12714e06973322fc8fdfb1bdd268027b7bd7952d",
}


def build(app: App) -> None:
    stack = Stack(app, "FargateNlb")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2)
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
    service = ecs_patterns.NetworkLoadBalancedFargateService(
        stack, "Service", cluster=cluster,
        task_image_options=ecs_patterns.NetworkLoadBalancedTaskImageOptions(
            image=ecs.ContainerImage.from_registry("amazon/amazon-ecs-sample")),
    )  # fmt: skip
    service.service.connections.security_groups[0].add_ingress_rule(ec2.Peer.ipv4(vpc.vpc_cidr_block), ec2.Port.tcp(80))
