"""The smallest useful immutable fleet: a VPC, a fleet pinned to an image version, and the only door in.

SessionManagerAccess is that door (logged sessions, no SSH); a host someone opened a session on is
replaced an hour after the session ended (tainted-host replacement, on for every fleet added), and
the stack alarms when someone changes it outside CloudFormation (StackDriftAlarm).
"""

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2

from immutable_constructs import FleetHealthCheck, ImmutableFleet, PinnedSsmImage, SessionManagerAccess, StackDriftAlarm


def build(app: App) -> Stack:
    stack = Stack(app, "MinimalFleet")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    fleet = ImmutableFleet(
        stack,
        "Web",
        vpc=vpc,
        instance_type=ec2.InstanceType("t3.small"),
        machine_image=PinnedSsmImage("/images/web/stable", version=17),
        health_check=FleetHealthCheck.http("http://localhost:8080/health"),
    )
    SessionManagerAccess(stack, "Sessions", vpc=vpc).add_fleet(fleet)
    StackDriftAlarm(stack, "Drift")  # daily drift detection on this stack, an alarm when it drifted
    return stack


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
