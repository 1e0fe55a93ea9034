"""Reading the cloud assembly's files and writing the SARIF log, failing closed.

Every file the report reads is untrusted: a synth that crashed half-way, a disk that filled up,
an artifact downloaded from another job. Each reader either returns the parsed content in the
shape the report needs or raises :class:`InputError` with one sentence that names the file and
what is wrong with it; the command turns that into one line on stderr and exit 2, and writes
no SARIF (an empty or partial log would close every open code-scanning alert).

No aws_cdk import here: the ``immutable-constructs`` CLI runs without Node.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["InputError", "read_json_object", "read_text", "write_atomically"]


class InputError(Exception):
    """A file the report needs is missing, unreadable or not what the CDK writes."""


def read_text(path: Path, what: str) -> str:
    """The UTF-8 text of ``path`` (``what`` names the file in the error)."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise InputError(f"{what} {path} is a folder, not a file") from None
    except FileNotFoundError:
        raise InputError(f"{what} {path} does not exist") from None
    except OSError as error:
        raise InputError(f"{what} {path} cannot be read: {error.strerror or error}") from None
    if not data.strip(b"\x00 \t\r\n"):
        raise InputError(f"{what} {path} is empty (or only NUL bytes): the write that made it did not finish")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{what} {path} is not UTF-8 (byte {error.start} is {data[error.start]:#04x}): "
            "the CDK writes UTF-8, so this is not its file"
        ) from None


def read_json_object(path: Path, what: str, *, required: Mapping[str, type | tuple[type, ...]]) -> dict[str, Any]:
    """The JSON object in ``path``; each key of ``required`` must be present with that type."""
    text = read_text(path, what)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        cut = " (it ends early: truncated?)" if error.pos >= len(text.rstrip()) else ""
        raise InputError(
            f"{what} {path} is not valid JSON at line {error.lineno} column {error.colno}: {error.msg}{cut}"
        ) from None
    except RecursionError:
        raise InputError(f"{what} {path} nests too deeply to be a CDK file") from None
    if not isinstance(value, dict):
        raise InputError(f"{what} {path} holds a JSON {_kind(value)}, not the object the CDK writes")
    for key, kind in required.items():
        if not isinstance(value.get(key), kind):
            got = "missing" if key not in value else f"a {_kind(value[key])}"
            raise InputError(f"{what} {path}: {key!r} is {got}, not what the CDK writes")
    return value


def _kind(value: object) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def check_target(target: Path) -> None:
    """Fail before any work when the SARIF file cannot be written where it was asked for."""
    folder = target.parent
    if target.is_dir():
        raise InputError(f"--sarif {target} is a folder: name a file, e.g. {target / 'findings.sarif'}")
    for parent in (folder, *folder.parents):
        if parent.exists() and not parent.is_dir():
            raise InputError(f"--sarif {target}: {parent} is a file, so nothing can be written below it")
        if parent.exists():
            break
    if not folder.is_dir():
        raise InputError(f"--sarif {target}: the folder {folder} does not exist (create it first)")
    if not os.access(folder, os.W_OK):
        raise InputError(f"--sarif {target}: the folder {folder} is not writable")


def write_atomically(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` in one step (a temporary file renamed over it), so a reader
    never sees half a log and a failed write leaves the previous file alone."""
    check_target(target)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(f"--sarif {target} cannot be written: {error.strerror or error}") from None


def check_report_shape(report: Mapping[str, Any], path: Path) -> None:
    """The nesting :func:`~.sarif.to_sarif` walks: lists of objects all the way down."""
    plugins = report.get("pluginReports")
    if not isinstance(plugins, list):
        raise InputError(f"validation report {path}: 'pluginReports' is not a list")
    for number, plugin in enumerate(plugins):
        where = f"validation report {path}: pluginReports[{number}]"
        if not isinstance(plugin, dict) or not isinstance(plugin.get("pluginName"), str):
            raise InputError(f"{where} is not a plugin report with a pluginName")
        for key in ("violations", "suppressedViolations"):
            violations = plugin.get(key)
            if violations is None:
                continue
            if not isinstance(violations, list) or not all(isinstance(v, dict) for v in violations):
                raise InputError(f"{where}.{key} is not a list of objects")
            for violation in violations:
                constructs = violation.get("violatingConstructs")
                if constructs is None:
                    continue
                if not isinstance(constructs, list) or not all(
                    isinstance(c, dict) and isinstance(c.get("cloudFormationResource") or {}, dict) for c in constructs
                ):
                    raise InputError(f"{where}.{key}[].violatingConstructs is not a list of objects")
