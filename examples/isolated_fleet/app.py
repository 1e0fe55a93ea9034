"""A fleet in a VPC with no internet egress, reachable only through logged Session Manager sessions.

No NAT gateway and no internet gateway route for the instances: the SSM agent reaches
Session Manager through VPC interface endpoints, which SessionManagerAccess creates
because the VPC has only isolated subnets (the CloudWatch agent's logs use its ``logs`` endpoint;
its metrics need the ``monitoring`` endpoint added here). The agent appends only the ``InstanceId``
dimension, which it reads from the instance metadata, so it needs no ``ec2`` endpoint (an EC2-tag
dimension such as the Auto Scaling group name would: rule IMM-DEP6 checks every API the agent calls
has an endpoint). New images roll out by instance refresh, which rolls back on the fleet's
unhealthy-host, 5xx and CPU alarms.
"""

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam

from immutable_constructs import FleetUpdate, ImmutableFleet, PinnedSsmImage, SessionManagerAccess, StackDriftAlarm


def build(app: App) -> Stack:
    stack = Stack(app, "IsolatedFleet")
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24)
        ],
    )
    fleet = ImmutableFleet(
        stack,
        "Workers",
        vpc=vpc,
        instance_type=ec2.InstanceType("m7g.large"),
        machine_image=PinnedSsmImage("/images/worker/stable", version=4),
        min_capacity=3,
        update=FleetUpdate.instance_refresh(checkpoint_percentages=[34, 100], checkpoint_delay=Duration.minutes(10)),
        max_instance_lifetime=Duration.days(7),
    )
    access = SessionManagerAccess(stack, "Sessions", vpc=vpc, idle_session_timeout=Duration.minutes(10))
    access.add_fleet(fleet)
    # The CloudWatch agent puts the fleet's metrics through the monitoring endpoint; without it the
    # fleet's AgentSilenceAlarm fires (docs/operations.md, "Logs and metrics"). HTTPS from the VPC only.
    monitoring_group = ec2.SecurityGroup(
        stack,
        "MonitoringEndpointSecurityGroup",
        vpc=vpc,
        description="CloudWatch metrics endpoint: HTTPS from the VPC",
        allow_all_outbound=False,
    )
    monitoring = vpc.add_interface_endpoint(
        "MonitoringEndpoint",
        service=ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
        private_dns_enabled=True,
        security_groups=[monitoring_group],
    )
    # Only this account's principals may use it: cloudwatch:PutMetricData names no resource, so the way out is a
    # host using another account's credentials (CloudWatch User Guide, "Using CloudWatch with interface VPC
    # endpoints", endpoint policies; IAM User Guide, aws:PrincipalAccount).
    monitoring.add_to_policy(
        iam.PolicyStatement(
            principals=[iam.AnyPrincipal()],
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringEquals": {"aws:PrincipalAccount": stack.account}},
        )
    )
    # people of this account, only with MFA (IAM User Guide, "Configuring MFA-protected API access")
    with_mfa = iam.AccountRootPrincipal().with_conditions({"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    on_call = iam.Role(stack, "OnCall", assumed_by=with_mfa)
    access.grant_start_session(on_call)
    StackDriftAlarm(stack, "Drift")  # daily drift detection on this stack, an alarm when it drifted
    return stack


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
