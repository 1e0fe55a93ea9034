"""basti-cdk: the Basti bastion instance (Session Manager port forwarding) next to a database group."""

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2

ORIGIN = {
    "kind": "pypi",
    "package": "basti-cdk==1.2.0",
    "source": "https://github.com/basti-app/basti",
    "author": "Bohdan Petryshyn",
}


def build(app: App) -> None:
    from basti_cdk import BastiAccessSecurityGroup, BastiInstance

    stack = Stack(app, "Basti")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    bastion = BastiInstance(stack, "Bastion", vpc=vpc)
    database = ec2.SecurityGroup(stack, "Database", vpc=vpc)
    access = BastiAccessSecurityGroup(stack, "Access", vpc=vpc)
    database.add_ingress_rule(access, ec2.Port.tcp(5432))
    del bastion
