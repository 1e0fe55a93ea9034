"""ImmutableInfrastructureChecks: the immutable-infrastructure checklist as a CDK policy-validation plugin.

The plugin receives the synthesized templates once, parses each file once and runs every
rule in one Python pass; the CDK maps the logical ids it reports back to construct paths
and applies ``Validations.of(x).acknowledge(...)`` itself. Only a handful of jsii round
trips happen per synth (the stack list, the strict context key, the app's own metadata),
so the cost does not grow with the number of rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import jsii
from aws_cdk import IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport

from .._version import __version__
from ..errors import Problem, ValidationError
from ._acknowledgements import Acknowledgement, acknowledgements, check_acknowledgements
from ._assembly import stack_artifact
from ._finding import Finding, finding
from ._model import Compliance, Resource, Template
from ._report import plugin_report
from ._run_record import record_run
from .catalog import ACKNOWLEDGEMENT_RULE_IDS, PLUGIN_NAME, RULES, Rule

__all__ = ["PLUGIN_NAME", "STRICT_CONTEXT_KEY", "Finding", "ImmutableInfrastructureChecks"]

STRICT_CONTEXT_KEY = "immutable-constructs:strict"
DEFAULT_MIN_REASON_LENGTH = 20


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


@jsii.implements(IPolicyValidationPlugin)
class ImmutableInfrastructureChecks:
    """Fails synth when the immutable-infrastructure checklist is broken.

    Add it with ``Validations.of(app).add_plugins(ImmutableInfrastructureChecks())``.
    Findings land in ``cdk.out/validation-report.json`` against each L1 resource's
    construct path. Acknowledge one with ``Validations.of(construct).acknowledge(
    Acknowledgment(id="ImmutableInfrastructureChecks::<RULE-ID>", reason=...))``.

    :param strict: when True, warnings fail synth too (they are reported as errors).
        Default (None): the context key ``immutable-constructs:strict`` decides, and
        without it warnings are reported but do not fail synth.
    :param not_acknowledgeable: rule ids that no acknowledgement can suppress (reported as
        ``fatal``; an acknowledgement of one is itself reported as IMM-ACK2). Default
        (None): every rule can be acknowledged with a reason.
    :param min_reason_length: the shortest acknowledgement reason accepted; shorter ones are
        reported as IMM-ACK1 (fatal). Default (None): 20 characters.
    """

    def __init__(
        self,
        *,
        strict: bool | None = None,
        not_acknowledgeable: Sequence[str] | None = None,
        min_reason_length: int | None = None,
    ) -> None:
        known = {r.id for r in RULES}
        problems: list[Problem] = []
        locked = tuple(not_acknowledgeable or ())
        unknown = sorted(set(locked) - known)
        if unknown:
            problems.append(
                Problem(
                    "not_acknowledgeable",
                    unknown,
                    "these are not rule ids of the pack",
                    f"use ids from {sorted(known)}",
                )
            )
        minimum = DEFAULT_MIN_REASON_LENGTH if min_reason_length is None else min_reason_length
        if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 1:
            problems.append(
                Problem("min_reason_length", min_reason_length, "must be a positive integer", "pass e.g. 20")
            )
        if problems:
            raise ValidationError(PLUGIN_NAME, problems)
        self._strict = strict
        self._locked = frozenset(locked)
        self._min_reason_length = minimum
        self._by_type: dict[str, list[Rule]] = {}
        for r in RULES:
            for type_name in r.resource_types:
                self._by_type.setdefault(type_name, []).append(r)
        # Rules for every resource type ("*"), after the type's own rules.
        self._any_type = self._by_type.pop("*", [])
        for type_rules in self._by_type.values():
            type_rules.extend(self._any_type)

    # -- IPolicyValidationPlugin -------------------------------------------------------------

    @property
    def name(self) -> str:
        """``ImmutableInfrastructureChecks``: the plugin name in reports and acknowledgement ids."""
        return PLUGIN_NAME

    @property
    def rule_ids(self) -> list[str]:
        """Every rule id the pack reports, in catalog order, then the acknowledgement checks."""
        return [r.id for r in RULES] + list(ACKNOWLEDGEMENT_RULE_IDS)

    @property
    def version(self) -> str:
        return __version__

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        """Called by the CDK once per synth with every stack template of the app."""
        stack_templates = [s.template_path for s in context.stack_templates]
        strict = self._strict
        if strict is None:
            strict = _truthy(context.app_construct.node.try_get_context(STRICT_CONTEXT_KEY))
        findings: list[Finding] = []
        acknowledged: list[Acknowledgement] = []
        # (top-level template, logical id) -> construct paths: nested stacks' resources are in
        # their parent's metadata, and their logical ids are unique only per template.
        paths_by_logical_id: dict[tuple[str, str], list[str]] = {}
        family: dict[str, str] = {}
        for stack_template in stack_templates:
            metadata, nested = stack_artifact(stack_template)
            for template_path in (stack_template, *nested):
                family[template_path] = stack_template
                with open(template_path, encoding="utf-8") as handle:
                    body = json.load(handle)
                findings.extend(replace(f, template_path=template_path) for f in self.check_template(body))
            for path, entries in metadata.items():
                for entry in entries:
                    if entry.get("type") == "aws:cdk:logicalId" and isinstance(entry.get("data"), str):
                        paths_by_logical_id.setdefault((stack_template, entry["data"]), []).append(path)
                acknowledged.extend(acknowledgements(path, entries))
        acknowledged.extend(acknowledgements("", _app_metadata(context)))
        findings.extend(
            check_acknowledgements(
                findings,
                acknowledged,
                paths_by_logical_id,
                family,
                locked=self._locked,
                min_reason_length=self._min_reason_length,
            )
        )
        # Proof for `immutable-constructs report` that the pack ran, also when it found nothing.
        record_run(context.app_construct, plugin=PLUGIN_NAME, version=__version__, findings=len(findings))
        return plugin_report(findings, strict=strict, locked=self._locked)

    # -- plain Python --------------------------------------------------------------------------

    def check_template(self, body: Mapping[str, Any]) -> list[Finding]:
        """Every finding of every rule in one CloudFormation template (parsed JSON), in one pass.

        Pure Python: no jsii, no synth. Severities are the rules' own (not strict, no locks).
        """
        template = Template(body)
        findings: list[Finding] = []
        for logical_id, resource_body in template.resources.items():
            if not isinstance(resource_body, dict):
                continue
            rules = self._by_type.get(str(resource_body.get("Type")), self._any_type)
            resource = Resource(logical_id, resource_body)
            for r in rules:
                result = r.evaluate(resource, template)
                if result.compliance is not Compliance.NON_COMPLIANT:
                    continue
                findings.extend(finding(r, offence, template, logical_id) for offence in result.offences)
        return findings


def _app_metadata(context: IPolicyValidationContext) -> list[dict[str, Any]]:
    """Acknowledgements made on the app itself (not written into any stack's metadata)."""
    return [{"type": e.type, "data": e.data} for e in context.app_construct.node.metadata]
