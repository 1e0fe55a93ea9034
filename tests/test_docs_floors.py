"""Every dependency floor the docs name is the package's own (.projenrc.py -> setup.py's install_requires).

A pip user copies the floors from the README or the getting-started guide; one that is lower
than the package's makes pip pick a release the library does not work with (the guide said
aws-cdk-lib>=2.263.0 while the package needed 2.271.0).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from packaging.version import Version

from .conftest import ROOT


def _install_requires() -> list[str]:
    setup = (ROOT / "setup.py").read_text(encoding="utf-8")
    match = re.search(r'"install_requires": (\[.*?\])', setup, flags=re.S)
    assert match, "setup.py (generated from .projenrc.py) lists install_requires"
    requires: list[str] = ast.literal_eval(match.group(1))
    return requires


#: distribution -> its floor, from the one source of truth
FLOORS = {
    name: floor
    for name, floor in (
        re.fullmatch(r"([\w-]+)>=([\d.]+),<[\d.]+", requirement).groups()  # type: ignore[union-attr]
        for requirement in _install_requires()
    )
}
#: Files a user or contributor reads floors from.
DOCUMENTS = [
    ROOT / "README.md",
    ROOT / "CONTRIBUTING.md",
    ROOT / "noxfile.py",
    ROOT / "requirements.txt",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "examples").rglob("*.md")),
    *sorted((ROOT / "examples").rglob("requirements*.txt")),
]
_MENTION = re.compile(r"(?<![\w-])(aws-cdk-lib|constructs|cdk-nag)\s*>=\s*(\d+(?:\.\d+)*)")


def test_the_floors_are_the_projenrc_ones() -> None:
    assert set(FLOORS) == {"aws-cdk-lib", "constructs", "cdk-nag"}
    projenrc = (ROOT / ".projenrc.py").read_text(encoding="utf-8")
    for name, floor in FLOORS.items():
        assert f'("{name}", ">={floor},' in projenrc, f"{name}: setup.py is out of date with .projenrc.py"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(Path(p).relative_to(ROOT)))
def test_every_floor_a_document_names_is_the_packages(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    for match in _MENTION.finditer(text):
        name, floor = match.groups()
        line = text.count("\n", 0, match.start()) + 1
        assert Version(floor) == Version(FLOORS[name]), (
            f"{document.name}:{line} says {name}>={floor}; the package needs {name}>={FLOORS[name]} (.projenrc.py)"
        )


def test_the_check_sees_the_guides_floors() -> None:
    # The guide's requirements.txt names all three: the parametrized check above is not vacuous.
    guide = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    assert {m.group(1) for m in _MENTION.finditer(guide)} == set(FLOORS)


def test_the_readme_explains_the_aws_cdk_lib_floor() -> None:
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"Why aws-cdk-lib {FLOORS['aws-cdk-lib']}" in readme
    assert f"aws-cdk-lib {FLOORS['aws-cdk-lib']}, constructs {FLOORS['constructs']}" in readme
