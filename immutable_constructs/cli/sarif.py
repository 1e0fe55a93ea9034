"""A CDK validation report (``cdk.out/validation-report.json``) as SARIF 2.1.0, one run per plugin.

Our findings are read as the fields the pack wrote: each violation's ``ruleMetadata``
carries its rule's title, generic fix and documentation link (``nag/_finding.py``), so a
rule's descriptor never depends on how its sentences are worded (a report written before
it did is described from the installed catalog). Other packs' violations (AwsSolutions, the
CDK's CloudFormation validation) carry a description only: their title is its first
sentence, unless their ``ruleMetadata`` has a ``title`` too.

No aws_cdk import here: the ``immutable-constructs`` CLI runs without Node.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from .._links import REPOSITORY
from .._version import __version__
from ..nag._finding import DOCUMENTATION, FIX, TITLE, metadata_text
from ..nag.catalog import PLUGIN_NAME, describe, docs_url
from .sarif_sources import Locations, SourceMap, TemplateLines

__all__ = ["SARIF_SCHEMA", "FailOn", "Level", "failing", "summary", "to_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: The Python distribution of a plugin, for its run's version when the report has none.
_DISTRIBUTIONS = {"AwsSolutions": "cdk-nag", "CloudFormation Validate": "aws-cdk-lib"}
_INFORMATION = {
    PLUGIN_NAME: REPOSITORY,
    "AwsSolutions": "https://github.com/cdklabs/cdk-nag/blob/main/RULES.md",
    # aws-cdk-lib's built-in template validator (CloudFormationValidatePlugin, since 2.262).
    "CloudFormation Validate": "https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.CloudFormationValidatePlugin.html",
}


class Level(StrEnum):
    """A SARIF result level, from least to most severe."""

    NOTE = "note"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return list(Level).index(self)

    @staticmethod
    def of(severity: object) -> Level:
        """The level of a CDK violation severity: fatal and error are errors, info a note;
        a warning, a custom severity or anything else is a warning."""
        return _LEVELS.get(str(severity), Level.WARNING)


_LEVELS = {"fatal": Level.ERROR, "error": Level.ERROR, "warning": Level.WARNING, "info": Level.NOTE}


class FailOn(StrEnum):
    """``report --fail-on``: the least severe level of an unacknowledged finding that makes the
    command exit 1 (``none``: never)."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"
    NONE = "none"

    def fails(self, level: Level) -> bool:
        """Whether an unacknowledged finding at ``level`` fails the command."""
        return self is not FailOn.NONE and level.rank >= Level(self.value).rank


def _violations(plugin: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], bool]]:
    for violation in plugin.get("violations") or []:
        yield violation, False
    for violation in plugin.get("suppressedViolations") or []:
        yield violation, True


def _level(violation: Mapping[str, Any]) -> str:
    return Level.of(violation.get("severity", "error")).value


def _first_sentence(text: str) -> str:
    head = text.split(": ", 1)[0].split(". ", 1)[0].strip()
    return head[:120] or text[:120]


def _help_uri(name: str, rule_id: str, rule_metadata: Mapping[str, Any], docs_base: str | None) -> str | None:
    """The rule's documentation link: the one its violation carries (on ``docs_base`` instead of
    GitHub when given, for ours), else the plugin's rule list."""
    documentation = metadata_text(rule_metadata, DOCUMENTATION)
    if name == PLUGIN_NAME:
        anchor = urlsplit(documentation).fragment if documentation else rule_id
        return documentation if documentation and docs_base is None else docs_url(anchor, base=docs_base)
    if documentation.startswith("https://"):
        return documentation
    return _INFORMATION.get(name)


