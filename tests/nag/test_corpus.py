"""The rule pack on the corpus of real apps (tools/corpus): every finding reviewed by hand, every known miss listed.

The apps that instantiate other authors' PyPI construct libraries need them installed
(`make unit` installs tools/corpus/requirements.txt into .venv/corpus first); without them
these tests skip, unless REQUIRE_CORPUS=1 (set by `make unit`), where they fail.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Any

import pytest

from ..conftest import ROOT


def _load_runner() -> Any:
    spec = importlib.util.spec_from_file_location("corpus_run", ROOT / "tools" / "corpus" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus_run"] = module  # its dataclasses need their module registered
    spec.loader.exec_module(module)
    return module


RUN = _load_runner()
LIBRARIES = ["basti_cdk", "cdk_code_server", "cdk_ec2_key_pair", "cdk_ec2_spot_simple", "cdk_fck_nat",
             "cdk_gitlab_runner", "cdk_image_pipeline", "cdk_nat_asg_provider"]  # fmt: skip


def _installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in LIBRARIES)


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    if not _installed():
        if os.environ.get("REQUIRE_CORPUS"):
            pytest.fail(f"the corpus's PyPI libraries are not in {RUN.LIBRARIES}: run `make corpus`")
        pytest.skip(f"the corpus's PyPI libraries are not installed ({RUN.LIBRARIES}); `make corpus`")
    workdir = tmp_path_factory.mktemp("corpus")
    return {name: RUN.score(name, RUN.findings(name, str(workdir / name))) for name in RUN.APPS}


def test_the_corpus_has_fifteen_apps_from_several_authors() -> None:
    origins = [RUN.expected(name)["origin"] for name in RUN.APPS]
    assert len(origins) >= 15
    authors = {o.get("author") or o["repo"] for o in origins}
    assert len(authors) >= 5, authors
    for origin in origins:
        assert origin.get("package") or (origin.get("repo") and origin.get("path") and len(origin["commit"]) == 40)


@pytest.mark.parametrize("name", RUN.APPS)
def test_findings_match_the_hand_review(name: str, scores: dict[str, object]) -> None:
    score = scores[name]
    assert (score.unexpected, score.unreported) == ([], []), (  # type: ignore[attr-defined]
        f"{name}: review these findings in tools/corpus/expected/{name}.json"
    )


def test_every_reviewed_finding_says_why() -> None:
    for name in RUN.APPS:
        for finding in RUN.expected(name)["findings"]:
            assert finding["verdict"] in {"right", "wrong"} and len(finding["why"]) > 20, (name, finding)
        for miss in RUN.expected(name)["misses"]:
            assert miss["what"] and miss["why"], (name, miss)


def test_precision_and_recall(scores: dict[str, object], capsys: pytest.CaptureFixture[str]) -> None:
    right = sum(s.right for s in scores.values())  # type: ignore[attr-defined]
    wrong = sum(s.wrong for s in scores.values())  # type: ignore[attr-defined]
    misses = sum(s.misses for s in scores.values())  # type: ignore[attr-defined]
    precision, recall = right / (right + wrong), right / (right + misses)
    with capsys.disabled():
        sys.stdout.write(f"\ncorpus: {len(scores)} apps, {right + wrong} findings, precision {precision:.3f}, "
                         f"recall {recall:.3f}\n")  # fmt: skip
    assert precision >= 0.95 and recall >= 0.9
