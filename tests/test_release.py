"""Release discipline: the version's CHANGELOG section, the workflows and the matrix's floor.

These read the repository (not the installed package): the nox matrix skips this file.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from immutable_constructs import __version__

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


release_notes = _load(ROOT / "tools" / "release_notes.py", "release_notes")


def _workflow(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    # YAML 1.1 reads the key "on" as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


# --- versioning --------------------------------------------------------------------------


def test_changelog_has_a_dated_section_for_the_version_in_projenrc() -> None:
    projenrc = (ROOT / ".projenrc.py").read_text(encoding="utf-8")
    match = re.search(r'^VERSION = "([^"]+)"$', projenrc, re.MULTILINE)
    assert match, ".projenrc.py must define VERSION"
    assert match.group(1) == __version__ == release_notes.package_version()
    notes = release_notes.changelog_section((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), __version__)
    assert "### " in notes, "the release's section lists its changes under Added / Changed / Fixed / Removed"


_CHANGELOG = """# Changelog

## [Unreleased]

### Added
- something new

## [0.2.0] - 2026-12-01

### Changed
- **Breaking:** the floor.

## [0.1.0] - 2026-11-21

### Added
- first.

[0.2.0]: https://example.com/compare/v0.1.0...v0.2.0
"""


def test_release_notes_are_exactly_the_versions_section() -> None:
    assert release_notes.changelog_section(_CHANGELOG, "0.2.0") == "### Changed\n- **Breaking:** the floor."
    assert release_notes.changelog_section(_CHANGELOG, "0.1.0") == "### Added\n- first."


@pytest.mark.parametrize(
    ("changelog", "message"),
    [
        (_CHANGELOG.replace("## [0.2.0] - 2026-12-01", "## [0.2.1] - 2026-12-01"), "no section '## \\[0.2.0\\]"),
        (_CHANGELOG.replace("## [0.2.0] - 2026-12-01", "## [0.2.0]"), "has no date"),
        (_CHANGELOG.replace("2026-12-01", "01.12.2026"), "not YYYY-MM-DD"),
        (_CHANGELOG.replace("### Changed\n- **Breaking:** the floor.", ""), "is empty"),
        # Unreleased entries do not count as the release's section.
        (_CHANGELOG.replace("## [0.2.0] - 2026-12-01", "## [Unreleased] - 2026-12-01"), "no section"),
    ],
)
def test_a_missing_or_malformed_section_fails(changelog: str, message: str) -> None:
    with pytest.raises(release_notes.ReleaseError, match=message):
        release_notes.changelog_section(changelog, "0.2.0")


def test_the_tag_must_be_the_package_version() -> None:
    release_notes.check_tag("v0.2.0", "0.2.0")
    for tag in ("0.2.0", "v0.2.1", "v0.2.0rc1"):
        with pytest.raises(release_notes.ReleaseError, match=r"expected v0\.2\.0"):
            release_notes.check_tag(tag, "0.2.0")


def test_release_notes_cli_fails_on_a_wrong_tag(capsys: pytest.CaptureFixture[str]) -> None:
    assert release_notes.main(["--tag", "v999.0.0"]) == 1
    assert "does not match the package version" in capsys.readouterr().err
    assert release_notes.main(["--tag", f"v{__version__}"]) == 0
    assert capsys.readouterr().out.strip()


# --- the matrix's floor is the declared floor ----------------------------------------------


def _runtime_deps() -> dict[str, str]:
    tree = ast.parse((ROOT / ".projenrc.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "RUNTIME_DEPS" for t in node.targets):
            return {name: pep440 for name, pep440, _ in ast.literal_eval(node.value)}
    raise AssertionError("RUNTIME_DEPS not found in .projenrc.py")


def test_nox_floor_session_tests_the_declared_lower_bounds() -> None:
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    floor = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "FLOOR" for t in node.targets)
    )
    lower_bounds = {name: re.match(r">=([\d.]+)", spec).group(1) for name, spec in _runtime_deps().items()}  # type: ignore[union-attr]
    assert floor == lower_bounds, "noxfile.py FLOOR and the >= bounds in .projenrc.py RUNTIME_DEPS must agree"
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    assert '@nox.session(python="3.11")\ndef floor' in noxfile, "the floor runs on the oldest declared Python"
    assert '@nox.session(python=["3.12", "3.13"])\ndef pinned' in noxfile
    assert '@nox.session(python=["3.12", "3.13"])\ndef latest' in noxfile


def test_readme_states_the_floor_and_why() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    floor = _runtime_deps()["aws-cdk-lib"]
    assert f"aws-cdk-lib{floor.split(',')[0]}" in readme
    assert "InvalidValidationId" in readme


# --- workflows -----------------------------------------------------------------------------


def test_every_action_is_pinned_by_commit_sha() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for step in _steps(_workflow(path.name)):
            if "uses" in step:
                assert PINNED_ACTION.match(step["uses"]), f"{path.name}: {step['uses']} is not pinned by a commit SHA"


def test_ci_runs_make_test_and_every_matrix_session_on_pull_requests() -> None:
    ci = _workflow("ci.yml")
    assert "pull_request" in ci["on"]
    runs = [step.get("run", "") for step in _steps(ci)]
    assert "make test" in " ".join(runs)
    sessions = ci["jobs"]["matrix"]["strategy"]["matrix"]["session"]
    assert sorted(sessions) == ["floor", "latest-3.12", "latest-3.13", "pinned-3.12", "pinned-3.13"]
    assert any("make matrix" in run and "matrix.session" in run for run in runs)
    assert ci["permissions"] == {"contents": "read"}


def test_release_builds_checks_publishes_with_oidc_and_creates_the_github_release() -> None:
    release = _workflow("release.yml")
    assert list(release["on"]) == ["push"] and release["on"]["push"]["tags"]
    assert release["permissions"] == {"contents": "read"}
    jobs = release["jobs"]

    build_runs = " ".join(step.get("run", "") for step in jobs["build"]["steps"])
    assert "tools/release_notes.py --tag" in build_runs and "make dist" in build_runs

    publish = jobs["publish"]
    assert publish["needs"] == "build"
    assert publish["permissions"] == {"id-token": "write"}, "trusted publishing needs id-token, nothing else"
    assert publish["environment"]["name"] == "pypi"
    (step,) = (s for s in publish["steps"] if s.get("uses", "").startswith("pypa/gh-action-pypi-publish@"))
    assert not {"password", "user"} & set(step.get("with", {})), "no stored token: OIDC only"
    assert "secrets." not in (WORKFLOWS / "release.yml").read_text(encoding="utf-8")

    github_release = jobs["github-release"]
    assert github_release["needs"] == "publish"
    assert github_release["permissions"] == {"contents": "write"}
    run = " ".join(step.get("run", "") for step in github_release["steps"])
    assert "gh release create" in run and "--notes-file release-notes.md" in run


def test_make_dist_checks_contents_and_metadata() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    dist = makefile.split("\ndist:", 1)[1].split("\n\n", 1)[0]
    assert "tools/check_dist.py dist" in dist
    assert "twine check --strict" in dist
    assert re.search(r"^test: .*\bactionlint\b.*\bdocs\b", makefile, re.MULTILINE), "make test lints the workflows"
