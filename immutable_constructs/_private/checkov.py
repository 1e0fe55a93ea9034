"""Reasoned checkov skips recorded on the construct's own CloudFormation resource.

checkov reads ``Metadata.checkov.skip[{id, comment}]`` on a resource; the comment is the
reason and shows up in checkov's report as a skipped check, so a skip stays reviewable.
"""

from __future__ import annotations

from aws_cdk import CfnResource


def skip_checkov(resource: CfnResource, check_id: str, reason: str) -> None:
    """Skip checkov check ``check_id`` on ``resource`` with ``reason`` (kept next to earlier skips)."""
    metadata = resource.get_metadata("checkov") or {}
    skips = [s for s in metadata.get("skip", []) if s.get("id") != check_id]
    skips.append({"id": check_id, "comment": reason})
    resource.add_metadata("checkov", {**metadata, "skip": skips})
