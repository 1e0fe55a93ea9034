"""Pattern: two Fargate services (frontend, backend) built from image assets in nested stacks, talking over
ECS Service Connect, the frontend behind a public ALB; task roles with CloudWatchFullAccess and
CloudWatchLogsFullAccess (aws-cdk-examples' "ecs-serviceconnect"). Its EcrStack also copies the assets to
:latest in two ECR repositories with cdk-ecr-deployment (not on the corpus's PyPI list): the repositories
are kept, the copy is left out; no task uses those tags."""

from aws_cdk import App, Duration, NestedStack, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_servicediscovery as servicediscovery

from ._files import FILES

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "python/ecs-serviceconnect/ecs/ecs_stack.py",
    "commit": "bccff1d2775e4b0bf777721c6b41c0107e122f73",
}
SERVICE = str(FILES / "service")


def _service(
    scope: NestedStack,
    name: str,
    family: str,
    image: ecr_assets.DockerImageAsset,
    port: int,
    roles: tuple[iam.Role, iam.Role],
    context: tuple[ecs.Cluster, str, ec2.SecurityGroup],
) -> ecs.FargateService:
    cluster, namespace, group = context
    task = ecs.FargateTaskDefinition(
        scope,
        f"{name}TaskDefinition",
        family=family,
        cpu=256,
        memory_limit_mib=512,
        task_role=roles[0],
        execution_role=roles[1],
    )
    task.add_container(
        f"{name}Container",
        container_name=family,
        image=ecs.ContainerImage.from_docker_image_asset(image),
        port_mappings=[ecs.PortMapping(container_port=port, host_port=port, name=family)],
        logging=ecs.LogDriver.aws_logs(stream_prefix="ecs-logs"),
    )
    return ecs.FargateService(
        scope,
        f"{name}Service",
        cluster=cluster,
        task_definition=task,
        desired_count=1,
        max_healthy_percent=200,
        min_healthy_percent=100,
        security_groups=[group],
        vpc_subnets=ec2.SubnetSelection(one_per_az=True, subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        service_connect_configuration=ecs.ServiceConnectProps(
            namespace=namespace, services=[ecs.ServiceConnectService(port_mapping_name=family, port=port)]
        ),
        service_name=f"{family}-service",
    )


def build(app: App) -> None:
    stack = Stack(app, "ServiceConnect")
    vpc = ec2.Vpc(
        stack,
        "ServiceConnectVPC",
        ip_addresses=ec2.IpAddresses.cidr("10.0.0.0/16"),
        max_azs=2,
        nat_gateways=2,
        subnet_configuration=[
            ec2.SubnetConfiguration(subnet_type=ec2.SubnetType.PUBLIC, name="Public", cidr_mask=24),
            ec2.SubnetConfiguration(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, name="Private", cidr_mask=24),
        ],
    )
    registry = NestedStack(stack, "EcrStack")
    ecr.Repository(registry, "FrontendRepository", repository_name="frontend")
    ecr.Repository(registry, "BackendDataRepository", repository_name="backend_data")
    frontend_image = ecr_assets.DockerImageAsset(
        registry,
        "frontendAsset",
        directory=SERVICE,
        platform=ecr_assets.Platform.LINUX_AMD64,
        build_args={"SERVICE_B_URL_BUILD_ARG": "data.scapp.local"},
    )
    data_image = ecr_assets.DockerImageAsset(registry, "dataAsset", directory=SERVICE)
    scope = NestedStack(stack, "EcsStack")
    cluster = ecs.Cluster(
        scope, "ECSCluster", vpc=vpc, cluster_name="App-Service-Connect-Cluster", container_insights=True
    )
    namespace = cluster.add_default_cloud_map_namespace(
        name="scapp.local", use_for_service_connect=True, type=servicediscovery.NamespaceType.DNS_PRIVATE
    )
    logs.LogGroup(
        scope,
        "ECSServiceLogGroup",
        log_group_name=f"{cluster.cluster_name}-service",
        removal_policy=RemovalPolicy.DESTROY,
        retention=logs.RetentionDays.FIVE_DAYS,
    )
    principal = iam.ServicePrincipal("ecs-tasks.amazonaws.com")
    task_role = iam.Role(
        scope,
        "ECSTaskIamRole",
        assumed_by=principal,
        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("CloudWatchFullAccess")],
    )
    execution_role = iam.Role(
        scope,
        "TaskexecutionRole",
        assumed_by=principal,
        managed_policies=[
            iam.ManagedPolicy.from_aws_managed_policy_name("AmazonEC2ContainerRegistryReadOnly"),
            iam.ManagedPolicy.from_aws_managed_policy_name("CloudWatchLogsFullAccess"),
        ],
    )
    group = ec2.SecurityGroup(
        scope, "ECSSecurityGroup", vpc=vpc, description="ECS Security Group", allow_all_outbound=True
    )
    group.add_ingress_rule(ec2.Peer.ipv4(vpc.vpc_cidr_block), ec2.Port.tcp(5001), description="All traffic within VPC")
    # As the sample does: the roles are passed crossed (task_role=TaskExecutionRole, execution_role=ECSTaskIamRole).
    context = (cluster, namespace.namespace_name, group)
    frontend = _service(scope, "Frontend", "frontend", frontend_image, 5000, (execution_role, task_role), context)
    _service(scope, "Backend", "backend", data_image, 5001, (execution_role, task_role), context)
    target_group = elbv2.ApplicationTargetGroup(
        scope,
        "TargetGroup",
        target_group_name="ecs-target-group",
        vpc=vpc,
        port=80,
        targets=[frontend],
        target_type=elbv2.TargetType.IP,
        protocol=elbv2.ApplicationProtocol.HTTP,
        health_check=elbv2.HealthCheck(
            path="/",
            port="5000",
            interval=Duration.seconds(6),
            timeout=Duration.seconds(5),
            healthy_threshold_count=2,
            unhealthy_threshold_count=2,
        ),
    )
    balancer_group = ec2.SecurityGroup(
        scope, "PublicLBSG", vpc=vpc, description="Public LB SG", allow_all_outbound=True
    )
    balancer_group.add_ingress_rule(
        peer=ec2.Peer.any_ipv4(), connection=ec2.Port.tcp(80), description="Allow HTTP traffic"
    )
    balancer = elbv2.ApplicationLoadBalancer(
        scope,
        "FrontendLB",
        vpc=vpc,
        internet_facing=True,
        security_group=balancer_group,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
    )
    balancer.add_listener(
        "Listener", port=80, default_action=elbv2.ListenerAction.forward(target_groups=[target_group])
    )
