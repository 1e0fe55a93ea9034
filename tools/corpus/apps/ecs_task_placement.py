"""Pattern: an EC2-capacity ECS service (ASG capacity provider, ECS-optimized AMI) running nginx:latest
with placement constraints and strategies (aws-cdk-examples' "ecs/ecs-service-with-task-placement")."""

from aws_cdk import App, Stack
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "python/ecs/ecs-service-with-task-placement/app.py",
    "commit": "bccff1d2775e4b0bf777721c6b41c0107e122f73",
}


def build(app: App) -> None:
    stack = Stack(app, "EcsTaskPlacement")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2)
    cluster = ecs.Cluster(stack, "EcsCluster", vpc=vpc)
    group = autoscaling.AutoScalingGroup(
        stack,
        "DefaultAutoScalingGroup",
        instance_type=ec2.InstanceType("t2.micro"),
        machine_image=ecs.EcsOptimizedImage.amazon_linux2(),
        vpc=vpc,
    )
    cluster.add_asg_capacity_provider(ecs.AsgCapacityProvider(stack, "AsgCapacityProvider", auto_scaling_group=group))
    task = ecs.Ec2TaskDefinition(stack, "TaskDef")
    container = task.add_container("web", image=ecs.ContainerImage.from_registry("nginx:latest"), memory_limit_mib=256)
    container.add_port_mappings(ecs.PortMapping(container_port=80, host_port=8080, protocol=ecs.Protocol.TCP))
    service = ecs.Ec2Service(
        stack,
        "Service",
        cluster=cluster,
        task_definition=task,
        placement_constraints=[ecs.PlacementConstraint.distinct_instances()],
    )
    service.add_placement_strategies(ecs.PlacementStrategy.packed_by(ecs.BinPackResource.MEMORY))
    service.add_placement_strategies(ecs.PlacementStrategy.spread_across(ecs.BuiltInAttributes.AVAILABILITY_ZONE))
