"""A service principal that only this account's resources may use (confused-deputy prevention).

Every role the library lets an AWS service assume trusts it with ``aws:SourceAccount`` and, where the
service sends one and its ARN is known, ``aws:SourceArn`` (IAM User Guide, "The confused deputy
problem"; each caller names the service's own page). The rule pack's IMM-PRIV3 reports a trust without.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam

__all__ = ["confined_principal"]


def confined_principal(service: str, stack: Stack, source_arn: str | None = None) -> iam.ServicePrincipal:
    """``service`` (``codedeploy.amazonaws.com``...) acting for ``stack``'s account, and for ``source_arn`` if given."""
    conditions: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": stack.account}}
    if source_arn is not None:
        conditions["ArnLike"] = {"aws:SourceArn": source_arn}
    return iam.ServicePrincipal(service, conditions=conditions)
