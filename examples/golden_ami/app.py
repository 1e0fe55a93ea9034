"""Golden AMIs end to end, in two stacks deployed in order: ``GoldenAmiImages`` (an Image Builder
pipeline publishing to an AMI catalog; promotion moves tested and scanned images to ``stable``),
then ``GoldenAmi`` (a fleet running a pinned ``stable`` version).

The pin lives in git: ``"images.web.stable": N`` in this folder's ``cdk.json``. A pull request
that raises N releases version N of ``/images/web/stable``; one that lowers it rolls back
(``aws ssm get-parameter-history --name /images/web/stable`` lists the versions). A missing pin
fails the synth with one message. AwsSolutionsChecks runs over the whole app.
"""

import sys
from pathlib import Path

from aws_cdk import App, CfnResource, Environment, Stack, Validations
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
    SessionManagerAccess,
    StackDriftAlarm,
    ValidationError,
)

COMPONENTS = Path(__file__).resolve().parent / "components"


def flow_logs(stack: Stack) -> dict[str, ec2.FlowLogOptions]:
    """All traffic to CloudWatch Logs, delivered through a role only VPC Flow Logs of this account may assume.

    CDK's default flow-log role trusts ``vpc-flow-logs.amazonaws.com`` with no condition; the VPC User Guide
    ("IAM role for publishing flow logs to CloudWatch Logs") recommends ``aws:SourceAccount`` and
    ``aws:SourceArn`` (the flow log's ARN; its id is not known before it exists, hence ``vpc-flow-log/*``)
    against the confused deputy. The rule pack's IMM-PRIV3 reports the unconditioned trust.
    """
    role = stack.node.try_find_child("FlowLogRole")
    if not isinstance(role, iam.Role):
        role = iam.Role(
            stack,
            "FlowLogRole",
            assumed_by=iam.ServicePrincipal(
                "vpc-flow-logs.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(service="ec2", resource="vpc-flow-log", resource_name="*")
                    },
                },
            ),
        )
    destination = ec2.FlowLogDestination.to_cloud_watch_logs(iam_role=role)
    return {"All": ec2.FlowLogOptions(traffic_type=ec2.FlowLogTrafficType.ALL, destination=destination)}


def build(app: App) -> Stack:
    images = Stack(app, "GoldenAmiImages", env=Environment(region="us-east-1"))
    build_vpc = ec2.Vpc(
        images,
        "BuildVpc",
        max_azs=2,
        nat_gateways=1,
        flow_logs=flow_logs(images),
    )
    GoldenImagePipeline(
        images,
        "WebImage",
        catalog=AmiCatalog(images, "Images", lines=["web"]),
        image_line="web",
        vpc=build_vpc,
        parent_image=ParentImage.from_ssm_parameter(
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
        ),
        components=[
            ImageComponent.from_aws_managed("update-linux", "1.0.2"),
            ImageComponent.from_file(COMPONENTS / "web-server.yaml"),
        ],
        version="1.0",
        source_revision=str(app.node.try_get_context("source_revision") or "local"),
        severity_threshold="HIGH",
        max_findings=0,
    )

    stack = Stack(app, "GoldenAmi", env=Environment(region="us-east-1"))
    stack.node.add_dependency(images)  # deploy the images stack first
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=1,
        flow_logs=flow_logs(stack),
    )
    catalog = AmiCatalog(stack, "Images", lines=["web"])  # names and pins only: no resources
    # Scaling events (every replacement) go to an encrypted topic Auto Scaling may publish to.
    key = kms.Key(stack, "FleetEventsKey", enable_key_rotation=True)
    # The service-linked role may not exist yet (KMS rejects a policy naming a missing principal), so
    # match it by aws:PrincipalArn instead of naming it.
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
    key_resource = key.node.default_child
    assert isinstance(key_resource, CfnResource)
    key_resource.add_metadata(
        "checkov",
        {"skip": [{"id": "CKV_AWS_33", "comment": "Principal '*' narrowed to Auto Scaling's service-linked role."}]},
    )
    fleet = ImmutableFleet(
        stack,
        "Web",
        vpc=vpc,
        instance_type=ec2.InstanceType("t3.small"),
        machine_image=catalog.machine_image("web", channel="stable"),  # version: cdk.json
        health_check=FleetHealthCheck.http("http://localhost/"),
        notification_topic=sns.Topic(stack, "FleetEvents", master_key=key, enforce_ssl=True),
        # Shipped by the CloudWatch agent the pipeline installs (amazon-cloudwatch-agent-linux).
        log_paths=["/var/log/nginx/access.log", "/var/log/nginx/error.log"],
    )
    # Logged sessions are the only way in; a host someone opened one on is replaced afterwards.
    SessionManagerAccess(stack, "Sessions", vpc=vpc).add_fleet(fleet)
    for drifting in (images, stack):  # daily drift detection on each stack, an alarm when it drifted
        StackDriftAlarm(drifting, "Drift")
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


if __name__ == "__main__":
    try:
        app = App()
        build(app)
        app.synth()
    except ValidationError as error:
        sys.exit(f"synth failed: {error}")
