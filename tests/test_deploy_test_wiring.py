"""`make deploy-test` stays wired as deploy testing needs: run by CI, never by `make unit`, pinned emulator."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from tests.deploy.emulator import PINNED

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_deploy_test_after_make_test() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert script.index("make test\n") < script.index("make deploy-test\n")
    workflow = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert workflow.index("run: make test") < workflow.index("run: make deploy-test")


def test_unit_runs_deselect_the_deploy_tests_and_deploy_test_selects_them() -> None:
    ini = configparser.ConfigParser()
    ini.read(ROOT / "pytest.ini")
    assert '-m "not deploy"' in ini["pytest"]["addopts"]
    assert "deploy:" in ini["pytest"]["markers"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ndeploy-test:", 1)[1].split("\n\n", 1)[0]
    assert "DEPLOY_TEST_EMULATOR_PYTHON=" in recipe and "tests/deploy -m deploy" in recipe
    for module in sorted((ROOT / "tests" / "deploy").glob("test_*.py")):
        assert "pytestmark = pytest.mark.deploy" in module.read_text(encoding="utf-8"), module.name


def test_the_emulator_is_pinned_to_the_version_its_test_handlers_are_written_against() -> None:
    requirements = (ROOT / "tools" / "emulator" / "requirements.txt").read_text(encoding="utf-8")
    assert re.search(rf"^ministack=={re.escape(PINNED)}$", requirements, re.MULTILINE)
