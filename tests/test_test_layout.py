"""Tests say what they check, not which issue asked for it: no issue number in a test module's name, a test's
name or a docstring (an issue number means nothing to a reader of the code; the CHANGELOG keeps the history)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import immutable_constructs

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


# Tests mirror the package: a test of one package lives in tests/<package>/ (tests/fleet/, tests/images/, ...).
# Only these cross-cutting modules, which test the whole app, every package at once or the project itself,
# sit at the tests root; a new module there is either added here with a reason or moved into its package's folder.
CROSS_CUTTING = frozenset(
    {
        "test_app.py",  # the reference app and every example, synthesized once
        "test_benchmark.py",  # synth time of the reference app
        "test_costs_doc.py",  # docs/costs.md against the synthesized apps
        "test_deploy_readiness_contracts.py",  # run-time contracts across fleets, agents and the rule pack
        "test_deploy_test_wiring.py",  # `make deploy-test` wiring
        "test_docs_behaviour.py",  # what the docs promise, on the apps
        "test_docs_floors.py",  # version floors named in the docs
        "test_docstring_defaults.py",  # every spec'd callable's `Default:` against its signature
        "test_exports.py",  # the public names of every package
        "test_fuzz.py",  # property-based tests over every constructor and factory
        "test_getting_started.py",  # the getting-started guide end to end
        "test_layout_steps.py",  # the length of every function of the package
        "test_golden_images_apps.py",  # the reference app and the golden_ami example
        "test_health_checks_agree.py",  # image, fleet and target group health checks, in every app
        "test_least_privilege.py",  # every principal of the apps
        "test_packaging.py",  # the wheel and the sdist
        "test_props.py",  # generated bad input for every declared props spec
        "test_props_examples.py",  # bad input as users wrote it, across packages
        "test_readme.py",  # every Python block of the README
        "test_release.py",  # CHANGELOG and release notes
        "test_signatures.py",  # signatures of every public construct
        "test_test_layout.py",  # this module
        "test_validation.py",  # one ValidationError per bad input, across constructs
        "test_warning_ids.py",  # warning ids of every package
        "test_wheel_only_reads.py",  # no test reads the source tree's package
    }
)
PACKAGE = Path(immutable_constructs.__file__).resolve().parent
# Test folders that are not a package of the library: the deploy tests and the fault-injection framework.
NOT_PACKAGES = frozenset({"deploy", "faults", "data"})


def misplaced(root_modules: set[str], folders: set[str], packages: set[str]) -> list[str]:
    found = [
        f"tests/{m}: a package's test at the tests root (move it to tests/<package>/)"
        for m in sorted(root_modules - CROSS_CUTTING)
    ]
    found += [f"tests/{d}/: no package immutable_constructs/{d}" for d in sorted(folders - packages - NOT_PACKAGES)]
    return found


def test_tests_mirror_the_package() -> None:
    root_modules = {p.name for p in TESTS.glob("test_*.py")}
    folders = {p.name for p in TESTS.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert misplaced(root_modules, folders, packages) == []
    missing_init = [d for d in sorted(folders - {"data"}) if not (TESTS / d / "__init__.py").is_file()]
    assert missing_init == [], (
        f"test folders without __init__.py (modules of the same name would clash): {missing_init}"
    )


def test_the_layout_check_finds_them() -> None:
    assert misplaced({"test_app.py", "test_fleet.py"}, {"fleet", "widgets"}, {"fleet"}) == [
        "tests/test_fleet.py: a package's test at the tests root (move it to tests/<package>/)",
        "tests/widgets/: no package immutable_constructs/widgets",
    ]


# A document or a comment that names a test module points at one that exists: tests move (tests/<package>/),
# and a stale path sends a reader nowhere. A ``*`` in a named path is a glob that must match something.
NAMED_TEST = re.compile(r"\btests/[\w/*.-]*?\.py\b")


def named_test_paths(text: str) -> set[str]:
    return set(NAMED_TEST.findall(text))


def test_every_test_module_a_document_or_comment_names_exists() -> None:
    root = TESTS.parent
    sources = [root / "README.md", root / "CONTRIBUTING.md", *sorted((root / "docs").glob("*.md"))]
    sources += sorted(PACKAGE.rglob("*.py")) + sorted((root / "tools").rglob("*.py"))
    sources += [p for p in sorted(TESTS.rglob("*.py")) if p != Path(__file__).resolve()]  # this one names bad paths
    stale = {
        f"{source.name}: {path}"
        for source in sources
        if source.is_file()
        for path in named_test_paths(source.read_text(encoding="utf-8"))
        if not list(root.glob(path))
    }
    assert stale == set(), sorted(stale)


def test_the_named_path_check_reads_paths_and_globs() -> None:
    text = "see `tests/fleet/test_fleet*.py` and tests/drift/test_stack_drift.py::test_x, not tests/ alone"
    assert named_test_paths(text) == {"tests/fleet/test_fleet*.py", "tests/drift/test_stack_drift.py"}
