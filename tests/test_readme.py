"""Every ```python block of README.md runs as written (each on its own, like a user pasting it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aws_cdk import App

from .conftest import ROOT

README = ROOT / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(), flags=re.S | re.M)


def test_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 3


def test_readme_first_example_is_the_shortest() -> None:
    assert len(BLOCKS[0].splitlines()) == min(len(b.splitlines()) for b in BLOCKS)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code = compile(BLOCKS[index], f"README.md python block {index + 1}", "exec")
    namespace: dict[str, object] = {"__name__": f"readme_block_{index + 1}"}
    exec(code, namespace)
    app = namespace["app"]
    assert isinstance(app, App), "each block builds an App named `app`"
    assert list(Path(app.outdir).glob("*.template.json")), "the block should synthesize at least one stack"