def _rule(name: str, rule_id: str, violation: Mapping[str, Any], docs_base: str | None) -> dict[str, Any]:
    """A SARIF reportingDescriptor with what GitHub requires (short and full description, help)."""
    rule_metadata = violation.get("ruleMetadata") or {}
    title, fix = metadata_text(rule_metadata, TITLE), metadata_text(rule_metadata, FIX)
    if not title and name == PLUGIN_NAME:  # a report written before violations carried their rule
        with contextlib.suppress(KeyError):
            known = describe(rule_id)
            title, fix = known.title, known.fix
    if title:  # the plugin said what its rule is (ours does, in ruleMetadata)
        short, full = title, f"{title}. {fix}" if fix else title
    else:  # a description is all there is (AwsSolutions)
        description = " ".join(str(violation.get("description") or rule_id).split())
        fix = " ".join(str(violation.get("suggestedFix") or "").split())
        short, full = _first_sentence(description), description
    help_text = fix or full
    rule: dict[str, Any] = {
        "id": rule_id,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": _level(violation)},
    }
    name_ = "".join(part.capitalize() for part in rule_id.replace("-", " ").replace("_", " ").split())
    if name_ != rule_id:  # SARIF1001: a rule's name must differ from its id
        rule["name"] = name_
    uri = _help_uri(name, rule_id, rule_metadata, docs_base)
    if uri is not None:
        rule["helpUri"] = uri
        if uri != _INFORMATION.get(name):  # the rule's own section, not the plugin's list
            label = f"{rule_id} in docs/rules.md" if name == PLUGIN_NAME else rule_id
            rule["help"]["markdown"] = f"{help_text} [{label}]({uri})"
    return rule


def _driver(name: str, version: object = None) -> dict[str, Any]:
    """A run's tool: the plugin's name, its version (from the report, else the installed
    distribution: SARIF2005 asks for one) and where it is documented."""
    driver: dict[str, Any] = {"name": name, "rules": []}
    if version:
        driver["version"] = str(version)
    elif name == PLUGIN_NAME:
        driver["version"] = __version__
    elif name in _DISTRIBUTIONS:
        with contextlib.suppress(metadata.PackageNotFoundError):  # metadata only: no cdk_nag import
            driver["version"] = metadata.version(_DISTRIBUTIONS[name])
    if name in _INFORMATION:
        driver["informationUri"] = _INFORMATION[name]
    return driver


