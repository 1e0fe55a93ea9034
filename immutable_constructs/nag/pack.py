"""ImmutableInfrastructureChecks: the immutable-infrastructure checklist as a CDK policy-validation plugin.

The plugin receives the synthesized templates once, parses each file once and runs every
rule in one Python pass; the CDK maps the logical ids it reports back to construct paths
and applies ``Validations.of(x).acknowledge(...)`` itself. Only a handful of jsii round
trips happen per synth (the stack list, the strict context key, the app's own metadata),
so the cost does not grow with the number of rules.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import jsii
from aws_cdk import (
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
)

from .._links import doc_url
from .._version import __version__
from ..errors import Problem, ValidationError
from ._model import Compliance, Offence, Resource, Template
from .catalog import (
    ACK_NOT_ALLOWED,
    ACK_REASON_TOO_SHORT,
    ACK_STALE,
    ACKNOWLEDGEMENT_RULE_IDS,
    DOCS_PATH,
    RULES,
    Rule,
    Severity,
)

__all__ = ["PLUGIN_NAME", "STRICT_CONTEXT_KEY", "Finding", "ImmutableInfrastructureChecks"]

PLUGIN_NAME = "ImmutableInfrastructureChecks"
STRICT_CONTEXT_KEY = "immutable-constructs:strict"
ACK_PREFIX = f"{PLUGIN_NAME}::"
ACK_METADATA = "aws:cdk:acknowledged-rules"
DEFAULT_MIN_REASON_LENGTH = 20

_FAILING = frozenset({"error", "fatal"})
#: A rule id of this pack (IMM-SSH1) acknowledged without the plugin prefix.
_BARE_ID = re.compile(r"(?:Annotation::)?IMM-[A-Z]+[0-9]+")
_MAX_VALUE = 200


@dataclass(frozen=True)
class Finding:
    """One finding of the pack: rule id, severity as reported, message, fix and where it is.

    ``severity`` is ``error``, ``warning`` or ``fatal`` (CDK never lets an acknowledgement
    suppress a fatal finding: used for rules the platform team made not acknowledgeable).
    ``location`` is the property path relative to the resource (``Properties.KeyName``).
    """

    rule_id: str
    severity: str
    message: str
    fix: str
    location: str | None
    logical_id: str | None = None
    template_path: str | None = None
    construct_path: str | None = None


@dataclass(frozen=True)
class _Acknowledgement:
    path: str  # construct path without the leading slash; "" for the app
    rule_id: str
    reason: str
    bare: bool = False  # written without the plugin prefix: the CDK never matches it to a finding


def _shown(value: object, template: Template | None = None) -> str:
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


def _message(rule: Rule, offence: Offence, template: Template) -> str:
    if offence.value is None:
        return f"{rule.title}: {offence.path} is not set: {offence.detail}."
    return f"{rule.title}: {offence.path} = {_shown(offence.value, template)}: {offence.detail}."


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
        acknowledgements: list[_Acknowledgement] = []
        # (top-level template, logical id) -> construct paths: nested stacks' resources are in
        # their parent's metadata, and their logical ids are unique only per template.
        paths_by_logical_id: dict[tuple[str, str], list[str]] = {}
        family: dict[str, str] = {}
        for stack_template in stack_templates:
            metadata, nested = _stack_artifact(stack_template)
            for template_path in (stack_template, *nested):
                family[template_path] = stack_template
                with open(template_path, encoding="utf-8") as handle:
                    body = json.load(handle)
                findings.extend(replace(f, template_path=template_path) for f in self.check_template(body))
            for path, entries in metadata.items():
                for entry in entries:
                    if entry.get("type") == "aws:cdk:logicalId" and isinstance(entry.get("data"), str):
                        paths_by_logical_id.setdefault((stack_template, entry["data"]), []).append(path)
                acknowledgements.extend(_acknowledgements(path, entries))
        acknowledgements.extend(_acknowledgements("", _app_metadata(context)))
        findings.extend(self._check_acknowledgements(findings, acknowledgements, paths_by_logical_id, family))
        return self._report(findings, strict=strict)

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
                for offence in result.offences:
                    findings.append(
                        Finding(
                            rule_id=r.id,
                            severity=r.severity.value,
                            message=_message(r, offence, template),
                            fix=f"{offence.fix or r.fix} See {r.docs}",
                            location=offence.path,
                            logical_id=logical_id,
                        )
                    )
        return findings

    def _check_acknowledgements(
        self,
        findings: Iterable[Finding],
        acknowledgements: Iterable[_Acknowledgement],
        paths_by_logical_id: Mapping[tuple[str, str], list[str]],
        family: Mapping[str, str],
    ) -> list[Finding]:
        found: dict[str, list[str]] = {}
        for f in findings:
            top = family.get(f.template_path or "", "")
            found.setdefault(f.rule_id, []).extend(paths_by_logical_id.get((top, f.logical_id or ""), []))
        problems: list[Finding] = []
        docs = doc_url(DOCS_PATH, "acknowledging-a-finding")
        for ack in acknowledgements:
            where = ack.path or None
            shown = f'"{ACK_PREFIX}{ack.rule_id}" at {ack.path or "the app"}'
            if ack.bare:
                problems.append(
                    Finding(
                        ACK_STALE,
                        "warning",
                        f'Acknowledgement without the plugin prefix: "{ack.rule_id}" at {ack.path or "the app"} '
                        f"never matches a finding (the CDK compares the whole id).",
                        f'Acknowledge Acknowledgment(id="{ACK_PREFIX}{ack.rule_id}", reason=...). See {docs}',
                        None,
                        construct_path=where,
                    )
                )
                continue
            if ack.rule_id in self._locked:
                problems.append(
                    Finding(
                        ACK_NOT_ALLOWED,
                        "fatal",
                        f"Acknowledgement of a rule that is not acknowledgeable: {shown}.",
                        f"Fix the finding; the platform team made {ack.rule_id} not acknowledgeable. See {docs}",
                        None,
                        construct_path=where,
                    )
                )
                continue
            if len(ack.reason.strip()) < self._min_reason_length:
                problems.append(
                    Finding(
                        ACK_REASON_TOO_SHORT,
                        "fatal",
                        f"Acknowledgement reason too short: {shown} gives {ack.reason!r} "
                        f"({len(ack.reason.strip())} characters, at least {self._min_reason_length} needed).",
                        f"Say why the finding is acceptable here. See {docs}",
                        None,
                        construct_path=where,
                    )
                )
            prefix = ack.path + "/"
            paths = found.get(ack.rule_id, [])
            if not any(ack.path == "" or p == ack.path or p.startswith(prefix) for p in paths):
                problems.append(
                    Finding(
                        ACK_STALE,
                        "warning",
                        f"Stale acknowledgement: {shown} matches no finding.",
                        f"Remove the acknowledgement (or fix its rule id or construct). See {docs}",
                        None,
                        construct_path=where,
                    )
                )
        return problems

    def _report(self, findings: Sequence[Finding], *, strict: bool) -> PolicyValidationPluginReport:
        violations: list[PolicyViolation] = []
        for f in findings:
            severity = f.severity
            if f.rule_id in self._locked:
                severity = "fatal"
            elif strict and severity == Severity.WARNING.value:
                severity = "error"
            if f.logical_id is not None:
                resource = PolicyViolatingResource(
                    locations=[f.location] if f.location else [],
                    resource_logical_id=f.logical_id,
                    template_path=f.template_path,
                )
            else:
                resource = PolicyViolatingResource(locations=[], construct_path=f.construct_path)
            violations.append(
                PolicyViolation(
                    rule_name=f.rule_id,
                    description=f.message,
                    fix=f.fix,
                    severity=severity,
                    violating_resources=[resource],
                    rule_metadata={"documentation": doc_url(DOCS_PATH, f.rule_id.lower()), "ruleSeverity": f.severity},
                )
            )
        success = not any(v.severity in _FAILING for v in violations)
        return PolicyValidationPluginReport(
            success=success,
            violations=violations,
            plugin_version=__version__,
            metadata={"strict": str(strict).lower(), "rules": str(len(RULES))},
        )


def _acknowledgements(path: str, entries: Iterable[Mapping[str, Any]]) -> list[_Acknowledgement]:
    found: list[_Acknowledgement] = []
    for entry in entries:
        data = entry.get("data")
        if entry.get("type") != ACK_METADATA or not isinstance(data, dict):
            continue
        for ack_id, reason in data.items():
            if isinstance(ack_id, str) and ack_id.startswith(ACK_PREFIX):
                found.append(_Acknowledgement(path, ack_id[len(ACK_PREFIX) :], str(reason or "")))
            elif isinstance(ack_id, str) and _BARE_ID.fullmatch(ack_id.strip()):
                # The CDK files an id without "<plugin>::" under "Annotation::" (a warning's id).
                rule_id = ack_id.strip().rsplit("::", 1)[-1]
                found.append(_Acknowledgement(path, rule_id, str(reason or ""), bare=True))
    return found


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _stack_artifact(template_path: str) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """The construct metadata the CDK wrote for the stack of ``template_path`` (path -> entries)
    and the templates of its nested stacks.

    Both sit next to the template: ``manifest.json`` names the stack's metadata file and its
    asset manifest, whose file assets include every ``*.nested.template.json``. Paths are
    returned without their leading slash, as construct paths are written elsewhere.
    """
    directory, file_name = os.path.split(template_path)
    manifest = _read_json(os.path.join(directory, "manifest.json")) or {}
    artifacts = manifest.get("artifacts") or {}
    for artifact in artifacts.values():
        if (artifact.get("properties") or {}).get("templateFile") != file_name:
            continue
        metadata = artifact.get("metadata")
        if metadata is None and artifact.get("additionalMetadataFile"):
            metadata = _read_json(os.path.join(directory, artifact["additionalMetadataFile"]))
        nested: list[str] = []
        for dependency in artifact.get("dependencies") or []:
            assets_file = (artifacts.get(dependency, {}).get("properties") or {}).get("file")
            assets = _read_json(os.path.join(directory, assets_file)) if assets_file else None
            for asset in ((assets or {}).get("files") or {}).values():
                source = str((asset.get("source") or {}).get("path", ""))
                if source.endswith(".nested.template.json"):
                    nested.append(os.path.join(directory, source))
        return {path.lstrip("/"): entries for path, entries in (metadata or {}).items()}, sorted(nested)
    return {}, []


def _app_metadata(context: IPolicyValidationContext) -> list[dict[str, Any]]:
    """Acknowledgements made on the app itself (not written into any stack's metadata)."""
    return [{"type": e.type, "data": e.data} for e in context.app_construct.node.metadata]
