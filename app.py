#!/usr/bin/env python3
"""Reference architecture in two stacks, deployed in this order (docs/deploying.md):

1. ``ImmutableReferenceImages``: a build VPC, the AMI catalog (lines ``web`` and ``api``) and
   one golden image pipeline per line. The ``web`` image serves ``/health`` on port 8080 with
   nginx; the ``api`` image serves ``/health`` on port 8081 and contains the CodeDeploy agent
   that ``BlueGreenFleet`` needs. Images are built, tested, scanned and promoted to
   ``/images/<line>/stable`` at run time.
2. ``ImmutableReference``: a VPC, an internet-facing ALB, the web fleet (``ImmutableFleet``)
   and the API fleet (``BlueGreenFleet``, on ``/api/*``), both reachable only through Session
   Manager, pinned to promoted image versions. A host someone opened a session on is replaced
   an hour after the session ended (``SessionManagerAccess`` watches every fleet added).

Drift cannot survive: each stack has a ``StackDriftAlarm`` (daily CloudFormation drift detection,
an alarm to an encrypted SNS topic when the stack drifted); the service stack's topic also gets the
tainted-host alarms (a touched host not replaced in time, a failed run).

The pins live in git: ``cdk.json`` holds ``"images.web.stable": N`` and
``"images.api.stable": N`` under ``context``. Releasing an image is a one-line pull request
that raises N; rolling back is one that lowers it. A missing pin fails the synth with one
message naming the key and the file. ``aws ssm get-parameter-history --name
/images/web/stable`` lists the versions that exist. ``make synth`` synthesizes both stacks;
AwsSolutionsChecks and ImmutableInfrastructureChecks run at every synth.

Synthesizes offline: no AWS credentials and no context lookups. The region comes from the
context key ``region`` (default us-east-1); the AMIs are tagged with the context key
``source_revision`` (e.g. ``-c source_revision=$(git rev-parse HEAD)``, default ``local``).
"""

from __future__ import annotations

import sys
from typing import Any

from aws_cdk import Acknowledgment, App, CfnOutput, CfnResource, Duration, Environment, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from immutable_constructs import (
    AmiCatalog,
    BlueGreenFleet,
    FirstImage,
    FleetHealthCheck,
    GoldenImagePipeline,
    ImageComponent,
    ImmutableFleet,
    ParentImage,
    SessionManagerAccess,
    StackDriftAlarm,
    ValidationError,
)
from immutable_constructs.nag import ImmutableInfrastructureChecks

IMAGE_PARAMETER = "/images/web/stable"
IMAGE_VERSION_CONTEXT_KEY = "images.web.stable"
API_IMAGE_PARAMETER = "/images/api/stable"
API_IMAGE_VERSION_CONTEXT_KEY = "images.api.stable"
IMAGE_LINES = ["web", "api"]


