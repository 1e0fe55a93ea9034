"""`immutable-constructs report` and `explain` on hostile input: a generated table per input file.

Every file the report reads is broken in every way a crashed synth, a full disk or a foreign
artifact can break it (truncated at several points, NUL-filled, empty, Latin-1, the wrong JSON
shape, a folder in its place), and every way `--sarif` can point nowhere. Each case must give
exit 2, exactly one line on stderr naming the problem, no traceback, and no SARIF file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from immutable_constructs.cli import BROKEN_PIPE, NO_ASSEMBLY, main

from ..conftest import ROOT
from .test_cli_assembly import synth

Mutation = Callable[[Path], None]


def _truncate(fraction: float) -> Mutation:
    def cut(path: Path) -> None:
        data = path.read_bytes().rstrip()
        path.write_bytes(data[: max(1, min(len(data) - 1, int(len(data) * fraction)))])

    return cut


def _nul(path: Path) -> None:
    path.write_bytes(b"\x00" * max(1, path.stat().st_size))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _latin1(path: Path) -> None:
    # The same JSON with one string holding "é", written as Latin-1 instead of UTF-8.
    text = path.read_text(encoding="utf-8")
    brace = text.index("{") + 1
    path.write_bytes((text[:brace] + '"note": "caf\u00e9",' + text[brace:]).encode("latin-1"))


def _utf16(path: Path) -> None:
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))


def _list_shaped(path: Path) -> None:
    path.write_text(json.dumps([json.loads(path.read_text())]))


def _scalar(path: Path) -> None:
    path.write_text('"a string"')


def _folder(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "inside.json").write_text("{}")


def _deep(path: Path) -> None:
    path.write_text("[" * 100_000 + "]" * 100_000)


def _replace_key(key: str, value: object) -> Mutation:
    def replace(path: Path) -> None:
        body = json.loads(path.read_text())
        body[key] = value
        path.write_text(json.dumps(body))

    return replace


#: Ways to break any JSON file the CDK or the pack writes.
BROKEN_JSON: dict[str, Mutation] = {
    "truncated to 1 byte": _truncate(0.0),
    "truncated at 25%": _truncate(0.25),
    "truncated at 50%": _truncate(0.5),
    "truncated by its last byte": _truncate(1.0),
    "NUL-filled": _nul,
    "empty": _empty,
    "Latin-1": _latin1,
    "UTF-16": _utf16,
    "list-shaped": _list_shaped,
    "a JSON string": _scalar,
    "a folder": _folder,
    "nested 100,000 deep": _deep,
}
#: Per file: what it is called in the error, and the shape breaks specific to it.
FILES: dict[str, tuple[str, dict[str, Mutation]]] = {
    "manifest.json": (
        "manifest",
        {"version missing": _replace_key("version", None), "version a number": _replace_key("version", 48)},
    ),
    "validation-report.json": (
        "validation report",
        {
            "pluginReports an object": _replace_key("pluginReports", {}),
            "pluginReports of strings": _replace_key("pluginReports", ["AwsSolutions"]),
            "a plugin without a name": _replace_key("pluginReports", [{"violations": []}]),
            "violations an object": _replace_key(
                "pluginReports", [{"pluginName": "X", "violations": {"ruleName": "R"}}]
            ),
            "violatingConstructs of strings": _replace_key(
                "pluginReports", [{"pluginName": "X", "violations": [{"violatingConstructs": ["a/b"]}]}]
            ),
        },
    ),
    "immutable-constructs-run.json": (
        "run record",
        {
            "registeredPlugins missing": _replace_key("registeredPlugins", None),
            "registeredPlugins a string": _replace_key("registeredPlugins", "AwsSolutions"),
        },
    ),
    "Guide.template.json": (
        "template",
        {"NUL-filled": _nul, "empty": _empty, "Latin-1": _latin1, "UTF-16": _utf16, "a folder": _folder},
    ),
}


def _cases() -> list[object]:
    cases = []
    for file, (what, specific) in FILES.items():
        # A template is read for line numbers only, never parsed: its table is its own.
        mutations = specific if file.endswith(".template.json") else {**BROKEN_JSON, **specific}
        for name, mutate in mutations.items():
            cases.append(pytest.param(file, what, mutate, id=f"{file}: {name}"))
    return cases


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh assembly with a finding, its report's template paths made relative (so a copy is self-contained)."""
    cdk_out = tmp_path_factory.mktemp("pristine") / "cdk.out"
    synth(cdk_out, findings=True)
    report = cdk_out / "validation-report.json"
    body = json.loads(report.read_text())
    for plugin in body["pluginReports"]:
        for violation in plugin.get("violations") or []:
            for construct in violation.get("violatingConstructs") or []:
                resource = construct.get("cloudFormationResource") or {}
                if "templatePath" in resource:
                    resource["templatePath"] = Path(resource["templatePath"]).name
    report.write_text(json.dumps(body, indent=2))
    return cdk_out


