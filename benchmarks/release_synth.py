#!/usr/bin/env python3
"""Synth time of a release in 3 waves over 20 environments, against a single-stage pipeline of the same app.

Both build the service of ``examples/release_waves`` (a VPC and a fleet) in the same 20 environments (four
accounts x five regions); the release is ``ReleasePipeline`` (a canary, then 9, then 10 environments, every
wave baked on its gates, production approved), the baseline is a plain ``pipelines.CodePipeline`` whose one
wave deploys all 20. Each is built and synthesized in a fresh process (construction + ``app.synth()``),
best of ``--rounds``. Bar: the release within 3x the baseline.

    python benchmarks/release_synth.py
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BAR = 3.0

RUN = r"""
import os, sys, time
os.environ["CDK_VALIDATION"] = "false"
sys.path.insert(0, {root!r})
from aws_cdk import App, Environment, Stack, pipelines
from tests.conftest import load_module
from immutable_constructs import ReleasePipeline, ReleaseWave
example = load_module(__import__("pathlib").Path({root!r}) / "examples/release_waves/app.py", "example")
envs = [Environment(account=f"2222222222{{a:02d}}", region=r) for a in range(4)
        for r in ("eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-2")][:{environments}]
half = max(2, len(envs) // 2)
start = time.perf_counter()
app = App(outdir={outdir!r}, context={{"images.web.stable": 7}})
stack = Stack(app, "Bench", env=example.TOOLING)
source = pipelines.CodePipelineSource.connection("o/r", "main", connection_arn=example.CONNECTION)
synth = pipelines.ShellStep("Synth", input=source, commands=["npx cdk synth"])
if {release!r}:
    ReleasePipeline(stack, "Release", synth=synth, service=example.WebService, image_lines=["web"], waves=[
        ReleaseWave("canary", envs[:1]), ReleaseWave("early", envs[1:half]),
        ReleaseWave("production", envs[half:], approval=True)])
else:
    pipeline = pipelines.CodePipeline(stack, "Pipeline", synth=synth, cross_account_keys=True)
    wave = pipeline.add_wave("all")
    for env in envs:
        stage_id = f"s-{{env.account}}-{{env.region}}"
        wave.add_stage(example.WebService(stack, stage_id, env=env, image_versions={{"web": 7}}))
app.synth()
print(time.perf_counter() - start)
"""


def measure(release: bool, environments: int = 20) -> float:
    with tempfile.TemporaryDirectory() as outdir:
        code = RUN.format(root=str(ROOT), outdir=outdir, release=release, environments=environments)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ)
        return float(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--environments", type=int, default=20, help="environments (default 20; at least 3)")
    args = parser.parse_args(argv)
    count = max(3, min(args.environments, 20))
    baseline = min(measure(False, count) for _ in range(args.rounds))
    release = min(measure(True, count) for _ in range(args.rounds))
    ratio = release / baseline
    print(f"single-stage pipeline, {count} environments: {baseline:.1f} s")
    print(f"release, 3 waves over {count} environments:  {release:.1f} s ({ratio:.2f}x, bar {BAR:.0f}x)")
    return 0 if ratio <= BAR else 1


if __name__ == "__main__":
    sys.exit(main())
