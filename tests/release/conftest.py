"""The release_waves example, synthesized once for the release tests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App

from ..conftest import ROOT, load_module

EXAMPLE = ROOT / "examples" / "release_waves" / "app.py"


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The example, synthesized once: the pipeline's template and every stage's templates (the example's own
    synth, with the others into build/templates, is what cfn-lint and checkov read)."""
    outdir = tmp_path_factory.mktemp("release")
    module = load_module(EXAMPLE, "release_example_tests")
    app = App(outdir=str(outdir), context={"images.web.stable": 7})
    stack = module.build(app)
    app.synth()
    pipeline_template = json.loads((outdir / f"{stack.stack_name}.template.json").read_text())
    stages = {
        path.parent.name.removeprefix("assembly-WebRelease-"): json.loads(path.read_text())
        for path in sorted(outdir.glob("assembly-*/*.template.json"))
    }
    (pipeline,) = [r for r in pipeline_template["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline"]
    return {
        "template": pipeline_template,
        "pipeline": pipeline["Properties"],
        "stages": stages,
        "outdir": outdir,
        "app": app,
    }
