"""A finding of the pack, structured from the rule to the SARIF log.

The CDK's validation report keeps a violation's ``ruleName``, ``description``, ``fix``
(``suggestedFix`` in the file), ``severity``, ``ruleMetadata`` (string to string) and the
violating resources (construct path, logical id, property paths). A finding fills the first
five from its own fields: the human sentences ``cdk synth`` prints go to ``description`` and
``fix``; the rule's title, its generic fix and its documentation link go to ``ruleMetadata``
(:data:`METADATA_KEYS`), which ``cdk synth`` does not print and ``immutable-constructs report``
reads back for SARIF instead of parsing the sentences. Plain Python: no aws_cdk import (the
report command reads these keys without Node).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from ._model import Offence, Template
from .catalog import AcknowledgementRule, Rule, Severity, docs_url

__all__ = [
    "DOCUMENTATION",
    "FIX",
    "METADATA_KEYS",
    "RULE_SEVERITY",
    "TITLE",
    "Finding",
    "about_acknowledgement",
    "finding",
    "metadata_text",
    "rule_metadata",
    "shown",
]

#: ``ruleMetadata`` keys: the rule's documentation URL (absolute, this release's docs/rules.md section).
DOCUMENTATION = "documentation"
#: The rule's own severity, before strict mode or ``not_acknowledgeable`` changed what is reported.
RULE_SEVERITY = "ruleSeverity"
#: The rule's title (``Ingress reaches SSH (22) or RDP (3389)``): SARIF's short description.
TITLE = "title"
#: The rule's generic fix (a finding's own ``fix`` may name the user's parameter): SARIF's help.
FIX = "fix"
METADATA_KEYS = (DOCUMENTATION, RULE_SEVERITY, TITLE, FIX)

_MAX_VALUE = 200


@dataclass(frozen=True)
class Finding:
    """One finding of the pack: what is wrong, where, how to fix it and where it is documented.

    ``severity`` is the rule's own; the plugin's report raises it where configured
    (``FATAL`` for a rule that is not acknowledgeable, ``ERROR`` for a warning in strict
    mode). A :class:`Severity` equals its string (``finding.severity == "warning"``).
    ``message`` is the whole sentence (``<title>: <property> = <value>: <what is wrong>.``),
    ``fix`` what to do for this finding (without the link), ``docs_url`` the rule's section
    of docs/rules.md. ``location`` is the property path relative to the resource
    (``Properties.KeyName``); findings about acknowledgements have a ``construct_path`` instead.
    """

    rule_id: str
    severity: Severity
    message: str
    fix: str
    location: str | None
    logical_id: str | None = None
    template_path: str | None = None
    construct_path: str | None = None
    title: str = ""
    docs_url: str = ""

    def __post_init__(self) -> None:
        severity: object = self.severity
        if not isinstance(severity, Severity):  # "error", "warning", "fatal" as strings too
            object.__setattr__(self, "severity", Severity(str(severity)))

    @property
    def suggested_fix(self) -> str:
        """The fix as ``cdk synth`` prints it: what to do, then the link to the rule's section."""
        return f"{self.fix} See {self.docs_url}" if self.docs_url else self.fix


def rule_metadata(rule: Rule | AcknowledgementRule) -> dict[str, str]:
    """A violation's ``ruleMetadata``: the rule's documentation URL, own severity, title and generic fix."""
    return {DOCUMENTATION: rule.docs, RULE_SEVERITY: rule.severity.value, TITLE: rule.title, FIX: rule.fix}


def shown(value: object, template: Template | None = None) -> str:
    """A short, human rendering of a template value: the SSM parameter behind a generated
    template parameter, a shortened logical id, JSON (never a Python repr), at most _MAX_VALUE."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("Ref"), str):
        ref = value["Ref"]
        parameter = template.parameters.get(ref) if template is not None else None
        if parameter and isinstance(parameter.get("Default"), str) and "SSM" in str(parameter.get("Type", "")):
            return f"SSM parameter {parameter['Default']}"
        return f"Ref {ref if len(ref) <= 40 else ref[:37] + '...'}"
    rendered = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return rendered if len(rendered) <= _MAX_VALUE else rendered[: _MAX_VALUE - 3] + "..."


def finding(rule: Rule, offence: Offence, template: Template, logical_id: str) -> Finding:
    """The finding of ``rule`` for one offending property of the resource ``logical_id``."""
    if offence.value is None:
        message = f"{rule.title}: {offence.path} is not set: {offence.detail}."
    else:
        message = f"{rule.title}: {offence.path} = {shown(offence.value, template)}: {offence.detail}."
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        message=message,
        fix=offence.fix or rule.fix,
        location=offence.path,
        logical_id=logical_id,
        title=rule.title,
        docs_url=rule.docs,
    )


def about_acknowledgement(
    rule: AcknowledgementRule, message: str, construct_path: str | None, *, fix: str | None = None
) -> Finding:
    """A finding about an acknowledgement (IMM-ACK*), reported on the acknowledging construct.

    Its ``docs_url`` is the section on acknowledging findings, which the fix points at."""
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        message=message,
        fix=fix or rule.fix,
        location=None,
        construct_path=construct_path,
        title=rule.title,
        docs_url=docs_url("acknowledging-a-finding"),
    )


def metadata_text(metadata: Mapping[str, object] | None, key: str) -> str:
    """A non-empty string field of a violation's ``ruleMetadata``, else ``""``."""
    value = (metadata or {}).get(key)
    return " ".join(value.split()) if isinstance(value, str) else ""
