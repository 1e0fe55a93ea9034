"""The pack's checks of acknowledgements themselves (IMM-ACK1..3): ids, severities, titles, fixes."""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import Severity, docs_url

__all__ = [
    "ACKNOWLEDGEMENT_RULES",
    "ACKNOWLEDGEMENT_RULE_IDS",
    "ACK_NOT_ALLOWED",
    "ACK_REASON_TOO_SHORT",
    "ACK_STALE",
    "AcknowledgementRule",
]


@dataclass(frozen=True)
class AcknowledgementRule:
    """A check of the acknowledgements themselves (reported on the acknowledging construct,
    not on a resource): its stable id, severity, title and generic fix."""

    id: str
    severity: Severity
    title: str
    fix: str

    @property
    def docs(self) -> str:
        """The absolute, versioned URL of the rule's section of docs/rules.md."""
        return docs_url(self.id)


#: Findings about acknowledgements themselves (not about resources).
ACK_REASON_TOO_SHORT = "IMM-ACK1"
ACK_NOT_ALLOWED = "IMM-ACK2"
ACK_STALE = "IMM-ACK3"
ACKNOWLEDGEMENT_RULES: tuple[AcknowledgementRule, ...] = (
    AcknowledgementRule(
        ACK_REASON_TOO_SHORT,
        Severity.FATAL,
        "Acknowledgement reason too short",
        "Say why the finding is acceptable here.",
    ),
    AcknowledgementRule(
        ACK_NOT_ALLOWED,
        Severity.FATAL,
        "Acknowledgement of a rule that is not acknowledgeable",
        "Fix the finding instead.",
    ),
    AcknowledgementRule(
        ACK_STALE,
        Severity.WARNING,
        "Acknowledgement that matches no finding",
        "Remove it, or fix its rule id or construct path.",
    ),
)
ACKNOWLEDGEMENT_RULE_IDS = tuple(r.id for r in ACKNOWLEDGEMENT_RULES)
