"""The pack's findings as the CDK's policy-validation report (``validation-report.json``).

Each finding becomes one violation: ``description`` and ``fix`` are the sentences
``cdk synth`` prints; the rule's title, generic fix and documentation link travel as
``ruleMetadata`` fields (see ``_finding``), which ``immutable-constructs report`` reads back.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import PolicyValidationPluginReport, PolicyViolatingResource, PolicyViolation

from .._version import __version__
from ._finding import Finding, rule_metadata
from .catalog import RULES, describe

__all__ = ["plugin_report", "violation"]


def violation(finding: Finding, *, strict: bool, locked: frozenset[str]) -> PolicyViolation:
    """One finding as a violation, with the severity it is reported with (strict mode, locked rules)."""
    severity = finding.severity.reported(strict=strict, locked=finding.rule_id in locked)
    if finding.logical_id is not None:
        resource = PolicyViolatingResource(
            locations=[finding.location] if finding.location else [],
            resource_logical_id=finding.logical_id,
            template_path=finding.template_path,
        )
    else:
        resource = PolicyViolatingResource(locations=[], construct_path=finding.construct_path)
    return PolicyViolation(
        rule_name=finding.rule_id,
        description=finding.message,
        fix=finding.suggested_fix,
        severity=severity.value,
        violating_resources=[resource],
        rule_metadata=rule_metadata(describe(finding.rule_id)),
    )


def plugin_report(findings: Sequence[Finding], *, strict: bool, locked: frozenset[str]) -> PolicyValidationPluginReport:
    """The plugin's report: failure when any finding is reported with a severity that fails synth."""
    failing = False
    violations: list[PolicyViolation] = []
    for f in findings:
        failing = failing or f.severity.reported(strict=strict, locked=f.rule_id in locked).fails_synth
        violations.append(violation(f, strict=strict, locked=locked))
    return PolicyValidationPluginReport(
        success=not failing,
        violations=violations,
        plugin_version=__version__,
        metadata={"strict": str(strict).lower(), "rules": str(len(RULES))},
    )
