"""The target groups and the production listener rule of an ImmutableService's blue/green releases."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct


def build_routing(
    scope: Construct,
    vpc: ec2.IVpc,
    listener: elbv2.IApplicationListener,
    port: int,
    path: str,
    paths: Sequence[str],
    priority: int,
    blue: elbv2.IApplicationTargetGroup | None,
    green: elbv2.IApplicationTargetGroup | None,
) -> tuple[elbv2.IApplicationTargetGroup, elbv2.IApplicationTargetGroup, elbv2.ApplicationListenerRule]:
    """The primary (blue) and alternate (green) target groups ECS moves traffic between, and the rule."""
    health = elbv2.HealthCheck(path=path, healthy_threshold_count=2, interval=Duration.seconds(15))

    def new(id: str) -> elbv2.ApplicationTargetGroup:
        return elbv2.ApplicationTargetGroup(
            scope,
            id,
            vpc=vpc,
            port=port,
            target_type=elbv2.TargetType.IP,
            protocol=elbv2.ApplicationProtocol.HTTP,
            health_check=health,
            deregistration_delay=Duration.seconds(30),
        )

    blue = blue or new("Blue")
    green = green or new("Green")
    # Amazon ECS Developer Guide, "Application Load Balancer resources for blue/green deployments": the
    # production rule forwards to both target groups; ECS moves the weights (blue 100 / green 0 at rest).
    rule = elbv2.ApplicationListenerRule(
        scope,
        "ProductionRule",
        listener=listener,
        priority=priority,
        conditions=[elbv2.ListenerCondition.path_patterns(list(paths))],
        action=elbv2.ListenerAction.weighted_forward(
            [
                elbv2.WeightedTargetGroup(target_group=blue, weight=100),
                elbv2.WeightedTargetGroup(target_group=green, weight=0),
            ]
        ),
    )
    return blue, green, rule