def _acknowledge(scope: Construct, rule: str, reason: str) -> None:
    """Acknowledge an AwsSolutions rule on ``scope`` (and its children), recorded with its reason."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions::{rule}", reason=reason))


def _skip_checkov(scope: Construct, check: str, comment: str) -> None:
    """Record a checkov skip, with its reason, in the CloudFormation metadata of ``scope``'s L1 resource.

    For the load balancer the finding is on its security group (CKV_AWS_260), so the skip goes there.
    """
    target = scope.node.try_find_child("SecurityGroup") if check == "CKV_AWS_260" else scope
    resource = target.node.default_child if target is not None else None
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{scope.node.path}: no CloudFormation resource to record checkov skip {check} on")
    skips = resource.get_metadata("checkov") or {"skip": []}
    skips["skip"].append({"id": check, "comment": comment})
    resource.add_metadata("checkov", skips)


# --- golden images: pipelines -> catalog (the service stack pins catalog versions) ---------
WEB_PORT = 8080
API_PORT = 8081
HEALTH_PATH = "/health"


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


def nginx_site(port: int) -> str:
    """The shell command that makes nginx serve ``HEALTH_PATH`` (200 ok) and static files on ``port``."""
    lines = [
        "server {",
        f"    listen {port};",
        f"    location = {HEALTH_PATH} {{ access_log off; return 200 ok; }}",
        "    location / { root /usr/share/nginx/html; }",
        "}",
    ]
    quoted = " ".join(f"'{line}'" for line in lines)
    return f"printf '%s\\n' {quoted} > /etc/nginx/conf.d/immutable-app.conf && nginx -t"


def server_component(name: str, port: int, *, install: list[str], test: list[str]) -> dict[str, Any]:
    """An Image Builder component: nginx on ``port`` with ``HEALTH_PATH``, plus ``install``; its test
    phase checks, on the test instance, the exact URL the fleet's and the target group's checks use."""
    return {
        "name": name,
        "description": f"nginx on port {port} with {HEALTH_PATH}; configuration comes from parameters at boot.",
        "schemaVersion": 1.0,
        "phases": [
            {
                "name": "build",
                "steps": [
                    {
                        "name": "Install",
                        "action": "ExecuteBash",
                        "inputs": {
                            "commands": [
                                "dnf -y install nginx aws-cfn-bootstrap",
                                nginx_site(port),
                                "systemctl enable nginx",
                                *install,
                            ]
                        },
                    }
                ],
            },
            {
                "name": "test",
                "steps": [
                    {
                        "name": "Serves",
                        "action": "ExecuteBash",
                        "inputs": {
                            "commands": [
                                "systemctl start nginx",
                                f"curl -fsS http://localhost:{port}{HEALTH_PATH} > /dev/null",
                                *test,
                            ]
                        },
                    }
                ],
            },
        ],
    }


WEB_SERVER_COMPONENT = server_component("WebServer", WEB_PORT, install=[], test=[])

# nginx's own logs; each fleet's CloudWatch agent ships them (and the system logs) to the fleet's log
# group, one stream per instance and file, so nobody logs in to read them (docs/operations.md).
NGINX_LOGS = ["/var/log/nginx/access.log", "/var/log/nginx/error.log"]

# The CodeDeploy agent, installed as the CodeDeploy User Guide says ("Install the CodeDeploy agent
# for Amazon Linux or RHEL"): Ruby, then the installer from the region's CodeDeploy bucket.
CODEDEPLOY_AGENT_INSTALL = [
    "dnf -y install ruby wget",
    'TOKEN=$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")',
    'REGION=$(curl -fsS -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/placement/region)',
    'wget -q -O /tmp/codedeploy-install "https://aws-codedeploy-$REGION.s3.$REGION.amazonaws.com/latest/install"',
    "chmod +x /tmp/codedeploy-install && /tmp/codedeploy-install auto && rm -f /tmp/codedeploy-install",
    "systemctl enable codedeploy-agent",
]
API_SERVER_COMPONENT = server_component(
    "ApiServer",
    API_PORT,
    install=CODEDEPLOY_AGENT_INSTALL,
    test=["systemctl is-enabled codedeploy-agent", "systemctl start codedeploy-agent"],
)


class ReferenceImagesStack(Stack):
    """Deploy first: the build VPC, the AMI catalog (lines web and api) and a pipeline per line."""

    def __init__(self, scope: Construct, id: str, *, region: str = "us-east-1", source_revision: str = "local") -> None:
        super().__init__(
            scope, id, description="immutable-constructs reference architecture: images", env=Environment(region=region)
        )
        vpc = ec2.Vpc(
            self,
            "BuildVpc",
            max_azs=2,
            nat_gateways=1,
            flow_logs=flow_logs(self),
        )
        self.catalog = AmiCatalog(self, "Images", lines=IMAGE_LINES)
        parent = ParentImage.from_ssm_parameter("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
        pipelines = []
        for construct_id, line, name, component in (
            ("WebImage", "web", "web-server", WEB_SERVER_COMPONENT),
            ("ApiImage", "api", "api-server", API_SERVER_COMPONENT),
        ):
            pipeline = GoldenImagePipeline(
                self,
                construct_id,
                catalog=self.catalog,
                image_line=line,
                vpc=vpc,
                parent_image=parent,
                components=[
                    ImageComponent.from_aws_managed("update-linux", "1.0.2"),
                    ImageComponent.from_dict(name, component),
                ],
                source_revision=source_revision,
            )
            pipelines.append(pipeline)
        # A fresh account: this stack's deploy builds, tests, scans and promotes each line's first image
        # (turning on Amazon Inspector's EC2 scanning if it is off), so the service stack's pins
        # /images/<line>/stable:1 exist when it deploys. An account that has them skips this in seconds.
        FirstImage(self, "FirstImages", pipelines=pipelines)
        # Daily drift detection on this stack: a console change to a pipeline or the catalog alarms.
        StackDriftAlarm(self, "Drift")


class ReferenceStack(Stack):
    """Deploy second: VPC, internet-facing ALB, the web and API fleets pinned to promoted images.

    The versions come from the context keys ``images.web.stable`` and ``images.api.stable``
    (committed in cdk.json); ``image_version`` / ``api_image_version`` override them (tests).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        region: str = "us-east-1",
        image_version: int | None = None,
        api_image_version: int | None = None,
    ) -> None:
        # A region (ALB access logs need the region's ELB account) but no account: nothing is looked up.
        super().__init__(
            scope, id, description="immutable-constructs reference architecture", env=Environment(region=region)
        )

        vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=1,
            flow_logs=flow_logs(self),
        )

        # Names and pins only (an AmiCatalog creates no resources): the pipelines live in the images stack.
        images = AmiCatalog(self, "Images", lines=IMAGE_LINES)
        web_image = images.machine_image("web", channel="stable", version=image_version)
        api_image = images.machine_image("api", channel="stable", version=api_image_version)

        access_logs = s3.Bucket(
            self,
            "AlbAccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
        )
        _acknowledge(
            access_logs,
            "AwsSolutions-S1",
            "This bucket receives the ALB's access logs; logging its own access would need yet another bucket.",
        )

        alb = elbv2.ApplicationLoadBalancer(self, "Alb", vpc=vpc, internet_facing=True, drop_invalid_header_fields=True)
        alb.log_access_logs(access_logs, prefix="alb")
        _acknowledge(
            alb,
            "AwsSolutions-EC23",
            "The public entry point of the web tier accepts HTTP from the internet; the instances take "
            "ingress only from the ALB.",
        )
        listener = alb.add_listener("Http", port=80, open=True)
        # An offline reference app has no domain and no certificate, so it listens on HTTP. A real
        # deployment adds an HTTPS listener (ACM certificate) and redirects 80 to it.
        _skip_checkov(alb, "CKV_AWS_260", "The public web entry point listens on port 80 (no certificate offline).")
        _skip_checkov(listener, "CKV_AWS_2", "HTTP listener: the reference app has no domain or certificate.")
        _skip_checkov(listener, "CKV_AWS_103", "HTTP listener: no TLS policy applies without a certificate.")
        target_group = elbv2.ApplicationTargetGroup(
            self,
            "Web",
            vpc=vpc,
            port=WEB_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.INSTANCE,
            health_check=elbv2.HealthCheck(path=HEALTH_PATH, healthy_threshold_count=2, interval=Duration.seconds(10)),
            deregistration_delay=Duration.seconds(30),
        )
        listener.add_target_groups("Default", target_groups=[target_group])

        # Scaling events (every replacement) go to an encrypted, SSL-only topic. Auto Scaling
        # publishes with its service-linked role, which must be able to use the key. That role
        # appears with the account's first Auto Scaling group, possibly in this very deploy, and KMS
        # rejects a key policy naming a principal that does not exist (MalformedPolicyDocumentException),
        # so the statement names any principal and matches the role by aws:PrincipalArn at request time.
        topic_key = kms.Key(self, "FleetEventsKey", enable_key_rotation=True, description="Fleet scaling events")
        topic_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AutoScalingServiceLinkedRolePublishes",
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.AnyPrincipal()],
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:PrincipalAccount": self.account},
                    "ArnEquals": {
                        "aws:PrincipalArn": f"arn:{self.partition}:iam::{self.account}:role/aws-service-role/"
                        "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
                    },
                },
            )
        )
        _skip_checkov(
            topic_key,
            "CKV_AWS_33",
            "The principal '*' is narrowed by aws:PrincipalAccount and aws:PrincipalArn to EC2 Auto Scaling's "
            "service-linked role, which may not exist yet when the key is created.",
        )
        topic = sns.Topic(self, "FleetEvents", master_key=topic_key, enforce_ssl=True)

        fleet = ImmutableFleet(
            self,
            "WebFleet",
            vpc=vpc,
            machine_image=web_image,
            instance_type=ec2.InstanceType("t3.small"),
            min_capacity=2,
            max_capacity=4,
            health_check=FleetHealthCheck.http(f"http://localhost:{WEB_PORT}{HEALTH_PATH}"),
            target_groups=[target_group],
            notification_topic=topic,
            log_paths=NGINX_LOGS,
            dashboard=True,
        )
        access = SessionManagerAccess(self, "SessionAccess", vpc=vpc)
        access.add_fleet(fleet)
        operators = iam.Role(
            self,
            "Operators",
            # people of this account, and only with MFA (IAM User Guide, "Configuring MFA-protected API access":
            # aws:MultiFactorAuthPresent in the role's trust policy)
            assumed_by=iam.AccountRootPrincipal().with_conditions({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
            description="Operators who may open logged Session Manager sessions on the web fleet",
        )
        access.grant_start_session(operators, fleet=fleet)

        # The API tier is released by CodeDeploy blue/green: /api/* goes to its own target group,
        # which CodeDeploy moves from the old fleet to the new one when its image version changes.
        api_target_group = elbv2.ApplicationTargetGroup(
            self,
            "Api",
            vpc=vpc,
            port=API_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.INSTANCE,
            health_check=elbv2.HealthCheck(path=HEALTH_PATH, healthy_threshold_count=2, interval=Duration.seconds(10)),
            deregistration_delay=Duration.seconds(30),
        )
        listener.add_target_groups(
            "ApiRoute",
            target_groups=[api_target_group],
            priority=10,
            conditions=[elbv2.ListenerCondition.path_patterns(["/api/*"])],
        )
        api = BlueGreenFleet(
            self,
            "ApiFleet",
            vpc=vpc,
            machine_image=api_image,
            instance_type=ec2.InstanceType("t3.small"),
            target_group=api_target_group,
            min_capacity=2,
            max_capacity=4,
            health_check=FleetHealthCheck.http(f"http://localhost:{API_PORT}{HEALTH_PATH}"),
            log_paths=NGINX_LOGS,
        )
        access.add_fleet(api)
        # Daily drift detection on this stack. Its alarms, the fleets' and the tainted-host function's (a
        # touched host still serving after its grace period, a failed run) all notify the stack's one
        # encrypted alarm topic (AlarmTopic.of(self)): subscribe the on-call there.
        StackDriftAlarm(self, "Drift")
        CfnOutput(self, "ApiImageParameter", value=f"{API_IMAGE_PARAMETER}:{api_image.version}")

        CfnOutput(self, "Url", value=f"http://{alb.load_balancer_dns_name}/")
        CfnOutput(self, "ImageParameter", value=f"{IMAGE_PARAMETER}:{web_image.version}")


def build(app: App) -> ReferenceStack:
    """Add both stacks (images first) and the rule packs to ``app``; returns the service stack."""
    region = app.node.try_get_context("region") or "us-east-1"
    source_revision = str(app.node.try_get_context("source_revision") or "local")
    images = ReferenceImagesStack(app, "ImmutableReferenceImages", region=region, source_revision=source_revision)
    stack = ReferenceStack(app, "ImmutableReference", region=region)
    # `cdk deploy ImmutableReference` deploys (or confirms) the images stack first.
    stack.node.add_dependency(images)  # a stack-to-stack dependency (no deprecated Stack API)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ImmutableInfrastructureChecks())
    return stack


if __name__ == "__main__":
    try:
        app = App()
        build(app)
        app.synth()
    except ValidationError as error:
        # One message, no traceback: e.g. a missing image pin says which cdk.json key to add.
        sys.exit(f"synth failed: {error}")
