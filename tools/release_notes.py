"""The CHANGELOG.md section of a release: its notes on GitHub, and the versioning check.

    python tools/release_notes.py                 # notes of the version in .projenrc.py
    python tools/release_notes.py --tag v0.2.0    # also fail unless the tag is that version

Fails (exit 1) when CHANGELOG.md has no ``## [X.Y.Z] - YYYY-MM-DD`` section for the version,
or when the section is empty. tests/test_release.py runs the same check on every `make test`.
"""

from __future__ import annotations

import argparse
import datetime
import re
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\S+))?\s*$", re.MULTILINE)


class ReleaseError(Exception):
    """The CHANGELOG or the tag does not fit the version being released."""


def package_version() -> str:
    return str(runpy.run_path(str(ROOT / "immutable_constructs" / "_version.py"))["__version__"])


def changelog_section(changelog: str, version: str) -> str:
    """The body of ``## [version] - date`` (without the heading), or ReleaseError."""
    headings = list(_HEADING.finditer(changelog))
    for index, heading in enumerate(headings):
        if heading["version"] != version:
            continue
        if heading["date"] is None:
            raise ReleaseError(f"CHANGELOG.md: '## [{version}]' has no date: write '## [{version}] - YYYY-MM-DD'")
        try:
            datetime.date.fromisoformat(heading["date"])
        except ValueError:
            raise ReleaseError(
                f"CHANGELOG.md: '## [{version}] - {heading['date']}': the date is not YYYY-MM-DD"
            ) from None
        end = headings[index + 1].start() if index + 1 < len(headings) else len(changelog)
        body = changelog[heading.end() : end].strip()
        # Link reference definitions at the end of the file are not part of the section.
        body = re.sub(r"(?m)^\[[^\]]+\]: \S+\s*$", "", body).strip()
        if not body:
            raise ReleaseError(f"CHANGELOG.md: the section for {version} is empty")
        return body
    raise ReleaseError(
        f"CHANGELOG.md has no section '## [{version}] - YYYY-MM-DD' for the version in .projenrc.py: "
        "move the Unreleased entries under it when cutting the release (CONTRIBUTING.md)"
    )


def check_tag(tag: str, version: str) -> None:
    if tag != f"v{version}":
        raise ReleaseError(f"tag {tag} does not match the package version {version} (expected v{version})")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", help="the pushed tag (vX.Y.Z); must match the package version")
    parser.add_argument("--changelog", type=Path, default=ROOT / "CHANGELOG.md")
    args = parser.parse_args(argv)
    version = package_version()
    try:
        if args.tag is not None:
            check_tag(args.tag, version)
        print(changelog_section(args.changelog.read_text(encoding="utf-8"), version))
    except ReleaseError as error:
        print(f"release_notes: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
