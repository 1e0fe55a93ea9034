"""``immutable-constructs``: turn ``cdk.out/validation-report.json`` into SARIF and a readable summary.

    immutable-constructs report cdk.out --sarif findings.sarif [--fail-on error]
    immutable-constructs explain IMM-SSH1

The report fails closed: a folder without a cloud assembly of this synth (no
``manifest.json``, or a validation report older than it) exits 2 and writes no SARIF, so
a crashed synth never tells code scanning that every finding went away.

Every plugin in the report is converted (ImmutableInfrastructureChecks, AwsSolutions, the
CDK's own CloudFormation validation...), one SARIF run per plugin. Acknowledged findings
are kept, marked as suppressed with the acknowledgement's reason, so GitHub code scanning
shows them as dismissed instead of losing them.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

# No aws_cdk (and so no jsii, no Node) on this path: the catalog and these helpers are plain Python.
from ._links import REPOSITORY, doc_url
from ._private.explain import rule_ids, section
from ._private.sarif_sources import Locations, SourceMap, TemplateLines, entry_file
from ._version import __version__
from .nag.catalog import ACK_NOT_ALLOWED, ACK_REASON_TOO_SHORT, ACK_STALE, DOCS_PATH, DOCS_URL, RULES

__all__ = ["main", "to_sarif"]

PLUGIN_NAME = "ImmutableInfrastructureChecks"  # == nag.pack.PLUGIN_NAME (a test keeps them equal)
REPORT_FILE = "validation-report.json"
MANIFEST_FILE = "manifest.json"
#: Exit code when there is no fresh cloud assembly to report on (no SARIF is written).
NO_ASSEMBLY = 2
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"fatal": "error", "error": "error", "warning": "warning", "info": "note"}
_RANK = {"note": 0, "warning": 1, "error": 2}
#: The Python distribution of a plugin, for its run's version when the report has none.
_DISTRIBUTIONS = {"AwsSolutions": "cdk-nag"}
_OURS = {r.id: (r.title, r.fix) for r in RULES}
_OURS.update(
    {
        ACK_REASON_TOO_SHORT: ("Acknowledgement reason too short", "Say why the finding is acceptable here."),
        ACK_NOT_ALLOWED: ("Acknowledgement of a rule that is not acknowledgeable", "Fix the finding instead."),
        ACK_STALE: ("Acknowledgement that matches no finding", "Remove it, or fix its rule id or construct path."),
    }
)
_INFORMATION = {
    PLUGIN_NAME: REPOSITORY,
    "AwsSolutions": "https://github.com/cdklabs/cdk-nag/blob/main/RULES.md",
    # aws-cdk-lib's built-in template validator (CloudFormationValidatePlugin, since 2.262).
    "CloudFormation Validate": "https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.CloudFormationValidatePlugin.html",
}


def _violations(plugin: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], bool]]:
    for violation in plugin.get("violations") or []:
        yield violation, False
    for violation in plugin.get("suppressedViolations") or []:
        yield violation, True


def _level(violation: Mapping[str, Any]) -> str:
    return _LEVELS.get(str(violation.get("severity", "error")), "warning")


def _first_sentence(text: str) -> str:
    head = text.split(": ", 1)[0].split(". ", 1)[0].strip()
    return head[:120] or text[:120]


def _rule(name: str, rule_id: str, violation: Mapping[str, Any], docs_url: str) -> dict[str, Any]:
    """A SARIF reportingDescriptor with what GitHub requires (short and full description, help)."""
    description = " ".join(str(violation.get("description") or rule_id).split())
    fix = " ".join(str(violation.get("suggestedFix") or "").split())
    if name == PLUGIN_NAME and rule_id in _OURS:
        title, fix = _OURS[rule_id]
        short, full = title, f"{title}. {fix}"
    else:
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
    if name == PLUGIN_NAME:
        rule["helpUri"] = f"{docs_url}#{rule_id.lower()}"
        rule["help"]["markdown"] = f"{help_text} [{rule_id} in docs/rules.md]({rule['helpUri']})"
    elif name in _INFORMATION:
        rule["helpUri"] = _INFORMATION[name]
    return rule


def to_sarif(
    report: Mapping[str, Any],
    *,
    cdk_out: Path,
    app_file: str = "app.py",
    docs_url: str = DOCS_URL,
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
    :param docs_url: where docs/rules.md is served; ``<docs_url>#<rule id>`` is each of our rules' helpUri
        (default: this release's file on GitHub).
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
            elif name in _DISTRIBUTIONS:
                with contextlib.suppress(metadata.PackageNotFoundError):  # metadata only: no cdk_nag import
                    driver["version"] = metadata.version(_DISTRIBUTIONS[name])
            if name in _INFORMATION:
                driver["informationUri"] = _INFORMATION[name]
            runs.append({"tool": {"driver": driver}, "results": [], "properties": {"conclusion": "no findings"}})
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


def _no_assembly(cdk_out: Path) -> str | None:
    """Why ``cdk_out`` is not the cloud assembly of a finished synth, or None when it is."""
    if not cdk_out.is_dir():
        return f"{cdk_out} is not a folder: the synth did not run, or wrote its cloud assembly elsewhere"
    manifest = cdk_out / MANIFEST_FILE
    if not manifest.is_file():
        return (
            f"{cdk_out} holds no cloud assembly ({MANIFEST_FILE} is missing): the app failed before synth "
            "finished (see the synth's output above)"
        )
    report = cdk_out / REPORT_FILE
    if report.is_file() and report.stat().st_mtime_ns < manifest.stat().st_mtime_ns:
        return (
            f"{report} is older than {manifest}: it is left over from an earlier synth (this one ran no "
            f"policy plugin); delete {cdk_out} before each synth"
        )
    return None


def _report(args: argparse.Namespace) -> int:
    cdk_out = Path(args.cdk_out)
    why = _no_assembly(cdk_out)
    if why is not None:
        sys.stderr.write(
            f"immutable-constructs report: {why}.\nNo SARIF written: an empty log would close every open "
            "code-scanning alert.\n"
        )
        return NO_ASSEMBLY
    report_path = cdk_out / REPORT_FILE
    if report_path.exists():
        report = json.loads(report_path.read_text(encoding="utf-8"))
    else:
        sys.stderr.write(f"{report_path} not found: the app adds no policy plugin, so there is nothing to report\n")
        report = {"pluginReports": []}
    app_dir = Path(args.app_dir) if args.app_dir else cdk_out.resolve().parent
    entry = Path(args.app_file) if args.app_file else (entry_file(app_dir) or app_dir / "app.py")
    log = to_sarif(
        report,
        cdk_out=cdk_out,
        app_file=str(entry),
        docs_url=args.docs_url,
        plugins=[PLUGIN_NAME, *args.plugin],
        sources=SourceMap(app_dir, entry),
        root=Path(args.source_root) if args.source_root else None,
    )
    if args.sarif:
        Path(args.sarif).write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")
    counts = summary(log, sys.stdout)
    if args.fail_on == "none":
        return 0
    threshold = _RANK[args.fail_on]
    failing = sum(count for level, count in counts.items() if level in _RANK and _RANK[level] >= threshold)
    return 1 if failing else 0


def _explain(args: argparse.Namespace) -> int:
    text = section(args.rule_id)
    if text is None:
        sys.stderr.write(f"no rule {args.rule_id!r}; the rules are: {', '.join(rule_ids())}\n")
        return NO_ASSEMBLY
    sys.stdout.write(text)
    sys.stdout.write(f"\nOnline: {doc_url(DOCS_PATH, args.rule_id.rsplit('::', 1)[-1].strip().lower())}\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``immutable-constructs`` console script."""
    parser = argparse.ArgumentParser(prog="immutable-constructs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser(
        "report",
        help="summarise cdk.out/validation-report.json, optionally as SARIF",
        description="Exit codes: 0 ok, 1 findings at --fail-on or worse, 2 no fresh cloud assembly (no SARIF written).",
    )
    report.add_argument("cdk_out", help="the cloud assembly directory (cdk.out); delete it before each synth")
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
    report.add_argument(
        "--app-dir", help="the CDK app's folder, searched for the construct ids (default: the parent of cdk_out)"
    )
    report.add_argument(
        "--app-file", help="file for findings not found in the source (default: the .py file of cdk.json's app)"
    )
    report.add_argument(
        "--source-root", help="what SARIF file paths are relative to: the repository root (default: the working folder)"
    )
    report.add_argument("--docs-url", default=DOCS_URL, help=f"where docs/rules.md is published (default {DOCS_URL})")
    explain = commands.add_parser("explain", help="print a rule's documentation (offline, from the installed package)")
    explain.add_argument("rule_id", help="a rule id, e.g. IMM-SSH1")
    args = parser.parse_args(argv)
    if args.command == "explain":
        return _explain(args)
    return _report(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
