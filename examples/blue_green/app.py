"""A fleet released by CodeDeploy blue/green behind an internal ALB, checked by AwsSolutionsChecks.

Release a new image by changing the pinned version, kept in git in this folder's ``cdk.json``
(``"images.orders.stable": 8``): a one-line pull request. A missing pin fails the synth.
The stack update starts a CodeDeploy deployment and waits for it; a failed deployment (or
one stopped by an alarm) is rolled back by CodeDeploy and then by CloudFormation.
"""

import sys

from aws_cdk import Acknowledgment, App, CfnResource, Duration, Environment, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from immutable_constructs import (
    AmiCatalog,
    BlueGreenFleet,
    FleetHealthCheck,
    SessionManagerAccess,
    StackDriftAlarm,
    ValidationError,
)

VPC_CIDR = "10.20.0.0/16"


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
    stack = Stack(app, "BlueGreenFleet", env=Environment(region="eu-west-1"))
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        ip_addresses=ec2.IpAddresses.cidr(VPC_CIDR),
        max_azs=2,
        nat_gateways=1,
        flow_logs=flow_logs(stack),
    )
    logs_bucket = s3.Bucket(
        stack,
        "AlbAccessLogs",
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        versioned=True,
    )
    Validations.of(logs_bucket).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-S1",
            reason="This bucket receives the ALB's access logs; logging its own access would need yet another bucket.",
        )
    )
    alb = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc, internet_facing=False, drop_invalid_header_fields=True)
    alb.log_access_logs(logs_bucket, prefix="alb")
    listener = alb.add_listener("Http", port=80, open=False)
    listener.connections.allow_default_port_from(ec2.Peer.ipv4(VPC_CIDR), "clients inside the VPC")
    # An internal example without a domain or certificate listens on HTTP; a real service adds an
    # HTTPS listener (ACM certificate). Recorded as reasoned checkov skips on the listener.
    cfn_listener = listener.node.default_child
    assert isinstance(cfn_listener, CfnResource)
    cfn_listener.add_metadata(
        "checkov",
        {
            "skip": [
                {"id": "CKV_AWS_2", "comment": "Internal HTTP listener: the example has no certificate."},
                {"id": "CKV_AWS_103", "comment": "No TLS policy applies to an HTTP listener."},
            ]
        },
    )
    target_group = listener.add_targets(
        "Orders",
        port=8080,
        protocol=elbv2.ApplicationProtocol.HTTP,
        health_check=elbv2.HealthCheck(path="/health", healthy_threshold_count=2, interval=Duration.seconds(10)),
        deregistration_delay=Duration.seconds(30),
    )
    latency = cloudwatch.Alarm(
        stack,
        "SlowOrders",
        metric=target_group.metrics.target_response_time(period=Duration.minutes(1), statistic="p99"),
        threshold=1.5,
        evaluation_periods=3,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description="p99 latency of the orders service above 1.5 s; rolls a release back",
    )
    orders = BlueGreenFleet(
        stack,
        "Orders",
        vpc=vpc,
        # /images/orders/stable at the version committed in cdk.json ("images.orders.stable").
        machine_image=AmiCatalog(stack, "Images", lines=["orders"]).machine_image("orders", channel="stable"),
        instance_type=ec2.InstanceType("t3.small"),
        target_group=target_group,
        health_check=FleetHealthCheck.http("http://localhost:8080/health"),
        deployment_config=codedeploy.ServerDeploymentConfig.HALF_AT_A_TIME,
        termination_wait=Duration.minutes(10),
        alarms=[latency],  # with the fleet's standard alarms (fleet.alarms), all roll a release back
        log_paths=["/var/log/orders/app.log"],  # shipped with the system and CodeDeploy agent logs
    )
    # Logged sessions are the only way in; a host someone opened one on is replaced afterwards
    # (reported unhealthy to whichever of the fleet's groups it is in).
    SessionManagerAccess(stack, "Sessions", vpc=vpc).add_fleet(orders)
    StackDriftAlarm(stack, "Drift")  # daily drift detection on this stack, an alarm when it drifted
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


if __name__ == "__main__":
    try:
        app = App()
        build(app)
        app.synth()
    except ValidationError as error:
        sys.exit(f"synth failed: {error}")
