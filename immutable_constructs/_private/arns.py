"""ARNs the constructs build, each in one place.

Every function formats with the stack's partition, region and account (``Stack.format_arn``),
so an environment-agnostic stack gets ``AWS::Partition``/``AWS::Region``/``AWS::AccountId``
references and a stack with an explicit environment gets literals.
"""

from __future__ import annotations

from aws_cdk import Stack
from constructs import IConstruct


def ec2_arn(scope: IConstruct, resource: str, name: str = "*") -> str:
    """``arn:<partition>:ec2:<region>:<account>:<resource>/<name>`` in the stack of ``scope``."""
    return Stack.of(scope).format_arn(service="ec2", resource=resource, resource_name=name)


def instance_arn(scope: IConstruct) -> str:
    """Every EC2 instance of the stack's account and region (the instance ids of a group are not known in advance)."""
    return ec2_arn(scope, "instance")
