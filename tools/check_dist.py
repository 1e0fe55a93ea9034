"""Check the built sdist and wheel before they are published (``make dist``, release.yml).

    python tools/check_dist.py dist/

Fails (exit 1, one line per problem) unless the folder holds exactly one wheel and one sdist
of the version in immutable_constructs/_version.py and:

* the wheel has every module of the package, the Lambda handlers (``*/index.py`` of each handler package),
  ``py.typed`` and the console script, and no tests, examples or caches;
* the sdist has the same package files plus README.md, LICENSE, CHANGELOG.md, setup.py and
  setup.cfg (what ``pip install`` of the sdist needs), and no tests or build output.

``twine check --strict`` (run next to it) checks the metadata and the README rendering.
"""

from __future__ import annotations

import runpy
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "immutable_constructs"
DIST_NAME = "immutable-constructs"

# Files that must be in both archives, relative to the package directory.
REQUIRED_IN_PACKAGE = (
    "py.typed",
    "__init__.py",
    "_version.py",
    "fleet/blue_green_handler/index.py",
    "drift/stack_drift_handler/index.py",
    "drift/tainted_hosts_handler/index.py",
    "images/promotion_handler/index.py",
    "images/first_image_handler/index.py",
    "drift/_read_permissions.json",
)
SDIST_TOP_LEVEL = ("README.md", "LICENSE", "CHANGELOG.md", "setup.py", "setup.cfg", "PKG-INFO")
FORBIDDEN_PARTS = {"tests", "examples", "__pycache__", "cdk.out", "build", ".venv", "node_modules"}


def version() -> str:
    return str(runpy.run_path(str(ROOT / PACKAGE / "_version.py"))["__version__"])


def source_modules() -> set[str]:
    """Every .py file and py.typed of the package in the work tree, relative to the package."""
    package = ROOT / PACKAGE
    return {
        str(path.relative_to(package))
        for path in package.rglob("*")
        if path.is_file() and (path.suffix == ".py" or path.name == "py.typed") and "__pycache__" not in path.parts
    }


def _forbidden(names: list[str]) -> list[str]:
    return sorted(n for n in names if FORBIDDEN_PARTS & set(Path(n).parts) or n.endswith((".pyc", ".pyo")))


def check_wheel(wheel: Path, expected_modules: set[str] | None = None) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next((archive.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt")), "")
    problems = []
    in_package = {n.removeprefix(f"{PACKAGE}/") for n in names if n.startswith(f"{PACKAGE}/")}
    for required in REQUIRED_IN_PACKAGE:
        if required not in in_package:
            problems.append(f"{wheel.name}: {PACKAGE}/{required} is missing")
    missing = sorted((expected_modules or set()) - in_package)
    problems += [f"{wheel.name}: {PACKAGE}/{m} (in the source tree) is missing" for m in missing]
    problems += [f"{wheel.name}: {n} must not be shipped" for n in _forbidden(names)]
    stray = sorted(
        {n.split("/", 1)[0] for n in names} - {PACKAGE, f"{PACKAGE.replace('-', '_')}-{version()}.dist-info"}
    )
    problems += [f"{wheel.name}: unexpected top-level entry {s}" for s in stray]
    if f"{DIST_NAME} = {PACKAGE}.cli:main" not in entry_points:
        problems.append(f"{wheel.name}: console script {DIST_NAME} = {PACKAGE}.cli:main is missing")
    return problems


def check_sdist(sdist: Path, expected_modules: set[str] | None = None) -> list[str]:
    with tarfile.open(sdist) as archive:
        names = [m.name for m in archive.getmembers() if m.isfile()]
    prefix = f"{PACKAGE}-{version()}/"
    problems = [f"{sdist.name}: {n} is outside {prefix}" for n in names if not n.startswith(prefix)]
    relative = {n.removeprefix(prefix) for n in names}
    for top in SDIST_TOP_LEVEL:
        if top not in relative:
            problems.append(f"{sdist.name}: {top} is missing")
    in_package = {n.removeprefix(f"{PACKAGE}/") for n in relative if n.startswith(f"{PACKAGE}/")}
    for required in REQUIRED_IN_PACKAGE:
        if required not in in_package:
            problems.append(f"{sdist.name}: {PACKAGE}/{required} is missing")
    missing = sorted((expected_modules or set()) - in_package)
    problems += [f"{sdist.name}: {PACKAGE}/{m} (in the source tree) is missing" for m in missing]
    # The egg-info folder setuptools writes into every sdist is expected; nothing else generated.
    shipped = [n for n in relative if ".egg-info/" not in n]
    problems += [f"{sdist.name}: {n} must not be shipped" for n in _forbidden(shipped)]
    return problems


def check_folder(folder: Path) -> list[str]:
    wheels = sorted(folder.glob("*.whl"))
    sdists = sorted(folder.glob("*.tar.gz"))
    expected_wheel = f"{PACKAGE}-{version()}-py3-none-any.whl"
    expected_sdist = f"{PACKAGE}-{version()}.tar.gz"
    if [w.name for w in wheels] != [expected_wheel] or [s.name for s in sdists] != [expected_sdist]:
        return [f"{folder}: expected exactly {expected_wheel} and {expected_sdist}, found {[*wheels, *sdists]}"]
    modules = source_modules()
    return check_wheel(wheels[0], modules) + check_sdist(sdists[0], modules)


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else ROOT / "dist"
    problems = check_folder(folder)
    for problem in problems:
        print(f"check_dist: {problem}", file=sys.stderr)
    if not problems:
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1024:.0f} KiB" for p in sorted(folder.iterdir()))
        print(f"check_dist: OK ({sizes})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
