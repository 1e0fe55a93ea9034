"""Names the pipeline's builders share: the severity scale, physical name prefixes (tag keys: ``_private/tags.py``)."""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum

from aws_cdk import Names
from constructs import Construct


class FindingSeverity(StrEnum):
    """Amazon Inspector finding severities, lowest first: the closed set ``severity_threshold`` takes.

    A ``StrEnum``: each member equals its string (``FindingSeverity.HIGH == "HIGH"``), so the
    strings keep working where a severity is expected.
    """

    INFORMATIONAL = "INFORMATIONAL"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


#: Inspector severities, lowest first (the promotion handler keeps its own copy: it ships alone).
SEVERITIES = tuple(FindingSeverity)


def physical_prefix(scope: Construct) -> str:
    """A stable, lower-case name prefix unique to this construct (Image Builder ARNs are lower-case)."""
    return Names.unique_resource_name(scope, max_length=48, separator="-").lower()


def component_id(scope: Construct, name: str) -> str:
    """``Component<PascalName>``; when two names pascal-case alike (``install-web``, ``install_web``), the
    later one gets a suffix from a hash of its name, so both keep stable ids (the first is unchanged)."""
    candidate = f"Component{_pascal(name)}"
    if scope.node.try_find_child(candidate) is None:
        return candidate
    return f"{candidate}{hashlib.sha256(name.encode()).hexdigest()[:8].upper()}"


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name) if part)
