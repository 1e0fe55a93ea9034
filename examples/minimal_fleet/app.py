"""The smallest useful immutable fleet: a VPC and a fleet pinned to an image version."""

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2

from immutable_constructs import FleetHealthCheck, ImmutableFleet, PinnedSsmImage


def build(app: App) -> Stack:
    stack = Stack(app, "MinimalFleet")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    ImmutableFleet(
        stack,
        "Web",
        vpc=vpc,
        instance_type=ec2.InstanceType("t3.small"),
        machine_image=PinnedSsmImage("/images/web/stable", version=17),
        health_check=FleetHealthCheck.http("http://localhost:8080/health"),
    )
    return stack


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
