"""One image version released in three waves across four accounts and two regions (docs/release-waves.md).

``ReleasePipeline`` builds a CDK Pipelines CodePipeline in the tooling account: a canary account first, then
two accounts in two regions each, then production after a person approved, only on weekday working hours.
Every wave bakes for its bake time under the fleets' own alarms and rolls back if one fires. The image pin
(``images.web.stable`` in this folder's cdk.json) is read once and deployed identically to every stage, where it
names a version of the tooling account's catalog, shared with the organization through AWS RAM (the images
app's ``AmiCatalog(..., share_with=[ORGANIZATION])``): every account launches the AMI that version names there,
with a grant on the AMI's key for its Auto Scaling role (docs/release-waves.md, "The image version travels with
the release").
AwsSolutionsChecks runs over the pipeline's stack and every stage's stacks.
"""

from collections.abc import Mapping

from aws_cdk import App, CfnResource, Duration, Environment, Fn, Stack, Stage, Validations, pipelines
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from immutable_constructs import (
    AmiCatalog,
    FleetHealthCheck,
    ImageKeyGrant,
    ImmutableFleet,
    ReleasePipeline,
    ReleaseWave,
    SessionManagerAccess,
    StackDriftAlarm,
)

TOOLING = Environment(account="111111111111", region="eu-west-1")
# The key that encrypts the shared AMI's snapshots: a multi-Region key of the tooling account, whose replica in
# each region is that region's key of the images app (the pipeline's encryption_key, distribution_kms_keys); a
# multi-Region key has the same id in every region (KMS Developer Guide, "Multi-Region keys in AWS KMS").
IMAGE_KEY_ID = "mrk-1b2c3d4e5f6a4b7c8d9e0f1a2b3c4d5e"


def image_key_arn(region: str) -> str:
    return f"arn:aws:kms:{region}:{TOOLING.account}:key/{IMAGE_KEY_ID}"


CONNECTION = "arn:aws:codeconnections:eu-west-1:111111111111:connection/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"


class ServiceStack(Stack):
    """A stack in a named account and region whose VPC takes the region's first two zones at deploy time
    (``Fn::GetAZs``), as an environment-agnostic stack does: without this, CDK looks the zones up with the
    target account's credentials at synth (or writes placeholder zones), and the committed template would
    name zones (cfn-lint W3010). Overriding ``availability_zones`` is the strategy CDK's own docs offer."""

    @property
    def availability_zones(self) -> list[str]:
        return [Fn.select(0, Fn.get_azs()), Fn.select(1, Fn.get_azs())]


class WebService(Stage):
    """The service in one environment: a VPC and a fleet on the released image version (a real service adds its
    load balancer and target group: the fleet's unhealthy-hosts and 5xx alarms then join its release gate)."""

    def __init__(self, scope: Construct, id: str, *, env: Environment, image_versions: Mapping[str, int]) -> None:
        super().__init__(scope, id, env=env)
        stack = ServiceStack(self, "Web")
        vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1, flow_logs=flow_logs(stack))
        # In another account, the tooling account's catalog, shared through RAM (EC2 resolves version N of its
        # parameter at launch), and a grant on the AMI's key for this account's Auto Scaling role.
        elsewhere = env.account != TOOLING.account
        catalog = AmiCatalog(stack, "Images", owner_account=TOOLING.account if elsewhere else None)
        image = catalog.machine_image("web", version=image_versions["web"])
        fleet = ImmutableFleet(
            stack,
            "Fleet",
            vpc=vpc,
            machine_image=image,
            instance_type=ec2.InstanceType("t3.small"),
            min_capacity=2,
            health_check=FleetHealthCheck.http("http://localhost:8080/health"),
            notification_topic=fleet_events(stack),  # every replacement visible, in every environment
        )
        if elsewhere:  # before any launch
            fleet.node.add_dependency(ImageKeyGrant(stack, "ImageKey", key_arn=image_key_arn(str(env.region))))
        SessionManagerAccess(stack, "Sessions", vpc=vpc).add_fleet(fleet)  # the only door; touched hosts replaced
        StackDriftAlarm(stack, "Drift")


