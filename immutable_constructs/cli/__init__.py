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
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .._version import __version__
from ..nag.catalog import DOCS_URL, PLUGIN_NAME, docs_url

# No aws_cdk (and so no jsii, no Node) on this path: the catalog and these helpers are plain Python.
from .explain import rule_ids, section
from .sarif import FailOn, failing, summary, to_sarif
from .sarif_sources import SourceMap, entry_file

__all__ = ["main", "to_sarif"]

REPORT_FILE = "validation-report.json"
MANIFEST_FILE = "manifest.json"
#: Exit code when there is no fresh cloud assembly to report on (no SARIF is written).
NO_ASSEMBLY = 2


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
    return 1 if failing(counts, args.fail_on) else 0


def _explain(args: argparse.Namespace) -> int:
    text = section(args.rule_id)
    if text is None:
        sys.stderr.write(f"no rule {args.rule_id!r}; the rules are: {', '.join(rule_ids())}\n")
        return NO_ASSEMBLY
    sys.stdout.write(text)
    sys.stdout.write(f"\nOnline: {docs_url(args.rule_id.rsplit('::', 1)[-1])}\n")
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
        type=FailOn,
        choices=list(FailOn),
        default=FailOn.NONE,
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
    report.add_argument(
        "--docs-url",
        help=f"where docs/rules.md is published, for our rules' links (default: each finding's own link, {DOCS_URL})",
    )
    explain = commands.add_parser("explain", help="print a rule's documentation (offline, from the installed package)")
    explain.add_argument("rule_id", help="a rule id, e.g. IMM-SSH1")
    args = parser.parse_args(argv)
    if args.command == "explain":
        return _explain(args)
    return _report(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
