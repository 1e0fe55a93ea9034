#!/usr/bin/env python3
"""How long ``immutable-constructs report --sarif`` takes on a big app: 3,000 findings, 90,000 lines.

A generated app folder (``--lines`` of Python in ``--files`` modules, every line a construct
call with its own id, so the source index holds every id), and a generated cloud assembly
beside it: a manifest whose stack metadata records where the library's constructs were created
(a third of the findings sit below one), the pack's run record, one template with a resource per
finding, and a validation report with ``--findings`` violations. The rest are located by their
id in the source. No synth and no Node: this measures the report command alone, in-process,
best of ``--rounds``. Bar: 3,000 findings in under 5 s.

    python benchmarks/cli_report.py                 # the issue's size
    python benchmarks/cli_report.py --findings 300  # a quick run
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout, installed or not

from immutable_constructs.cli import main
from immutable_constructs.nag._run_record import ORIGIN_METADATA, RUN_RECORD_FILE

BAR_SECONDS = 5.0


def generate(root: Path, *, findings: int, lines: int, files: int) -> Path:
    """The app folder (returns its cdk.out)."""
    app_dir = root / "app"
    (app_dir / "stacks").mkdir(parents=True)
    (app_dir / "cdk.json").write_text(json.dumps({"app": "python3 app.py"}))
    (app_dir / "app.py").write_text("import stacks\n")
    per_file = lines // files
    for f in range(files):
        body = [f"from aws_cdk import aws_sns as sns  # module {f}"]
        body += [f'sns.Topic(scope, "Topic{f}x{n}", display_name="line {n}")' for n in range(1, per_file)]
        (app_dir / "stacks" / f"module_{f:03d}.py").write_text("\n".join(body) + "\n")
    cdk_out = app_dir / "cdk.out"
    cdk_out.mkdir()
    metadata: dict[str, list[dict[str, object]]] = {}
    resources: dict[str, object] = {}
    violations = []
    for n in range(findings):
        f, line = n % files, 1 + n // files % (per_file - 1) + 1
        logical_id = f"Topic{n}ABCDEF01"
        if n % 3 == 0:  # below a library construct that recorded its origin
            path = f"Big/Fleet{n}/Alarm/Resource"
            metadata[f"/Big/Fleet{n}"] = [
                {
                    "type": ORIGIN_METADATA,
                    "data": {"file": str(app_dir / "stacks" / f"module_{f:03d}.py"), "line": line},
                }
            ]
        else:  # found by its id in the source
            path = f"Big/Topic{f}x{line - 1}/Resource"
        metadata[f"/{path}"] = [{"type": "aws:cdk:logicalId", "data": logical_id}]
        resources[logical_id] = {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": f"topic {n}"}}
        violations.append(
            {
                "ruleName": f"IMM-BENCH{n % 7}",
                "description": f"finding {n}",
                "suggestedFix": "fix it",
                "severity": "warning",
                "ruleMetadata": {},
                "violatingConstructs": [
                    {
                        "constructPath": path,
                        "cloudFormationResource": {"templatePath": "Big.template.json", "logicalId": logical_id},
                    }
                ],
            }
        )
    (cdk_out / "Big.template.json").write_text(json.dumps({"Resources": resources}, indent=1))
    manifest = {
        "version": "48.0.0",
        "artifacts": {"Big": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Big.template.json"}}},
    }
    (cdk_out / "Big.metadata.json").write_text(json.dumps(metadata))
    manifest["artifacts"]["Big"]["additionalMetadataFile"] = "Big.metadata.json"  # type: ignore[index]
    (cdk_out / "manifest.json").write_text(json.dumps(manifest))
    record = {"schema": 1, "plugin": "ImmutableInfrastructureChecks", "registeredPlugins": ["X"], "findings": findings}
    (cdk_out / RUN_RECORD_FILE).write_text(json.dumps(record))
    report = {
        "version": "48.0.0",
        "pluginReports": [{"pluginName": "X", "conclusion": "failure", "violations": violations}],
    }
    (cdk_out / "validation-report.json").write_text(json.dumps(report))
    return cdk_out


def measure(cdk_out: Path, rounds: int) -> tuple[float, dict[str, object]]:
    best = float("inf")
    target = cdk_out.parent / "findings.sarif"
    for _ in range(rounds):
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            code = main(["report", str(cdk_out), "--sarif", str(target), "--source-root", str(cdk_out.parent)])
        best = min(best, time.perf_counter() - started)
        assert code == 0, code
    log: dict[str, object] = json.loads(target.read_text())
    return best, log


def run(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=int, default=3000)
    parser.add_argument("--lines", type=int, default=90_000)
    parser.add_argument("--files", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        cdk_out = generate(Path(tmp), findings=args.findings, lines=args.lines, files=args.files)
        seconds, log = measure(cdk_out, args.rounds)
        results = [r for run_ in log["runs"] for r in run_["results"]]  # type: ignore[attr-defined]
        placed = sum(1 for r in results if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] != "app.py")
    print(
        f"report --sarif: {args.findings} findings, {args.lines} source lines in {args.files} files: "
        f"{seconds:.2f} s (best of {args.rounds}; bar {BAR_SECONDS:.0f} s); {placed}/{len(results)} placed on a line"
    )
    return seconds


if __name__ == "__main__":
    sys.exit(0 if run() < BAR_SECONDS else 1)