def fresh_copy(pristine: Path, tmp_path: Path) -> Path:
    cdk_out = tmp_path / "cdk.out"
    shutil.copytree(pristine, cdk_out)
    # copytree keeps mtimes: make every file of the copy as fresh as its manifest, as a synth leaves them.
    stamp = (cdk_out / "manifest.json").stat().st_mtime_ns
    for path in cdk_out.rglob("*"):
        os.utime(path, ns=(stamp, stamp))
    return cdk_out


def test_the_pristine_copy_is_reported(pristine: Path, tmp_path: Path) -> None:
    # The table below means something only because the unbroken copy converts fine.
    target = tmp_path / "out.sarif"
    assert main(["report", str(fresh_copy(pristine, tmp_path)), "--sarif", str(target)]) == 0
    (result,) = json.loads(target.read_text())["runs"][0]["results"]
    assert result["relatedLocations"][0]["physicalLocation"]["region"]["startLine"] > 1


def assert_one_line(err: str, *words: str) -> None:
    assert "Traceback" not in err, err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    for word in words:
        assert word in err, err


@pytest.mark.parametrize(("file", "what", "mutate"), _cases())
def test_a_broken_input_file_fails_closed(
    pristine: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], file: str, what: str, mutate: Mutation
) -> None:
    cdk_out = fresh_copy(pristine, tmp_path)
    target = tmp_path / "out.sarif"
    mutate(cdk_out / file)
    assert main(["report", str(cdk_out), "--sarif", str(target), "--fail-on", "none"]) == NO_ASSEMBLY
    assert not target.exists()
    assert_one_line(capsys.readouterr().err, what, file, "No SARIF written")


def _missing_folder(tmp_path: Path) -> Path:
    return tmp_path / "no" / "such" / "folder" / "out.sarif"


def _onto_a_folder(tmp_path: Path) -> Path:
    (tmp_path / "results").mkdir()
    return tmp_path / "results"


def _below_a_file(tmp_path: Path) -> Path:
    (tmp_path / "plain").write_text("not a folder")
    return tmp_path / "plain" / "sub" / "out.sarif"


@pytest.mark.parametrize(
    ("make_target", "words"),
    [
        pytest.param(_missing_folder, "does not exist", id="into a missing folder"),
        pytest.param(_onto_a_folder, "is a folder", id="onto a folder"),
        pytest.param(_below_a_file, "is a file", id="below a regular file"),
    ],
)
def test_an_unwritable_sarif_target_fails_before_the_work(
    pristine: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], make_target: Callable[[Path], Path], words: str
) -> None:
    target = make_target(tmp_path)
    assert main(["report", str(fresh_copy(pristine, tmp_path)), "--sarif", str(target)]) == NO_ASSEMBLY
    assert not target.is_file()
    assert_one_line(capsys.readouterr().err, "--sarif", words)


@pytest.mark.parametrize("argv", [["explain", "IMM-SSH1"], ["report", "{cdk_out}"], ["--help"], ["report", "--help"]])
def test_a_closed_stdout_is_one_line_not_a_traceback(argv: list[str], pristine: Path, tmp_path: Path) -> None:
    # `immutable-constructs explain IMM-SSH1 | head`: the reader is gone before the writer is done.
    args = [str(fresh_copy(pristine, tmp_path)) if a == "{cdk_out}" else a for a in argv]
    read, write = os.pipe()
    os.close(read)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "immutable_constructs.cli", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    finally:
        os.close(write)
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr, run.stderr
    if "--help" in argv:  # argparse swallows the error of its own help output and exits 0: no traceback either
        assert run.returncode == 0 and run.stderr == ""
    else:
        assert run.returncode == BROKEN_PIPE
        assert_one_line(run.stderr, "broken pipe")
