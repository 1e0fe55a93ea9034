#!/usr/bin/env python3
"""Run ImmutableInfrastructureChecks on every app of the corpus and score it against the hand review.

Each app (tools/corpus/apps/<name>.py) is synthesized with the pack added the documented way;
its findings (rule id, construct path) are compared with tools/corpus/expected/<name>.json,
where each finding is judged by hand ("right" or "wrong", with why) and each known miss is
listed. Precision = right / (right + wrong), recall = right / (right + misses). A finding not
in the expectations, or an expected one no longer reported, is a difference to review.

    python tools/corpus/run.py            # needs the PyPI libraries: make corpus (.venv/corpus)
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
#: Where `make corpus` installs the PyPI construct libraries (tools/corpus/requirements.txt).
LIBRARIES = Path(os.environ.get("IMMUTABLE_CORPUS", ROOT / ".venv" / "corpus"))
APPS = sorted(p.stem for p in (HERE / "apps").glob("*.py") if not p.stem.startswith("_"))

os.environ.setdefault("CDK_VALIDATION", "false")
os.environ.setdefault("CDK_APP_MODE", "inmemory")
for path in (str(ROOT), str(HERE.parent), str(LIBRARIES)):
    if path not in sys.path:
        sys.path.insert(0, path)


@dataclass
class Score:
    """One app's findings against its expectations."""

    name: str
    found: list[tuple[str, str]]
    right: int = 0
    wrong: int = 0
    misses: int = 0
    unexpected: list[tuple[str, str]] = field(default_factory=list)
    unreported: list[tuple[str, str]] = field(default_factory=list)


def expected(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((HERE / "expected" / f"{name}.json").read_text())
    return data


def findings(name: str, outdir: str) -> list[tuple[str, str]]:
    """(rule id, construct path) of every finding of the pack on the app ``name``, sorted."""
    from aws_cdk import App, Validations

    from immutable_constructs.nag import ImmutableInfrastructureChecks

    module = importlib.import_module(f"corpus.apps.{name}")
    app = App(outdir=outdir)
    module.build(app)
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    with contextlib.suppress(RuntimeError):  # errors fail synth; the report is written first
        app.synth()
    report_file = Path(outdir) / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {"pluginReports": []}
    found = [
        (violation["ruleName"], resource.get("constructPath", ""))
        for plugin in report["pluginReports"]
        if plugin["pluginName"] == "ImmutableInfrastructureChecks"
        for violation in plugin["violations"]
        for resource in violation["violatingConstructs"]
    ]
    return sorted(found)


def score(name: str, found: list[tuple[str, str]]) -> Score:
    data = expected(name)
    result = Score(name, found, misses=len(data.get("misses", [])))
    reviewed = {(f["rule"], f["path"]): f["verdict"] for f in data.get("findings", [])}
    for key in found:
        verdict = reviewed.get(key)
        if verdict == "right":
            result.right += 1
        elif verdict == "wrong":
            result.wrong += 1
        else:
            result.unexpected.append(key)
    result.unreported = sorted(set(reviewed) - set(found))
    return result


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or APPS
    scores = []
    with tempfile.TemporaryDirectory() as workdir:
        for name in names:
            scores.append(score(name, findings(name, os.path.join(workdir, name))))
    right, wrong, misses = (sum(getattr(s, k) for s in scores) for k in ("right", "wrong", "misses"))
    print(f"{'app':28} {'origin':58} right wrong misses")
    for s in scores:
        origin = expected(s.name)["origin"]
        where = origin.get("package") or f"{origin['repo']}/{origin['path']}"
        print(f"{s.name:28} {where[:58]:58} {s.right:5} {s.wrong:5} {s.misses:6}")
        for key in s.unexpected:
            print(f"    NOT REVIEWED: {key}")
        for key in s.unreported:
            print(f"    NO LONGER REPORTED: {key}")
    precision = right / (right + wrong) if right + wrong else 1.0
    recall = right / (right + misses) if right + misses else 1.0
    print(f"apps {len(scores)}, findings {right + wrong}: precision {precision:.3f}, recall {recall:.3f}")
    return 1 if any(s.unexpected or s.unreported for s in scores) else 0


if __name__ == "__main__":
    sys.exit(main())
