"""``immutable-constructs``: turn ``cdk.out/validation-report.json`` into SARIF and a readable summary.

    immutable-constructs report cdk.out --sarif findings.sarif [--fail-on error]

Every plugin in the report is converted (ImmutableInfrastructureChecks, AwsSolutions, the
CDK's own CloudFormation validation...), one SARIF run per plugin. Acknowledged findings
are kept, marked as suppressed with the acknowledgement's reason, so GitHub code scanning
shows them as dismissed instead of losing them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from ._version import __version__
from .nag.catalog import DOCS_PATH
from .nag.pack import PLUGIN_NAME

__all__ = ["main", "to_sarif"]

REPORT_FILE = "validation-report.json"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"fatal": "error", "error": "error", "warning": "warning", "info": "note"}
_RANK = {"note": 0, "warning": 1, "error": 2}
_INFORMATION = {
    PLUGIN_NAME: "https://pypi.org/project/immutable-constructs/",
    "AwsSolutions": "https://github.com/cdklabs/cdk-nag/blob/main/RULES.md",
}


def _violations(plugin: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], bool]]:
    for violation in plugin.get("violations") or []:
        yield violation, False
    for violation in plugin.get("suppressedViolations") or []:
        yield violation, True


def _level(violation: Mapping[str, Any]) -> str:
    return _LEVELS.get(str(violation.get("severity", "error")), "warning")


class _Lines:
    """The line of each logical id in each template (so an alert points at the resource)."""

    def __init__(self, cdk_out: Path) -> None:
        self._cdk_out = cdk_out
        self._cache: dict[str, list[str]] = {}

    def line(self, template_path: str, logical_id: str) -> int | None:
        if template_path not in self._cache:
            try:
                self._cache[template_path] = (self._cdk_out / template_path).read_text(encoding="utf-8").splitlines()
            except OSError:
                self._cache[template_path] = []
        needle = f"{json.dumps(logical_id)}: {{"
        for number, text in enumerate(self._cache[template_path], start=1):
            if text.strip().startswith(needle):
                return number
        return None


def to_sarif(
    report: Mapping[str, Any],
    *,
    cdk_out: Path,
    app_file: str = "app.py",
    docs_url: str = DOCS_PATH,
    plugins: Sequence[str] = (PLUGIN_NAME,),
) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run per plugin of a CDK validation report.

    The CDK leaves a plugin out of the report when it found nothing at all, so every plugin
    named in ``plugins`` that the report lacks gets an empty run: code scanning then sees a
    clean analysis for that tool and closes its earlier alerts instead of keeping them open.

    :param cdk_out: the cloud assembly directory, as it should appear in artifact URIs
        (relative to the repository root, e.g. ``cdk.out``).
    :param app_file: the file findings without a template location point at.
    :param docs_url: where docs/rules.md is served; ``<docs_url>#<rule id>`` is each of our rules' helpUri.
    """
    lines = _Lines(cdk_out)
    runs: list[dict[str, Any]] = []
    for plugin in report.get("pluginReports") or []:
        name = str(plugin.get("pluginName", "unknown"))
        rules: dict[str, dict[str, Any]] = {}
        results: list[dict[str, Any]] = []
        for violation, suppressed in _violations(plugin):
            rule_id = str(violation.get("ruleName", "unknown"))
            if rule_id not in rules:
                rule: dict[str, Any] = {
                    "id": rule_id,
                    "shortDescription": {"text": str(violation.get("description", rule_id)).split(":", 1)[0]},
                    "defaultConfiguration": {"level": _level(violation)},
                }
                if violation.get("suggestedFix"):
                    rule["help"] = {"text": str(violation["suggestedFix"])}
                if name == PLUGIN_NAME:
                    rule["helpUri"] = f"{docs_url}#{rule_id.lower()}"
                rules[rule_id] = rule
            for construct in violation.get("violatingConstructs") or [{}]:
                results.append(
                    _result(
                        violation, construct, rule_id, list(rules).index(rule_id), suppressed, lines, cdk_out, app_file
                    )
                )
        driver: dict[str, Any] = {"name": name, "rules": list(rules.values())}
        if plugin.get("pluginVersion"):
            driver["version"] = str(plugin["pluginVersion"])
        if name in _INFORMATION:
            driver["informationUri"] = _INFORMATION[name]
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
            driver = {"name": name, "rules": []}
            if name == PLUGIN_NAME:
                driver["version"] = __version__
            runs.append({"tool": {"driver": driver}, "results": [], "properties": {"conclusion": "no findings"}})
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}


def _result(
    violation: Mapping[str, Any],
    construct: Mapping[str, Any],
    rule_id: str,
    rule_index: int,
    suppressed: bool,
    lines: _Lines,
    cdk_out: Path,
    app_file: str,
) -> dict[str, Any]:
    construct_path = str(construct.get("constructPath") or "")
    resource = construct.get("cloudFormationResource") or {}
    text = str(violation.get("description", rule_id))
    if violation.get("suggestedFix"):
        text = f"{text} Fix: {violation['suggestedFix']}"
    if construct_path:
        text = f"{construct_path}: {text}"
    physical: dict[str, Any]
    if resource.get("templatePath"):
        template = str(resource["templatePath"])
        physical = {"artifactLocation": {"uri": (cdk_out / template).as_posix()}}
        line = lines.line(template, str(resource.get("logicalId", "")))
        if line is not None:
            physical["region"] = {"startLine": line}
    else:
        physical = {"artifactLocation": {"uri": app_file}}
    location: dict[str, Any] = {"physicalLocation": physical}
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
    """Print one line per unacknowledged finding and a count per plugin; return counts by level."""
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


def _report(args: argparse.Namespace) -> int:
    cdk_out = Path(args.cdk_out)
    report_path = cdk_out / REPORT_FILE
    if report_path.exists():
        report = json.loads(report_path.read_text(encoding="utf-8"))
    else:
        sys.stderr.write(f"{report_path} not found: no policy plugin ran, so there is nothing to report\n")
        report = {"pluginReports": []}
    log = to_sarif(
        report, cdk_out=cdk_out, app_file=args.app_file, docs_url=args.docs_url, plugins=[PLUGIN_NAME, *args.plugin]
    )
    if args.sarif:
        Path(args.sarif).write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")
    counts = summary(log, sys.stdout)
    if args.fail_on == "none":
        return 0
    threshold = _RANK[args.fail_on]
    failing = sum(count for level, count in counts.items() if level in _RANK and _RANK[level] >= threshold)
    return 1 if failing else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``immutable-constructs`` console script."""
    parser = argparse.ArgumentParser(prog="immutable-constructs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="summarise cdk.out/validation-report.json, optionally as SARIF")
    report.add_argument("cdk_out", help="the cloud assembly directory (cdk.out)")
    report.add_argument("--sarif", metavar="FILE", help="write a SARIF 2.1.0 log for GitHub code scanning")
    report.add_argument(
        "--fail-on",
        choices=("error", "warning", "note", "none"),
        default="none",
        help="exit 1 when an unacknowledged finding of this level or worse is present (default: none)",
    )
    report.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="NAME",
        help=f"a plugin the app runs (e.g. AwsSolutions): an empty run is written when the report lacks it, "
        f"so code scanning closes its old alerts ({PLUGIN_NAME} always is)",
    )
    report.add_argument("--app-file", default="app.py", help="file for findings without a template (default app.py)")
    report.add_argument("--docs-url", default=DOCS_PATH, help=f"where docs/rules.md is published (default {DOCS_PATH})")
    args = parser.parse_args(argv)
    return _report(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
