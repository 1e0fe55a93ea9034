"""Pattern: a Fargate service whose nginx container logs through FireLens to CloudWatch; CDK adds the
log router container itself, its image the aws-for-fluent-bit image named by the public SSM parameter
/aws/service/aws-for-fluent-bit/latest (aws-cdk's integration test of the FireLens log driver)."""

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs

ORIGIN = {
    "kind": "pattern",
    "repo": "aws/aws-cdk",
    "path": "packages/@aws-cdk-testing/framework-integ/test/aws-ecs/test/fargate/integ.firelens-cloudwatch.ts",
    "commit": "3a4f2956bb49f214c8cea794972dcc85c814cbcb",
}


def build(app: App) -> None:
    stack = Stack(app, "FargateFirelens")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, restrict_default_security_group=False)
    cluster = ecs.Cluster(stack, "FargateCluster", vpc=vpc)
    task = ecs.FargateTaskDefinition(stack, "TaskDef", memory_limit_mib=1024, cpu=512)
    options = {
        "Name": "cloudwatch",
        "region": stack.region,
        "log_group_name": "ecs-integ-test",
        "auto_create_group": "true",
        "log_stream_prefix": "nginx",
    }
    container = task.add_container(
        "nginx", image=ecs.ContainerImage.from_registry("nginx"), logging=ecs.LogDrivers.firelens(options=options)
    )
    container.add_port_mappings(ecs.PortMapping(container_port=80, protocol=ecs.Protocol.TCP))
    group = ec2.SecurityGroup(stack, "websvc-sg", vpc=vpc)
    group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(80))
    ecs.FargateService(
        stack, "Service", cluster=cluster, task_definition=task, security_groups=[group], assign_public_ip=True
    )
