"""Pattern: an Auto Scaling group behind a Classic Load Balancer (aws-cdk-examples' "classic-load-balancer")."""

from aws_cdk import App, Stack
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancing as elb

ORIGIN = {
    "kind": "pattern",
    "repo": "aws-samples/aws-cdk-examples",
    "path": "python/classic-load-balancer/app.py",
    "commit": "269e792cb9de5fc98a076586ad5aed175905425c",
}


def build(app: App) -> None:
    stack = Stack(app, "ClbAsg")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2)
    group = autoscaling.AutoScalingGroup(stack, "Web", vpc=vpc, instance_type=ec2.InstanceType("t3.micro"),
                                         machine_image=ec2.MachineImage.latest_amazon_linux2())  # fmt: skip
    balancer = elb.LoadBalancer(stack, "Clb", vpc=vpc, internet_facing=True, health_check=elb.HealthCheck(port=80))
    balancer.add_target(group)
    balancer.add_listener(external_port=80).connections.allow_default_port_from_any_ipv4("the world")
