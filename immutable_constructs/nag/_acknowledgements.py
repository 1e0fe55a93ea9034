"""The pack's checks of the acknowledgements themselves (IMM-ACK1, IMM-ACK2, IMM-ACK3).

Plain Python, no jsii: the acknowledgements are read from the construct metadata the CDK
writes into the cloud assembly (and from the app's own metadata).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._ack_rules import ACK_NOT_ALLOWED, ACK_REASON_TOO_SHORT, ACK_STALE, ACKNOWLEDGEMENT_RULES
from ._finding import Finding, about_acknowledgement
from .catalog import PLUGIN_NAME

__all__ = ["ACK_METADATA", "ACK_PREFIX", "Acknowledgement", "acknowledgements", "check_acknowledgements"]

ACK_PREFIX = f"{PLUGIN_NAME}::"
#: The construct metadata entry the CDK writes for ``Validations.of(x).acknowledge(...)``.
ACK_METADATA = "aws:cdk:acknowledged-rules"
#: A rule id of this pack (IMM-SSH1) acknowledged without the plugin prefix.
_BARE_ID = re.compile(r"(?:Annotation::)?IMM-[A-Z]+[0-9]+")
_CHECKS = {r.id: r for r in ACKNOWLEDGEMENT_RULES}


@dataclass(frozen=True)
class Acknowledgement:
    """One acknowledgement of one of the pack's rules, where it was made."""

    path: str  # construct path without the leading slash; "" for the app
    rule_id: str
    reason: str
    bare: bool = False  # written without the plugin prefix: the CDK never matches it to a finding


def acknowledgements(path: str, entries: Iterable[Mapping[str, Any]]) -> list[Acknowledgement]:
    """The acknowledgements of this pack's rules among the metadata ``entries`` of the construct at ``path``."""
    found: list[Acknowledgement] = []
    for entry in entries:
        data = entry.get("data")
        if entry.get("type") != ACK_METADATA or not isinstance(data, dict):
            continue
        for ack_id, reason in data.items():
            if isinstance(ack_id, str) and ack_id.startswith(ACK_PREFIX):
                found.append(Acknowledgement(path, ack_id[len(ACK_PREFIX) :], str(reason or "")))
            elif isinstance(ack_id, str) and _BARE_ID.fullmatch(ack_id.strip()):
                # The CDK files an id without "<plugin>::" under "Annotation::" (a warning's id).
                rule_id = ack_id.strip().rsplit("::", 1)[-1]
                found.append(Acknowledgement(path, rule_id, str(reason or ""), bare=True))
    return found


def check_acknowledgements(
    findings: Iterable[Finding],
    acknowledged: Iterable[Acknowledgement],
    paths_by_logical_id: Mapping[tuple[str, str], list[str]],
    family: Mapping[str, str],
    *,
    locked: frozenset[str],
    min_reason_length: int,
) -> list[Finding]:
    """The findings about ``acknowledged``: without the plugin prefix or stale (IMM-ACK3), of a
    rule in ``locked`` (IMM-ACK2), with a reason shorter than ``min_reason_length`` (IMM-ACK1).

    ``paths_by_logical_id`` maps (top-level template, logical id) to construct paths and
    ``family`` each template to its top-level one (nested stacks' logical ids are unique only
    per template).
    """
    found: dict[str, list[str]] = {}
    for f in findings:
        top = family.get(f.template_path or "", "")
        found.setdefault(f.rule_id, []).extend(paths_by_logical_id.get((top, f.logical_id or ""), []))
        if f.construct_path:  # reported on a construct (IMM-FAIL1), not on a resource
            found[f.rule_id].append(f.construct_path)
    short, not_allowed, stale = _CHECKS[ACK_REASON_TOO_SHORT], _CHECKS[ACK_NOT_ALLOWED], _CHECKS[ACK_STALE]
    problems: list[Finding] = []
    for ack in acknowledged:
        where = ack.path or None
        shown = f'"{ACK_PREFIX}{ack.rule_id}" at {ack.path or "the app"}'
        if ack.bare:
            problems.append(
                about_acknowledgement(
                    stale,
                    f'Acknowledgement without the plugin prefix: "{ack.rule_id}" at {ack.path or "the app"} '
                    f"never matches a finding (the CDK compares the whole id).",
                    where,
                    fix=f'Acknowledge Acknowledgment(id="{ACK_PREFIX}{ack.rule_id}", reason=...).',
                )
            )
            continue
        if ack.rule_id in locked:
            problems.append(
                about_acknowledgement(
                    not_allowed,
                    f"Acknowledgement of a rule that is not acknowledgeable: {shown}.",
                    where,
                    fix=f"Fix the finding; the platform team made {ack.rule_id} not acknowledgeable.",
                )
            )
            continue
        if len(ack.reason.strip()) < min_reason_length:
            problems.append(
                about_acknowledgement(
                    short,
                    f"Acknowledgement reason too short: {shown} gives {ack.reason!r} "
                    f"({len(ack.reason.strip())} characters, at least {min_reason_length} needed).",
                    where,
                )
            )
        prefix = ack.path + "/"
        paths = found.get(ack.rule_id, [])
        if not any(ack.path == "" or p == ack.path or p.startswith(prefix) for p in paths):
            problems.append(
                about_acknowledgement(
                    stale,
                    f"Stale acknowledgement: {shown} matches no finding.",
                    where,
                    fix="Remove the acknowledgement (or fix its rule id or construct).",
                )
            )
    return problems