def to_sarif(
    report: Mapping[str, Any],
    *,
    cdk_out: Path,
    app_file: str = "app.py",
    docs_url: str | None = None,
    plugins: Sequence[str] = (PLUGIN_NAME,),
    sources: SourceMap | None = None,
    root: Path | None = None,
) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run per plugin of a CDK validation report.

    The CDK leaves a plugin out of the report when it found nothing at all, so every plugin
    named in ``plugins`` that the report lacks gets an empty run: code scanning then sees a
    clean analysis for that tool and closes its earlier alerts instead of keeping them open.

    Each result points at the line of the user's own source that creates the construct
    (``sources``), else at ``app_file``; the construct path is its logical location and the
    synthesized template (line of the logical id) a related location.

    :param cdk_out: the cloud assembly directory.
    :param app_file: the file findings that cannot be mapped to a line point at.
    :param docs_url: where docs/rules.md is served; ``<docs_url>#<rule id>`` is then each of our rules'
        helpUri. Default (None): the link each finding carries, this release's file on GitHub.
    :param sources: where construct ids are looked up (default: none, every finding on ``app_file``).
    :param root: what artifact URIs are relative to (the repository root; default: the working directory).
    """
    base = (root or Path.cwd()).resolve()
    sources = sources or SourceMap(Path(os.devnull), Path(app_file))
    lines = TemplateLines(cdk_out)
    runs: list[dict[str, Any]] = []
    for plugin in report.get("pluginReports") or []:
        name = str(plugin.get("pluginName", "unknown"))
        rules: dict[str, dict[str, Any]] = {}
        results: list[dict[str, Any]] = []
        for violation, suppressed in _violations(plugin):
            rule_id = str(violation.get("ruleName", "unknown"))
            if rule_id not in rules:
                rules[rule_id] = _rule(name, rule_id, violation, docs_url)
            for construct in violation.get("violatingConstructs") or [{}]:
                results.append(
                    _result(
                        violation,
                        construct,
                        rule_id,
                        list(rules).index(rule_id),
                        suppressed,
                        Locations(lines, cdk_out, sources, base),
                    )
                )
        driver = _driver(name, plugin.get("pluginVersion"))
        driver["rules"] = list(rules.values())
        runs.append(
            {
                "tool": {"driver": driver},
                "results": results,
                "properties": {"conclusion": plugin.get("conclusion", "unknown")},
            }
        )
    reported = {run["tool"]["driver"]["name"] for run in runs}
    for name in dict.fromkeys(plugins):
        if name not in reported:
            runs.append({"tool": {"driver": _driver(name)}, "results": [], "properties": {"conclusion": "no findings"}})
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}


def _result(
    violation: Mapping[str, Any],
    construct: Mapping[str, Any],
    rule_id: str,
    rule_index: int,
    suppressed: bool,
    where: Locations,
) -> dict[str, Any]:
    construct_path = str(construct.get("constructPath") or "")
    resource = construct.get("cloudFormationResource") or {}
    text = " ".join(str(violation.get("description", rule_id)).split())
    if violation.get("suggestedFix"):
        text = f"{text} Fix: {violation['suggestedFix']}"
    if construct_path:
        text = f"{construct_path}: {text}"
    location: dict[str, Any] = {"physicalLocation": where.source(construct_path)}
    if construct_path:
        location["logicalLocations"] = [{"fullyQualifiedName": construct_path, "kind": "resource"}]
    paths = resource.get("propertyPaths") or []
    fingerprint = hashlib.sha256("|".join([rule_id, construct_path, *map(str, paths)]).encode()).hexdigest()
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "level": _level(violation),
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {"immutableConstructs/v1": fingerprint},
        "properties": {"severity": violation.get("severity", "error"), "propertyPaths": list(map(str, paths))},
    }
    template = where.template(resource)
    if template is not None:
        result["relatedLocations"] = [
            {"id": 1, "physicalLocation": template, "message": {"text": "the synthesized resource"}}
        ]
    if suppressed:
        result["suppressions"] = [
            {
                "kind": "inSource",
                "status": "accepted",
                "justification": str(violation.get("reason") or ""),
                "properties": {
                    "acknowledgedId": violation.get("acknowledgedId"),
                    "acknowledgedAt": violation.get("acknowledgedAt", ""),
                },
            }
        ]
    return result


def summary(log: Mapping[str, Any], out: TextIO) -> dict[str, int]:
    """Print one line per unacknowledged finding and a count per plugin; return counts by level
    (``error``, ``warning``, ``note``) and of ``suppressed`` findings."""
    counts = {"error": 0, "warning": 0, "note": 0, "suppressed": 0}
    for run in log["runs"]:
        name = run["tool"]["driver"]["name"]
        shown = {"error": 0, "warning": 0, "note": 0, "suppressed": 0}
        for result in run["results"]:
            if result.get("suppressions"):
                shown["suppressed"] += 1
                continue
            shown[result["level"]] += 1
            out.write(f"{result['level'].upper():8} {result['ruleId']:14} {result['message']['text']}\n")
        for key, value in shown.items():
            counts[key] += value
        out.write(
            f"{name}: {shown['error']} errors, {shown['warning']} warnings, {shown['note']} notes, "
            f"{shown['suppressed']} acknowledged\n"
        )
    return counts


def failing(counts: Mapping[str, int], fail_on: FailOn) -> int:
    """How many unacknowledged findings of ``counts`` (from :func:`summary`) are at ``fail_on`` or worse."""
    return sum(counts.get(level.value, 0) for level in Level if fail_on.fails(level))
