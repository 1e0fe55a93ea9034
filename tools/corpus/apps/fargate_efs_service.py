"""Pattern: an ALB Fargate service whose task mounts an EFS access point (IAM auth, TLS), with its own
task role trusted under aws:SourceAccount/SourceArn, ECS Exec on, CPU and memory scaling
(aws-cdk-examples' "ecs/fargate-service-with-efs")."""

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns
from aws_cdk import aws_efs as efs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "python/ecs/fargate-service-with-efs/app.py",
    "commit": "bccff1d2775e4b0bf777721c6b41c0107e122f73",
}
VOLUME = "cdk-ecs-sample-efs-volume"


def build(app: App) -> None:
    stack = Stack(app, "FargateEfs")
    vpc = ec2.Vpc(stack, "efs-sample-Vpc", max_azs=2)
    cluster = ecs.Cluster(stack, "efs-sample-Cluster", vpc=vpc)
    file_system = efs.FileSystem(
        stack,
        "efs-sample-EFS",
        vpc=vpc,
        lifecycle_policy=efs.LifecyclePolicy.AFTER_14_DAYS,
        performance_mode=efs.PerformanceMode.GENERAL_PURPOSE,
    )
    access_point = efs.AccessPoint(stack, "efs-sample-AccessPoint", file_system=file_system)
    task_role = iam.Role(
        stack,
        "efs-sample-EcsTaskRole",
        assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com").with_conditions(
            {
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{stack.region}:{stack.account}:*"},
            }
        ),
    )
    task_role.attach_inline_policy(
        iam.Policy(
            stack,
            "efs-sample-Policy",
            statements=[
                iam.PolicyStatement(
                    resources=["*"], actions=["ecr:GetAuthorizationToken", "ec2:DescribeAvailabilityZones"]
                ),
                iam.PolicyStatement(
                    sid="AllowEfsAccess",
                    resources=["*"],
                    actions=[
                        "elasticfilesystem:ClientRootAccess",
                        "elasticfilesystem:ClientWrite",
                        "elasticfilesystem:ClientMount",
                        "elasticfilesystem:DescribeMountTargets",
                    ],
                ),
            ],
        )
    )
    task = ecs.FargateTaskDefinition(stack, "efs-sample-FargateTaskDef", task_role=task_role)
    task.add_volume(
        name=VOLUME,
        efs_volume_configuration=ecs.EfsVolumeConfiguration(
            file_system_id=file_system.file_system_id,
            transit_encryption="ENABLED",
            authorization_config=ecs.AuthorizationConfig(access_point_id=access_point.access_point_id, iam="ENABLED"),
        ),
    )
    container = ecs.ContainerDefinition(
        stack,
        "ecs-cdk-sample-container",
        task_definition=task,
        image=ecs.ContainerImage.from_registry("amazon/amazon-ecs-sample"),
        logging=ecs.LogDrivers.aws_logs(stream_prefix="cdk-ecs-sample", log_retention=logs.RetentionDays.ONE_MONTH),
    )
    container.add_mount_points(
        ecs.MountPoint(container_path="/var/www/" + VOLUME, source_volume=VOLUME, read_only=False)
    )
    container.add_port_mappings(ecs.PortMapping(container_port=80, host_port=80, protocol=ecs.Protocol.TCP))
    service = ecs_patterns.ApplicationLoadBalancedFargateService(
        stack,
        "efs-sample-Service",
        cluster=cluster,
        desired_count=1,
        task_definition=task,
        task_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        platform_version=ecs.FargatePlatformVersion.LATEST,
        public_load_balancer=True,
        enable_execute_command=True,
        enable_ecs_managed_tags=True,
    )
    service.service.connections.allow_from(file_system, ec2.Port.tcp(2049))
    service.service.connections.allow_to(file_system, ec2.Port.tcp(2049))
    scaling = service.service.auto_scale_task_count(min_capacity=1, max_capacity=20)
    scaling.scale_on_cpu_utilization("CpuScaling", target_utilization_percent=50)
    scaling.scale_on_memory_utilization("MemoryScaling", target_utilization_percent=50)
