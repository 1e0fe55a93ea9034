"""Tests run against the installed wheel too: the nox sessions (``make matrix``; CI runs the floor one) copy
the repository without its package and install the wheel. A test, or a tool a test runs, that reads the
package's files through a source-tree path (``ROOT / "immutable_constructs"``) finds nothing there, so it
must read them through the imported package (``Path(immutable_constructs.__file__)``). Only the tests
noxfile.py lists in SOURCE_TREE_TESTS may read the source tree."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_PATH = re.compile(r"""/\s*["']immutable_constructs["']|["']immutable_constructs/[\w/]+\.\w+["']\s*\)""")
TOOL = re.compile(r"""["']tools["']\s*\)?\s*/\s*["'](\w+\.py)["']""")  # a path a test runs or loads


def source_tree_tests() -> set[str]:
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "SOURCE_TREE_TESTS" for t in node.targets):
            return set(ast.literal_eval(node.value))
    raise AssertionError("noxfile.py no longer defines SOURCE_TREE_TESTS")


def offences(text: str, name: str) -> list[str]:
    return [
        f"{name}:{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), 1)
        if SOURCE_PATH.search(line) and not line.lstrip().startswith("#")
    ]


def test_tests_and_the_tools_they_run_read_the_package_through_its_import() -> None:
    exempt = source_tree_tests()
    exempt.add(str(Path(__file__).relative_to(ROOT)))  # this module's own examples
    modules = [p for p in sorted((ROOT / "tests").rglob("*.py")) if str(p.relative_to(ROOT)) not in exempt]
    tools = {m for p in modules for m in TOOL.findall(p.read_text(encoding="utf-8"))}
    checked = modules + [ROOT / "tools" / t for t in sorted(tools) if (ROOT / "tools" / t).is_file()]
    problems = [o for p in checked for o in offences(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT)))]
    assert not problems, "read the package through its import, not the source tree:\n" + "\n".join(problems)
    assert "drift_read_permissions.py" in tools  # the scan sees the tools the tests run


def test_the_check_finds_a_source_tree_read() -> None:
    assert offences('TARGET = ROOT / "immutable_constructs" / "drift" / "x.json"\n', "t.py") == [
        't.py:1: TARGET = ROOT / "immutable_constructs" / "drift" / "x.json"'
    ]
    assert offences("PACKAGE = Path(immutable_constructs.__file__).resolve().parent\n", "t.py") == []
