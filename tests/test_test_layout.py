"""Tests say what they check, not which issue asked for it: no issue number in a test module's name, a test's
name or a docstring (an issue number means nothing to a reader of the code; the CHANGELOG keeps the history)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ISSUE = re.compile(r"\bissues?\s*#?\d+", re.IGNORECASE)
ISSUE_IN_NAME = re.compile(r"issue_?\d+", re.IGNORECASE)


def offences(source: str, name: str) -> list[str]:
    found = [f"{name}: file name"] if ISSUE_IN_NAME.search(Path(name).name) else []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        label = getattr(node, "name", "<module>")
        if ISSUE_IN_NAME.search(label):
            found.append(f"{name}: {label}: name")
        docstring = ast.get_docstring(node, clean=False)
        if docstring and ISSUE.search(docstring):
            found.append(f"{name}:{getattr(node, 'lineno', 1)}: {label}: docstring says {ISSUE.search(docstring)[0]!r}")
    return found


def test_no_issue_numbers_in_test_names_or_docstrings() -> None:
    problems = [o for p in sorted(TESTS.rglob("*.py")) for o in offences(p.read_text(), str(p.relative_to(TESTS)))]
    assert problems == [], problems


def test_the_check_finds_them() -> None:
    source = '"""Issue 28: x."""\n\ndef test_issue_20_defect() -> None:\n    """Fixed in issue 9."""\n'
    assert len(offences(source, "test_issue23.py")) == 4
