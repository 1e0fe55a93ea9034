"""A container service released like a fleet: every change is a new task definition revision, and ECS moves
production traffic to it by blue/green.

The web service's image is an image asset (built from ``web/`` at deploy, tagged by its content hash, so a
revision names exactly one image); ECS starts the new revision's tasks in the green target group, moves the
listener rule's traffic to them, keeps the old tasks for a 15-minute bake time, and rolls back when the
circuit breaker trips or an alarm goes off (the service's target 5XX, and a p99 latency alarm of its own).
The container's root file system is read-only, the database password comes from Secrets Manager, nobody can
open ECS Exec. The stack alarms on its own drift.
"""

from pathlib import Path

from aws_cdk import Acknowledgment, App, CfnResource, Duration, Environment, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from cdk_nag import AwsSolutionsChecks

from immutable_constructs import ImmutableService, StackDriftAlarm

WEB = Path(__file__).resolve().parent / "web"
VPC_CIDR = "10.30.0.0/16"


def build(app: App) -> Stack:
    stack = Stack(app, "ContainerService", env=Environment(region="eu-west-1"))
    vpc = ec2.Vpc(stack, "Vpc", ip_addresses=ec2.IpAddresses.cidr(VPC_CIDR), max_azs=2, nat_gateways=1,
                  flow_logs={"All": ec2.FlowLogOptions(traffic_type=ec2.FlowLogTrafficType.ALL,
                                                       destination=flow_log_destination(stack))})  # fmt: skip
    logs_bucket = s3.Bucket(stack, "AlbAccessLogs", encryption=s3.BucketEncryption.S3_MANAGED, versioned=True,
                            block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True)  # fmt: skip
    acknowledge(logs_bucket, "AwsSolutions-S1", "This bucket receives the ALB's access logs; logging its own "
                "access would need yet another bucket.")  # fmt: skip
    alb = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc, internet_facing=False, drop_invalid_header_fields=True)
    alb.log_access_logs(logs_bucket, prefix="alb")
    listener = alb.add_listener("Http", port=80, open=False, default_action=elbv2.ListenerAction.fixed_response(404))
    listener.connections.allow_default_port_from(ec2.Peer.ipv4(VPC_CIDR), "clients inside the VPC")
    cfn_listener = listener.node.default_child
    assert isinstance(cfn_listener, CfnResource)
    # An internal example without a domain or certificate listens on HTTP; a real service adds an HTTPS
    # listener (ACM certificate) and passes that one.
    cfn_listener.add_metadata("checkov", {"skip": [
        {"id": "CKV_AWS_2", "comment": "Internal HTTP listener: the example has no certificate."},
        {"id": "CKV_AWS_103", "comment": "No TLS policy applies to an HTTP listener."},
    ]})  # fmt: skip
    key = kms.Key(stack, "SecretsKey", enable_key_rotation=True, description="Encrypts the web service's secrets")
    database = secretsmanager.Secret(stack, "DatabasePassword", encryption_key=key)
    acknowledge(database, "AwsSolutions-SMG4", "The example's database is not part of it; its owner rotates "
                "the password with the database's own rotation function.")  # fmt: skip
    web = ImmutableService(
        stack,
        "Web",
        image=ecs.ContainerImage.from_asset(str(WEB)),  # pinned by its content hash; Docker runs at deploy only
        vpc=vpc,
        listener=listener,
        secrets={"DATABASE_PASSWORD": ecs.Secret.from_secrets_manager(database)},
        bake_time=Duration.minutes(15),
    )
    slow = cloudwatch.Alarm(
        stack, "SlowWeb", threshold=1.5, evaluation_periods=3,
        metric=web.target_group.metrics.target_response_time(period=Duration.minutes(1), statistic="p99"),
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,  # no requests is no reason to roll back
        alarm_description="p99 latency of the web service above 1.5 s; rolls a release back",
    )  # fmt: skip
    web.add_alarm(slow)
    StackDriftAlarm(stack, "Drift")  # daily drift detection on this stack, an alarm when it drifted
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack


def flow_log_destination(stack: Stack) -> ec2.FlowLogDestination:
    """CloudWatch Logs through a role only VPC Flow Logs of this account may assume (VPC User Guide, "IAM role
    for publishing flow logs to CloudWatch Logs": aws:SourceAccount and aws:SourceArn; IMM-PRIV3)."""
    source = stack.format_arn(service="ec2", resource="vpc-flow-log", resource_name="*")
    principal = iam.ServicePrincipal("vpc-flow-logs.amazonaws.com", conditions={
        "StringEquals": {"aws:SourceAccount": stack.account}, "ArnLike": {"aws:SourceArn": source}})  # fmt: skip
    return ec2.FlowLogDestination.to_cloud_watch_logs(iam_role=iam.Role(stack, "FlowLogRole", assumed_by=principal))


def acknowledge(scope: object, rule: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions::{rule}", reason=reason))  # type: ignore[arg-type]


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
