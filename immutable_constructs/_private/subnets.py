"""Resolve an ``ec2.SubnetSelection`` against a VPC (jsii's ``select_subnets`` takes keywords, not the struct)."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2


def select(vpc: ec2.IVpc, selection: ec2.SubnetSelection) -> ec2.SelectedSubnets:
    """The subnets of ``vpc`` that ``selection`` names, every field of the selection honoured."""
    return vpc.select_subnets(
        subnet_type=selection.subnet_type,
        subnet_group_name=selection.subnet_group_name,
        subnets=selection.subnets,
        availability_zones=selection.availability_zones,
        one_per_az=selection.one_per_az,
        subnet_filters=selection.subnet_filters,
    )
