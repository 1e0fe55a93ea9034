"""What `cdk destroy` leaves behind: the resources of an app kept on delete (``DeletionPolicy: Retain``), by the
library construct that made them, and docs/deploying.md's table of them. Shared by the unit test over every app
(tests/test_docs_behaviour.py) and the emulator's destroy checks (tests/deploy/lifecycle.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aws_cdk import CfnResource, Stack
from constructs import IConstruct

DOC = Path(__file__).resolve().parent.parent / "docs" / "deploying.md"
RETAINED_SECTION = "## What `cdk destroy` leaves behind"


def documented_retained() -> set[tuple[str, str]]:
    """(construct class, path below it) of each row of docs/deploying.md's retained-resources table."""
    text = DOC.read_text()
    assert RETAINED_SECTION in text, f"{DOC.name} lost its section {RETAINED_SECTION!r}"
    section = text.split(RETAINED_SECTION, 1)[1].split("\n## ", 1)[0]
    rows = set()
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith("`") and cells[1].startswith("`"):
            for owner in re.findall(r"`([A-Za-z.]+)`", cells[0]):
                rows.add((owner, cells[1].strip("`")))
    return rows


def is_documented(where: tuple[str, str]) -> bool:
    """``where`` has a row; a row's ``<hash>`` stands for the eight hex digits of a per-fleet scope (Fleet<hash>)."""
    owner, path = where
    return any(
        owner == row_owner and re.fullmatch(re.escape(row_path).replace(re.escape("<hash>"), "[0-9A-F]{8}"), path)
        for row_owner, row_path in documented_retained()
    )


def retained_resources(stack: Stack, template: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Logical id -> (library construct class, path below it) of every resource kept on delete."""
    found: dict[str, tuple[str, str]] = {}
    for node in stack.node.find_all():
        if not isinstance(node, CfnResource):
            continue
        body = template["Resources"].get(stack.get_logical_id(node), {})
        if body.get("DeletionPolicy") != "Retain":
            continue
        owner: IConstruct | None = None
        scope: IConstruct | None = node.node.scope
        while scope is not None and scope is not stack:
            if type(scope).__module__.startswith("immutable_constructs"):
                owner = scope  # the outermost library construct wins
            scope = scope.node.scope
        # Outside the library's constructs: the reference app's own resources (row "app.py").
        base = owner.node.path if owner is not None else stack.node.path
        below = node.node.path[len(base) + 1 :].split("/")
        if below[-1] == "Resource":
            below = below[:-1]
        found[stack.get_logical_id(node)] = (type(owner).__name__ if owner else "app.py", "/".join(below))
    return found