def flow_logs(stack: Stack) -> dict[str, ec2.FlowLogOptions]:
    """All traffic to CloudWatch Logs through a role only VPC Flow Logs of this account may assume (VPC User
    Guide, "IAM role for publishing flow logs to CloudWatch Logs": aws:SourceAccount and aws:SourceArn)."""
    source = stack.format_arn(service="ec2", resource="vpc-flow-log", resource_name="*")
    principal = iam.ServicePrincipal(
        "vpc-flow-logs.amazonaws.com",
        conditions={"StringEquals": {"aws:SourceAccount": stack.account}, "ArnLike": {"aws:SourceArn": source}},
    )
    role = iam.Role(stack, "FlowLogRole", assumed_by=principal)
    destination = ec2.FlowLogDestination.to_cloud_watch_logs(iam_role=role)
    return {"All": ec2.FlowLogOptions(traffic_type=ec2.FlowLogTrafficType.ALL, destination=destination)}


def fleet_events(stack: Stack) -> sns.Topic:
    """An encrypted topic for the fleet's scaling events that EC2 Auto Scaling's service-linked role may publish
    to (EC2 Auto Scaling User Guide, "Amazon SNS notification options": an encrypted topic's key policy lets
    AWSServiceRoleForAutoScaling use the key). The role may not exist yet in a new account, and KMS rejects a
    policy naming a missing principal, so it is matched by aws:PrincipalArn."""
    key = kms.Key(stack, "FleetEventsKey", enable_key_rotation=True)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AutoScalingServiceLinkedRolePublishes",
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            principals=[iam.AnyPrincipal()],
            resources=["*"],
            conditions={
                "StringEquals": {"aws:PrincipalAccount": stack.account},
                "ArnEquals": {
                    "aws:PrincipalArn": f"arn:{stack.partition}:iam::{stack.account}:role/aws-service-role/"
                    "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
                },
            },
        )
    )
    resource = key.node.default_child
    assert isinstance(resource, CfnResource)
    skip = {"id": "CKV_AWS_33", "comment": "Principal '*' narrowed to Auto Scaling's service-linked role."}
    resource.add_metadata("checkov", {"skip": [skip]})
    return sns.Topic(stack, "FleetEvents", master_key=key, enforce_ssl=True)


def build(app: App) -> Stack:
    stack = Stack(app, "WebRelease", env=TOOLING)
    source = pipelines.CodePipelineSource.connection("example/web-service", "main", connection_arn=CONNECTION)
    ReleasePipeline(
        stack,
        "Release",
        synth=pipelines.ShellStep("Synth", input=source, commands=["pip install -r requirements.txt", "npx cdk synth"]),
        service=WebService,
        image_lines=["web"],
        waves=[
            ReleaseWave(
                "canary", [Environment(account="222222222222", region="eu-west-1")], bake_time=Duration.hours(1)
            ),
            ReleaseWave(
                "early",
                [
                    Environment(account=account, region=region)
                    for account in ("333333333333", "444444444444")
                    for region in ("eu-west-1", "us-east-1")
                ],
                bake_time=Duration.hours(2),
            ),
            ReleaseWave(
                "production",
                [Environment(account="555555555555", region="eu-west-1")],
                bake_time=Duration.hours(3),
                approval=True,
                window_cron="* 8-16 ? * MON-THU *",
                window_time_zone="Europe/Paris",
            ),
        ],
    )
    # No StackDriftAlarm on the pipeline's stack: it has no read permissions for AWS::CodeBuild::Project (no
    # resource schema in the registry). The pipeline updates itself from git on every run (self-mutation).
    # On the app: the pipeline's stack, its cross-region support stack and every stage's stacks are checked.
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
