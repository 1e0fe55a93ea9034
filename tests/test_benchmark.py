"""The benchmarks `make bench` runs work (tiny runs; the real numbers come from `make bench`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from immutable_constructs.nag import ImmutableInfrastructureChecks

from .conftest import ROOT, load_module


def test_benchmark_runs_in_tiny_mode(capsys: pytest.CaptureFixture[str]) -> None:
    benchmark = load_module(ROOT / "benchmarks" / "rule_pack.py", "rule_pack_benchmark")
    benchmark.main(["--units", "2", "--rounds", "1"])  # too small for the bar to mean anything
    out = capsys.readouterr().out
    for line in ("synth, AwsSolutionsChecks:", "synth, ImmutableInfrastructure:", "ratio ours / AwsSolutions:"):
        assert line in out
    assert "'ImmutableInfrastructureChecks': " in out, "the generated app has findings of ours"


def test_release_benchmark_runs_in_tiny_mode(capsys: pytest.CaptureFixture[str]) -> None:
    benchmark = load_module(ROOT / "benchmarks" / "release_synth.py", "release_synth_benchmark")
    benchmark.main(["--environments", "3"])  # one environment per wave: too small for the bar to mean anything
    out = capsys.readouterr().out
    assert "single-stage pipeline, 3 environments:" in out
    assert "release, 3 waves over 3 environments:" in out


def test_make_bench_runs_both_benchmarks_and_make_test_neither() -> None:
    makefile = (ROOT / "Makefile").read_text()
    bench = makefile.split("\nbench:", 1)[1].split("\n\n", 1)[0]
    assert "benchmarks/rule_pack.py" in bench and "benchmarks/release_synth.py" in bench
    test = makefile.split("\ntest:", 1)[1].split("\n", 1)[0]
    assert "bench" not in test


def test_each_rule_breaks_in_at_most_one_unit_in_ten(tmp_path: Path) -> None:
    """The benchmark measures what the rules cost, not how many findings a new rule adds: every unit broke
    IMM-REP11 when it came, and the report of 110 more findings was most of the overhead that run measured."""
    benchmark = load_module(ROOT / "benchmarks" / "rule_pack.py", "rule_pack_benchmark")
    app = benchmark.build(10, lambda app: [], str(tmp_path))
    assembly = app.synth()
    templates = {s.stack_name: s.template for s in assembly.stacks}
    per_rule = Counter(f.rule_id for f in ImmutableInfrastructureChecks().check_app(templates))
    assert per_rule and max(per_rule.values()) == 1, per_rule
