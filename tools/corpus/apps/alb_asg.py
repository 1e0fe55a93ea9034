"""Pattern: an Auto Scaling group behind an internet-facing ALB, scaled on request count
(aws-cdk-examples' "application-load-balancer")."""

from aws_cdk import App, Stack
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "python/application-load-balancer/app.py",
    "commit": "29b1fc7da25917172db2777a9d6743819c81e410",
}


def build(app: App) -> None:
    stack = Stack(app, "AlbAsg")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2)
    group = autoscaling.AutoScalingGroup(stack, "Web", vpc=vpc, instance_type=ec2.InstanceType("t3.micro"),
                                         machine_image=ec2.MachineImage.latest_amazon_linux2023())  # fmt: skip
    balancer = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc, internet_facing=True)
    listener = balancer.add_listener("Http", port=80)
    listener.add_targets("Web", port=80, targets=[group])
    listener.connections.allow_default_port_from_any_ipv4("the world")
    group.scale_on_request_count("Load", target_requests_per_minute=60)
