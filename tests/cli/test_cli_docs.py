"""The docs ship in the wheel and read offline: `immutable-constructs docs <name>`.

A pip user has no docs folder, and the links in the README point at a tag on GitHub; every
document those links name is in the package, readable without a network.
"""

from __future__ import annotations

import re
from importlib.resources import files

import pytest

from immutable_constructs.cli import main
from immutable_constructs.cli.explain import doc_names

from ..conftest import ROOT

DOCS = sorted(path.stem for path in (ROOT / "docs").glob("*.md"))


def test_every_document_of_docs_ships_in_the_package() -> None:
    assert doc_names() == DOCS
    for name in DOCS:
        shipped = files("immutable_constructs") / "docs" / f"{name}.md"
        assert shipped.read_text(encoding="utf-8") == (ROOT / "docs" / f"{name}.md").read_text(encoding="utf-8")


def test_every_document_the_readme_links_to_is_shipped() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"/blob/v[\d.]+/docs/([\w-]+)\.md", readme))
    assert linked and linked <= set(doc_names())
    assert "immutable-constructs docs" in readme


@pytest.mark.parametrize("name", ["getting-started", "docs/operations.md", "costs.md"])
def test_docs_prints_a_document_offline(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", name]) == 0
    out = capsys.readouterr().out
    stem = name.removeprefix("docs/").removesuffix(".md")
    assert out.startswith("# ") and out.startswith((ROOT / "docs" / f"{stem}.md").read_text().splitlines()[0])
    assert out.rstrip().endswith(f"/docs/{stem}.md")


def test_docs_lists_the_documents(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs"]) == 0
    out = capsys.readouterr().out
    assert all(re.search(rf"^{name}\s+\S", out, flags=re.M) for name in DOCS), out


def test_an_unknown_document_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "getting-started" in err
