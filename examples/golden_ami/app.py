"""Golden AMIs end to end: an Image Builder pipeline publishes to an AMI catalog, promotion
moves tested and scanned images to ``stable``, and a fleet runs a pinned ``stable`` version.

``cdk deploy -c images.web.stable=N`` releases version N of ``/images/web/stable``; deploying
the previous N again rolls back. AwsSolutionsChecks runs over the whole app.
"""

from pathlib import Path

from aws_cdk import App, Environment, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from cdk_nag import AwsSolutionsChecks

from immutable_constructs import (
    AmiCatalog,
    FleetHealthCheck,
    GoldenImagePipeline,
    ImageComponent,
    ImmutableFleet,
    ParentImage,
)

COMPONENTS = Path(__file__).resolve().parent / "components"


def build(app: App) -> Stack:
    stack = Stack(app, "GoldenAmi", env=Environment(region="us-east-1"))
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=1,
        flow_logs={"All": ec2.FlowLogOptions(traffic_type=ec2.FlowLogTrafficType.ALL)},
    )
    catalog = AmiCatalog(stack, "Images", lines=["web"])
    GoldenImagePipeline(
        stack,
        "WebImage",
        catalog=catalog,
        image_line="web",
        vpc=vpc,
        parent_image=ParentImage.ssm_parameter("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"),
        components=[
            ImageComponent.aws_managed("update-linux", "1.0.2"),
            ImageComponent.from_file(COMPONENTS / "web-server.yaml"),
        ],
        version="1.0",
        source_revision=str(app.node.try_get_context("source_revision") or "local"),
        severity_threshold="HIGH",
        max_findings=0,
    )
    # Scaling events (every replacement) go to an encrypted topic Auto Scaling may publish to.
    key = kms.Key(stack, "FleetEventsKey", enable_key_rotation=True)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            principals=[
                iam.ArnPrincipal(
                    f"arn:{stack.partition}:iam::{stack.account}:role/aws-service-role/"
                    "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
                )
            ],
            resources=["*"],
        )
    )
    ImmutableFleet(
        stack,
        "Web",
        vpc=vpc,
        instance_type=ec2.InstanceType("t3.small"),
        machine_image=catalog.machine_image(
            "web", channel="stable", version=int(app.node.try_get_context("images.web.stable") or 1)
        ),
        health_check=FleetHealthCheck.http("http://localhost/"),
        notification_topic=sns.Topic(stack, "FleetEvents", master_key=key, enforce_ssl=True),
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
