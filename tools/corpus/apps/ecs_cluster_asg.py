"""Pattern: an ECS cluster whose capacity is an ECS-optimized Auto Scaling group in public subnets
(aws-cdk-examples' "ecs/cluster")."""

from aws_cdk import App, Stack
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "python/ecs/cluster/app.py",
    "commit": "24ef673279aab3f330e7591491397615847c13d5",
}


def build(app: App) -> None:
    stack = Stack(app, "EcsCluster")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2)
    group = autoscaling.AutoScalingGroup(
        stack, "Capacity", vpc=vpc, instance_type=ec2.InstanceType("t3.large"), desired_capacity=3,
        machine_image=ecs.EcsOptimizedImage.amazon_linux2(), associate_public_ip_address=True,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
    )  # fmt: skip
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
    cluster.add_asg_capacity_provider(ecs.AsgCapacityProvider(stack, "Provider", auto_scaling_group=group))
