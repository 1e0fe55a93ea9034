"""benchmarks/rule_pack.py works (a tiny run; the real numbers come from `make bench`)."""

from __future__ import annotations

import pytest

from .conftest import ROOT, load_module


def test_benchmark_runs_in_tiny_mode(capsys: pytest.CaptureFixture[str]) -> None:
    benchmark = load_module(ROOT / "benchmarks" / "rule_pack.py", "rule_pack_benchmark")
    benchmark.main(["--units", "2", "--rounds", "1"])  # too small for the bar to mean anything
    out = capsys.readouterr().out
    for line in ("synth, AwsSolutionsChecks:", "synth, ImmutableInfrastructure:", "ratio ours / AwsSolutions:"):
        assert line in out
    assert "'ImmutableInfrastructureChecks': " in out, "the generated app has findings of ours"
