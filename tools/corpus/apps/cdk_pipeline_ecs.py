"""Pattern: a CDK Pipelines pipeline (self-mutating, source from a CodeStar connection) whose one wave
deploys two regional stages, each a VPC stack and an ALB Fargate service built from an image asset
with a /health check (aws-cdk-examples' "cdkpipeline-ecs", TypeScript). The pipeline stack gets the
environment its bin/cdkpipe.ts suggests in a comment (account 123456789012, us-east-1): without one the
sample does not synthesize (PipelineStackMustHaveExplicitRegion)."""

from aws_cdk import App, Environment, Stack, Stage, pipelines
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns
from constructs import Construct

from ._files import FILES

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "typescript/cdkpipeline-ecs/lib/pipeline-stack.ts",
    "commit": "bccff1d2775e4b0bf777721c6b41c0107e122f73",
}


class AppStacks(Stage):
    def __init__(self, scope: Construct, id: str, *, env: Environment) -> None:
        super().__init__(scope, id, env=env)
        vpc_stack = Stack(self, "VPCStack", env=env)
        vpc = ec2.Vpc(vpc_stack, "Vpc", nat_gateways=1)
        ecs_stack = Stack(self, "ECSStack", env=env)
        cluster = ecs.Cluster(ecs_stack, "Cluster", vpc=vpc)
        service = ecs_patterns.ApplicationLoadBalancedFargateService(
            ecs_stack,
            "Service",
            cluster=cluster,
            memory_limit_mib=512,
            desired_count=1,
            cpu=256,
            task_image_options=ecs_patterns.ApplicationLoadBalancedTaskImageOptions(
                image=ecs.ContainerImage.from_asset(str(FILES / "service"))
            ),
        )
        service.target_group.configure_health_check(path="/health")


def build(app: App) -> None:
    account = "123456789012"
    stack = Stack(app, "CdkpipeStack", env=Environment(account=account, region="us-east-1"))
    source = pipelines.CodePipelineSource.connection(
        "org/reponame",
        "branchname",
        connection_arn="arn:aws:codestar-connections:us-east-1:123456789012:connection/abcdefg",
    )
    synth = pipelines.ShellStep("Synth", input=source, commands=["npm ci", "npm run build", "npx cdk synth"])
    pipeline = pipelines.CodePipeline(stack, "Pipeline", synth=synth, self_mutation=True)
    wave = pipeline.add_wave("DeployWave")
    wave.add_stage(AppStacks(stack, "AppsUS", env=Environment(account=account, region="us-east-1")))
    wave.add_stage(AppStacks(stack, "AppsEU", env=Environment(account=account, region="eu-west-1")))
