"""Where in the user's own source a finding's construct was created, for SARIF locations.

The CDK records construct-creation stack traces only when the context key
``aws:cdk:disable-stack-trace`` is false (the CDK CLI sets it to true unless run with
``cdk synth --debug``), and for a Python app those traces hold the jsii kernel's
JavaScript frames, never the app's ``.py`` lines. So the
report maps a construct path back to source the way a reader would: it looks for the
construct id as a string literal (``Fleet(self, "Web", ...)`` for ``Prod/Web/Asg``) in
the app's ``.py`` files, deepest id first, and falls back to the app's entry file (the
``app`` command of ``cdk.json``). The construct path itself is always kept as the
SARIF logical location.

No aws_cdk import here: the ``immutable-constructs`` CLI runs without Node.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["Locations", "SourceMap", "TemplateLines", "entry_file"]

#: Folders that never hold the app's own source.
_SKIP = frozenset({"node_modules", "cdk.out", "build", "dist", "__pycache__", "venv", "env", "site-packages"})
#: Ids the CDK gives to a construct's default child: they name no line of the app.
_GENERIC = frozenset({"Resource", "Default"})
_MAX_FILES = 2000


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
    """Construct path -> (file, line) in the app's Python source."""

    def __init__(self, app_dir: Path, fallback: Path) -> None:
        self._app_dir = app_dir
        self.fallback = fallback
        self._sources: list[tuple[Path, list[str]]] | None = None
        self._cache: dict[str, tuple[Path, int] | None] = {}

    def _files(self) -> list[tuple[Path, list[str]]]:
        if self._sources is None:
            found: list[tuple[Path, list[str]]] = []
            for folder, dirs, files in os.walk(self._app_dir):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP and "cdk.out" not in d)
                for name in sorted(files):
                    if name.endswith(".py") and len(found) < _MAX_FILES:
                        path = Path(folder) / name
                        try:
                            found.append((path, path.read_text(encoding="utf-8").splitlines()))
                        except (OSError, UnicodeDecodeError):
                            continue
            # The entry file first: its ids win over a test file's copy of the same literal.
            found.sort(key=lambda item: (item[0].resolve() != self.fallback.resolve(), "test" in item[0].name))
            self._sources = found
        return self._sources

    def _find(self, construct_id: str) -> tuple[Path, int] | None:
        if construct_id not in self._cache:
            literal = re.compile(r"""(["'])""" + re.escape(construct_id) + r"\1")
            as_argument = re.compile(r""",\s*(["'])""" + re.escape(construct_id) + r"\1")
            first: tuple[Path, int] | None = None
            best: tuple[Path, int] | None = None
            for path, lines in self._files():
                for number, text in enumerate(lines, start=1):
                    if text.lstrip().startswith("#") or not literal.search(text):
                        continue
                    first = first or (path, number)
                    if as_argument.search(text):  # Construct(scope, "Id", ...): where it is created
                        best = (path, number)
                        break
                if best:
                    break
            self._cache[construct_id] = best or first
        return self._cache[construct_id]

    def line_text(self, path: Path, line: int) -> str | None:
        """The text of ``line`` of a file found by :meth:`locate` (for a SARIF snippet)."""
        for source, lines in self._files():
            if source == path and 0 < line <= len(lines):
                return lines[line - 1]
        return None

    def locate(self, construct_path: str) -> tuple[Path, int | None]:
        """The line that creates the deepest named construct of ``construct_path``, else the entry file."""
        ids = [part for part in construct_path.split("/") if part and part not in _GENERIC]
        for construct_id in reversed(ids):
            hit = self._find(construct_id)
            if hit:
                return hit
        return self.fallback, None


class TemplateLines:
    """The line of each logical id in each template (so an alert points at the resource)."""

    def __init__(self, cdk_out: Path) -> None:
        self._cdk_out = cdk_out
        self._cache: dict[str, list[str]] = {}

    def line(self, template_path: str, logical_id: str) -> int | None:
        if template_path not in self._cache:
            try:
                self._cache[template_path] = (self._cdk_out / template_path).read_text(encoding="utf-8").splitlines()
            except OSError:
                self._cache[template_path] = []
        needle = f"{json.dumps(logical_id)}: {{"
        for number, text in enumerate(self._cache[template_path], start=1):
            if text.strip().startswith(needle):
                return number
        return None


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
