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
from aws_cdk import (
    IAspect,
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    Validations,
)
from constructs import IConstruct

from .._private.props import Rule as PropRule
from .._private.props import checked
from .._version import __version__
from ..errors import Problem, ValidationError
from ._ack_rules import ACKNOWLEDGEMENT_RULE_IDS
from ._acknowledgements import Acknowledgement, acknowledgements, check_acknowledgements
from ._assembly import StackArtifact, deployed_after, stack_artifacts
from ._finding import Finding, finding
from ._model import Compliance, Resource, Template
from ._report import plugin_report
from ._run_record import record_run
from .catalog import PLUGIN_NAME, RULES, Rule, rule
from .rules.predicted_failures import predictions

FAILURE = rule("IMM-FAIL1")

__all__ = ["PLUGIN_NAME", "STRICT_CONTEXT_KEY", "Finding", "ImmutableInfrastructureChecks"]

STRICT_CONTEXT_KEY = "immutable-constructs:strict"
DEFAULT_MIN_REASON_LENGTH = 20


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


@jsii.implements(IPolicyValidationPlugin, IAspect)
class ImmutableInfrastructureChecks:
    """Fails synth when the immutable-infrastructure checklist is broken.

    Add it with ``Validations.of(app).add_plugins(ImmutableInfrastructureChecks())`` (or, the
    cdk-nag 2 habit, ``Aspects.of(app).add(ImmutableInfrastructureChecks())``, which registers
    the plugin the same way).
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

    @checked(
        not_acknowledgeable=PropRule(blank=False, fix="list rule ids such as 'IMM-REP6', each once"),
        min_reason_length=PropRule(low=1, fix="pass e.g. 20"),
    )
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
        minimum = DEFAULT_MIN_REASON_LENGTH if min_reason_length is None else min_reason_length  # checked: >= 1
        if problems:
            raise ValidationError(PLUGIN_NAME, problems)
        self._strict = strict
        self._locked = frozenset(locked)
        self._min_reason_length = minimum
        self._registered: set[int] = set()
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
        artifacts = stack_artifacts([s.template_path for s in context.stack_templates])
        strict = self._strict
        if strict is None:
            strict = _truthy(context.app_construct.node.try_get_context(STRICT_CONTEXT_KEY))
        acknowledged: list[Acknowledgement] = []
        # (top-level template, logical id) -> construct paths: nested stacks' resources are in
        # their parent's metadata, and their logical ids are unique only per template.
        paths_by_logical_id: dict[tuple[str, str], list[str]] = {}
        family: dict[str, str] = {}
        bodies: dict[str, Mapping[str, Any]] = {}
        stacks: dict[str, tuple[str, Mapping[str, str]]] = {}
        images = frozenset(image for artifact in artifacts for image in artifact.images)
        findings: list[Finding] = []
        for artifact in artifacts:
            for template_path in (artifact.template_path, *artifact.nested):
                family[template_path] = artifact.template_path
                with open(template_path, encoding="utf-8") as handle:
                    bodies[template_path] = json.load(handle)
                stacks[template_path] = (artifact.name, artifact.assets)
            for path, entries in artifact.metadata.items():
                for entry in entries:
                    if entry.get("type") == "aws:cdk:logicalId" and isinstance(entry.get("data"), str):
                        paths_by_logical_id.setdefault((artifact.template_path, entry["data"]), []).append(path)
                acknowledged.extend(acknowledgements(path, entries))
                findings.extend(_predicted_failures(path, entries))
        after = deployed_after(artifacts)
        app: list[Template] = []
        for template_path, body in bodies.items():
            name, assets = stacks[template_path]
            after_name = after.get(name, frozenset())
            app.append(Template(body, assets=assets, app=app, stack=name, after=after_name, images=images))
        for template_path, template in zip(bodies, app, strict=True):
            findings.extend(replace(f, template_path=template_path) for f in self._check(template))
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

    # -- IAspect: Aspects.of(app).add(ImmutableInfrastructureChecks()), the cdk-nag 2 habit ---------

    def visit(self, node: IConstruct) -> None:
        """Registers the pack as a validation plugin of ``node``'s app (once per app).

        cdk-nag 3 packs are validation plugins (``Validations.of(app).add_plugins(...)``); an
        aspect only visits constructs. Added as an aspect, the pack adds itself as the plugin of
        the app the first time it visits a construct, so both ways check the whole app once.
        """
        root = node.node.root
        if id(root) in self._registered:
            return
        self._registered.add(id(root))
        Validations.of(root).add_plugins(self)

    # -- plain Python --------------------------------------------------------------------------

    def check_template(self, body: Mapping[str, Any]) -> list[Finding]:
        """Every finding of every rule in one CloudFormation template (parsed JSON), in one pass.

        Pure Python: no jsii, no synth. Severities are the rules' own (not strict, no locks).
        The rules about pairs see only this template (see :meth:`check_app`).
        """
        return self._check(Template(body))

    def check_app(
        self,
        templates: Mapping[str, Mapping[str, Any]],
        *,
        dependencies: Mapping[str, Sequence[str]] | None = None,
    ) -> list[Finding]:
        """Every finding in the templates of one app (stack name -> parsed template), judged together:
        the rules about pairs (IMM-DEP4, IMM-REP6) see every stack. ``dependencies``: stack name ->
        the stacks it is deployed after (directly). Each finding's ``template_path`` is its stack name."""
        direct = {name: list((dependencies or {}).get(name, ())) for name in templates}
        after = deployed_after([StackArtifact("", name, dependencies=deps) for name, deps in direct.items()])
        app: list[Template] = []
        for name, body in templates.items():
            app.append(Template(body, app=app, stack=name, after=after.get(name, frozenset())))
        return [replace(f, template_path=name) for name, t in zip(templates, app, strict=True) for f in self._check(t)]

    def _check(self, template: Template) -> list[Finding]:
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


def _predicted_failures(path: str, entries: list[dict[str, Any]]) -> list[Finding]:
    """IMM-FAIL1 for each failure a construct of the library predicted (its metadata)."""
    found: list[Finding] = []
    for warning_id, fails, message in predictions(entries):
        what = "the deploy fails" if fails == "deploy" else "every launch fails"
        found.append(
            Finding(
                rule_id=FAILURE.id,
                severity=FAILURE.severity,
                message=f"{FAILURE.title}: {what} ({warning_id}): {message}",
                fix=FAILURE.fix,
                location=None,
                construct_path=path,
                title=FAILURE.title,
                docs_url=FAILURE.docs,
            )
        )
    return found


def _app_metadata(context: IPolicyValidationContext) -> list[dict[str, Any]]:
    """Acknowledgements made on the app itself (not written into any stack's metadata)."""
    return [{"type": e.type, "data": e.data} for e in context.app_construct.node.metadata]
