"""The ``immutable-constructs`` command: argument parsing, the subcommands and their exit codes.

Exit codes: 0 ok, 1 findings at ``--fail-on`` or worse, 2 nothing trustworthy to report or an
input/output problem (one line on stderr, never a traceback, no SARIF written), 141 when the
reader of stdout went away (``explain IMM-SSH1 | head``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .._links import doc_url
from .._version import __version__
from ..nag.catalog import DOCS_URL, PLUGIN_NAME, docs_url
from ._assembly import load
from ._inputs import InputError, check_target, write_atomically
from .explain import doc_names, document, rule_ids, section, title
from .sarif import FailOn, failing, summary, to_sarif
from .sarif_sources import SourceMap, entry_file

__all__ = ["BROKEN_PIPE", "NO_ASSEMBLY", "main"]

#: Exit code when there is nothing trustworthy to report on, or a file cannot be read or written (no SARIF).
NO_ASSEMBLY = 2
#: Exit code when stdout was closed early (128 + SIGPIPE, what a shell reports for a killed writer).
BROKEN_PIPE = 141

_DESCRIPTION = "Turn cdk.out/validation-report.json into SARIF and a readable summary; explain a rule offline."


def _report(args: argparse.Namespace) -> int:
    cdk_out = Path(args.cdk_out)
    if args.sarif:
        check_target(Path(args.sarif))  # before the work: a typo in the path must not cost a synth's report
    assembly = load(cdk_out, required=args.plugin)
    app_dir = Path(args.app_dir) if args.app_dir else cdk_out.resolve().parent
    entry = Path(args.app_file) if args.app_file else (entry_file(app_dir) or app_dir / "app.py")
    log = to_sarif(
        assembly.report,
        cdk_out=cdk_out,
        app_file=str(entry),
        docs_url=args.docs_url,
        plugins=assembly.plugins,
        sources=SourceMap(app_dir, entry, cdk_out=cdk_out),
        root=Path(args.source_root) if args.source_root else None,
    )
    if args.sarif:
        write_atomically(Path(args.sarif), json.dumps(log, indent=2) + "\n")
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


def _docs(args: argparse.Namespace) -> int:
    if args.name is None:
        for name in doc_names():
            sys.stdout.write(f"{name:18} {title(document(name) or '')}\n")
        sys.stdout.write("\nRead one with: immutable-constructs docs <name>\n")
        return 0
    text = document(args.name)
    if text is None:
        sys.stderr.write(f"no document {args.name!r}; the documents are: {', '.join(doc_names())}\n")
        return NO_ASSEMBLY
    sys.stdout.write(text)
    name = args.name.strip().removesuffix(".md").removeprefix("docs/")
    sys.stdout.write(f"\nOnline: {doc_url(f'docs/{name}.md')}\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="immutable-constructs", description=_DESCRIPTION)
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser(
        "report",
        help="summarise cdk.out/validation-report.json, optionally as SARIF",
        description="Exit codes: 0 ok, 1 findings at --fail-on or worse, 2 nothing trustworthy to report "
        f"(no fresh cloud assembly, {PLUGIN_NAME} did not run, an unreadable file) or the SARIF cannot be "
        "written: then no SARIF is written.",
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
        help="a plugin that must have run (e.g. AwsSolutions): exit 2 when it did not. Not needed to get its "
        "run: every plugin the app registers is reported on every run (an empty run is a pass), and only those",
    )
    report.add_argument(
        "--app-dir", help="the CDK app's folder, holding its Python source (default: the parent of cdk_out)"
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
    docs = commands.add_parser(
        "docs", help="print a document of this release (offline, from the installed package); no name lists them"
    )
    docs.add_argument("name", nargs="?", help="e.g. getting-started, operations, costs, rules")
    return parser


def _run(args: argparse.Namespace) -> int:
    try:
        if args.command == "explain":
            return _explain(args)
        if args.command == "docs":
            return _docs(args)
        return _report(args)
    except InputError as error:
        no_sarif = " No SARIF written." if getattr(args, "sarif", None) else ""
        sys.stderr.write(f"immutable-constructs {args.command}: {error}.{no_sarif}\n")
        return NO_ASSEMBLY


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``immutable-constructs`` console script."""
    command = "command"
    try:
        try:
            args = _parser().parse_args(argv)
        except SystemExit:  # --help, --version or a usage error: argparse has printed, and exits
            sys.stdout.flush()
            raise
        command = args.command
        code = _run(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (``| head``) has all it wanted. Point stdout at /dev/null so the interpreter's
        # own flush at exit does not raise again (Python docs, "Note on SIGPIPE").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.stderr.write(f"immutable-constructs {command}: output closed early (broken pipe).\n")
        return BROKEN_PIPE
    return code
