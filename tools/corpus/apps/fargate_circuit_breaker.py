"""Pattern: an ALB Fargate service whose rolling deployments are rolled back by the circuit breaker, with no
explicit deployment controller (aws-cdk's integration test of ecs-patterns' circuitBreaker). Correct for
IMM-REP10."""

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns

ORIGIN = {
    "kind": "pattern",
    "repo": "aws/aws-cdk",
    "path": "packages/@aws-cdk-testing/framework-integ/test/aws-ecs-patterns/test/fargate/"
    "integ.circuit-breaker-no-deployment-controller-fargate-service.ts",
    "commit": "adfd101c7bfda307d6741e765b6e73bd0c4552c6",
}


def build(app: App) -> None:
    stack = Stack(app, "FargateCircuitBreaker")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, restrict_default_security_group=False)
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
    ecs_patterns.ApplicationLoadBalancedFargateService(
        stack,
        "myService",
        cluster=cluster,
        memory_limit_mib=512,
        task_image_options=ecs_patterns.ApplicationLoadBalancedTaskImageOptions(
            image=ecs.ContainerImage.from_registry("amazon/amazon-ecs-sample")
        ),
        circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
    )
