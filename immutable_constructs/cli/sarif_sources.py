"""Where in the user's own source a finding's construct was created, for SARIF locations.

The library's own constructs record the ``file:line`` of the user's code that created them
in their construct metadata (``immutable-constructs:origin``); a finding on any construct
below one of them points at that line. The CDK's own construct-creation stack traces are
used when they hold a ``.py`` frame, which is rare: they are recorded only when the context
key ``aws:cdk:disable-stack-trace`` is false (the CDK CLI sets it to true unless run with
``cdk synth --debug``), and for a Python app they hold the jsii kernel's JavaScript frames.
For every other construct the report maps its path back to source the way a reader would:
it looks for the construct id as a string literal (``SecurityGroup(self, "Open", ...)``)
in the app's ``.py`` files, deepest id first, and falls back to the app's entry file (the
``app`` command of ``cdk.json``). The construct path is always kept as the SARIF logical
location.

No aws_cdk import here: the ``immutable-constructs`` CLI runs without Node.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..nag._run_record import ORIGIN_METADATA
from ._inputs import read_text

__all__ = ["Locations", "SourceMap", "TemplateLines", "entry_file"]

#: Folders that never hold the app's own source.
_SKIP = frozenset({"node_modules", "cdk.out", "build", "dist", "__pycache__", "venv", "env", "site-packages"})
#: Ids the CDK gives to a construct's default child: they name no line of the app.
_GENERIC = frozenset({"Resource", "Default"})
_MAX_FILES = 2000
#: A string literal on one line (no escapes of its own quote: construct ids have none).
_LITERAL = re.compile(r"""(["'])([^"'\\\n]*)\1""")
#: What comes right before a construct id passed as an argument: ``Construct(scope, `` .
_ARGUMENT = re.compile(r",\s*$")
#: A Python frame in a stack trace: ``(/app/stacks.py:42)`` or ``File "/app/stacks.py", line 42``.
_PY_FRAME = re.compile(r"""([^\s("']+\.py)(?::|", line )(\d+)""")
#: ``    "LogicalId": {`` in a template the CDK wrote (indented JSON, one key per line).
_RESOURCE_LINE = re.compile(r'^\s*("(?:[^"\\]|\\.)*"): \{\s*$')


def entry_file(app_dir: Path) -> Path | None:
    """The ``.py`` file of ``cdk.json``'s ``app`` command (``python3 app.py`` -> ``app.py``), if any."""
    try:
        config = json.loads((app_dir / "cdk.json").read_text(encoding="utf-8"))
        words = shlex.split(str(config.get("app", "")))
    except (OSError, ValueError, AttributeError):
        return None
    for word in words:
        if word.endswith(".py"):
            return app_dir / word
    return None


class SourceMap:
    """Construct path -> (file, line) in the app's Python source.

    Where a construct was created is taken, in this order, from the cloud assembly (the
    library's constructs record their caller's ``file:line`` as ``immutable-constructs:origin``
    metadata, see ``_private/origin.py``; a CDK stack trace with ``.py`` frames counts too),
    then from the construct ids written as string literals in the app's ``.py`` files, then
    the entry file. The sources are read and indexed once: each lookup is a dict access.
    """

    def __init__(self, app_dir: Path, fallback: Path, *, cdk_out: Path | None = None) -> None:
        self._app_dir = app_dir
        self.fallback = fallback
        self._cdk_out = cdk_out
        self._lines: dict[Path, list[str]] | None = None
        self._literals: dict[str, tuple[Path, int]] = {}
        self._arguments: dict[str, tuple[Path, int]] = {}
        self._origins: dict[str, tuple[Path, int]] | None = None

    def _files(self) -> dict[Path, list[str]]:
        if self._lines is None:
            found: list[tuple[Path, list[str]]] = []
            for folder, dirs, files in os.walk(self._app_dir):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP and "cdk.out" not in d)
                for name in sorted(files):
                    if name.endswith(".py") and len(found) < _MAX_FILES:
                        path = Path(folder) / name
                        try:
                            found.append((path, path.read_text(encoding="utf-8").splitlines()))
                        except (OSError, UnicodeDecodeError):  # the app's own files: skip what is not source
                            continue
            # The entry file first: its ids win over a test file's copy of the same literal.
            fallback = self.fallback.resolve()
            found.sort(key=lambda item: (item[0].resolve() != fallback, "test" in item[0].name))
            for path, lines in found:
                self._index(path, lines)
            self._lines = dict(found)
        return self._lines

    def _index(self, path: Path, lines: list[str]) -> None:
        for number, text in enumerate(lines, start=1):
            if text.lstrip().startswith("#") or ('"' not in text and "'" not in text):
                continue
            for match in _LITERAL.finditer(text):
                value = match.group(2)
                self._literals.setdefault(value, (path, number))
                if _ARGUMENT.search(text[: match.start()]):  # Construct(scope, "Id", ...): where it is created
                    self._arguments.setdefault(value, (path, number))

    def _recorded(self) -> dict[str, tuple[Path, int]]:
        if self._origins is None:
            self._origins = {} if self._cdk_out is None else recorded_origins(self._cdk_out)
        return self._origins

    def line_text(self, path: Path, line: int) -> str | None:
        """The text of ``line`` of a file found by :meth:`locate` (for a SARIF snippet)."""
        lines = self._files().get(path)
        if lines is None:
            with contextlib.suppress(OSError, UnicodeDecodeError):
                lines = path.read_text(encoding="utf-8").splitlines()
                self._files()[path] = lines
        if lines is not None and 0 < line <= len(lines):
            return lines[line - 1]
        return None

    def locate(self, construct_path: str) -> tuple[Path, int | None]:
        """The line that creates the deepest construct of ``construct_path`` whose creation was
        recorded, else the line that passes the deepest named id as a construct argument (else
        its first literal), else the entry file."""
        parts = [part for part in construct_path.split("/") if part]
        recorded = self._recorded()
        for end in range(len(parts), 0, -1):
            hit = recorded.get("/".join(parts[:end]))
            if hit:
                return hit
        self._files()
        ids = [part for part in parts if part not in _GENERIC]
        for construct_id in reversed(ids):
            hit = self._arguments.get(construct_id) or self._literals.get(construct_id)
            if hit:
                return hit
        return self.fallback, None


def recorded_origins(cdk_out: Path) -> dict[str, tuple[Path, int]]:
    """Construct path -> where the app created it, from every stack's metadata in the assembly
    (nested assemblies of Stages included). A file that cannot be read gives no origins: the
    source search still places its findings."""
    origins: dict[str, tuple[Path, int]] = {}
    for folder, dirs, files in os.walk(cdk_out):
        dirs[:] = sorted(d for d in dirs if d.startswith("assembly-"))
        if "manifest.json" not in files:
            continue
        manifest = _json(Path(folder) / "manifest.json")
        artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
        for artifact in (artifacts or {}).values() if isinstance(artifacts, dict) else ():
            if not isinstance(artifact, dict):
                continue
            metadata = artifact.get("metadata")
            if metadata is None and isinstance(artifact.get("additionalMetadataFile"), str):
                metadata = _json(Path(folder) / artifact["additionalMetadataFile"])
            for path, entries in (metadata or {}).items() if isinstance(metadata, dict) else ():
                hit = _origin(entries)
                if hit is not None:
                    origins.setdefault(str(path).strip("/"), hit)
    return origins


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None


def _origin(entries: object) -> tuple[Path, int] | None:
    """The first ``immutable-constructs:origin`` entry, else the first ``.py`` frame of a trace."""
    if not isinstance(entries, list):
        return None
    for entry in entries:
        if isinstance(entry, dict) and entry.get("type") == ORIGIN_METADATA and isinstance(entry.get("data"), dict):
            file, line = entry["data"].get("file"), entry["data"].get("line")
            if isinstance(file, str) and isinstance(line, int) and not isinstance(line, bool) and line > 0:
                return Path(file), line
    for entry in entries:
        for frame in (entry.get("trace") or []) if isinstance(entry, dict) else []:
            match = _PY_FRAME.search(str(frame))
            if match and "site-packages" not in match.group(1) and "immutable_constructs" not in match.group(1):
                return Path(match.group(1)), int(match.group(2))
    return None


class TemplateLines:
    """The line of each logical id in each template (so an alert points at the resource).

    Each template is read and indexed once; a template that exists but is not UTF-8 is an
    InputError (the report fails closed), one that is gone just has no lines.
    """

    def __init__(self, cdk_out: Path) -> None:
        self._cdk_out = cdk_out
        self._index: dict[str, dict[str, int]] = {}

    def line(self, template_path: str, logical_id: str) -> int | None:
        if template_path not in self._index:
            path = self._cdk_out / template_path
            if not path.exists():  # an absolute path from the machine that synthesized (a CI artifact)
                name = Path(template_path)
                moved = [self._cdk_out / name.name, self._cdk_out / name.parent.name / name.name]
                path = next((p for p in moved if p.is_file()), path)
            index: dict[str, int] = {}
            if path.exists():
                for number, text in enumerate(read_text(path, "template").splitlines(), start=1):
                    match = _RESOURCE_LINE.match(text)
                    if match:
                        with contextlib.suppress(ValueError):  # a bad escape names no logical id
                            index.setdefault(json.loads(match.group(1)), number)
            self._index[template_path] = index
        return self._index[template_path].get(logical_id)


class Locations:
    """Turns a construct and its template resource into SARIF locations."""

    def __init__(self, lines: TemplateLines, cdk_out: Path, sources: SourceMap, base: Path) -> None:
        self.lines, self.cdk_out, self.sources, self.base = lines, cdk_out, sources, base

    def uri(self, path: Path) -> str:
        try:
            return Path(os.path.relpath(path.resolve(), self.base)).as_posix()
        except ValueError:  # another drive (Windows)
            return path.resolve().as_uri()

    def source(self, construct_path: str) -> dict[str, Any]:
        path, line = self.sources.locate(construct_path) if construct_path else (self.sources.fallback, None)
        physical: dict[str, Any] = {"artifactLocation": {"uri": self.uri(path)}}
        physical["region"] = {"startLine": line or 1}
        snippet = self.sources.line_text(path, line) if line else None
        if snippet is not None:
            physical["region"]["snippet"] = {"text": snippet}
        return physical

    def template(self, resource: Mapping[str, Any]) -> dict[str, Any] | None:
        if not resource.get("templatePath"):
            return None
        template = str(resource["templatePath"])
        physical: dict[str, Any] = {"artifactLocation": {"uri": self.uri(self.cdk_out / template)}}
        line = self.lines.line(template, str(resource.get("logicalId", "")))
        if line is not None:
            physical["region"] = {"startLine": line}
        return physical
