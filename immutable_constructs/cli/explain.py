"""``immutable-constructs explain IMM-SSH1``: a rule's section of docs/rules.md, offline.

docs/rules.md ships inside the wheel (``immutable_constructs/docs/rules.md``, package data),
so the text is the one of the installed release. No aws_cdk import: no Node needed.
"""

from __future__ import annotations

import re
from importlib import resources

__all__ = ["rules_markdown", "section"]


def rules_markdown() -> str:
    """docs/rules.md as shipped with the installed package."""
    return resources.files("immutable_constructs").joinpath("docs", "rules.md").read_text(encoding="utf-8")


def section(rule_id: str, markdown: str | None = None) -> str | None:
    """The ``## <rule id>`` section (heading to the next ``## ``), or None when there is none."""
    text = rules_markdown() if markdown is None else markdown
    wanted = rule_id.strip().upper()
    if "::" in wanted:  # an acknowledgement id: ImmutableInfrastructureChecks::IMM-SSH1
        wanted = wanted.rsplit("::", 1)[1]
    lines = text.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if re.fullmatch(rf"##\s+{re.escape(wanted)}\s*", line.upper())), None
    )
    if start is None:
        return None
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "\n".join(lines[start:end]).rstrip() + "\n"


def rule_ids(markdown: str | None = None) -> list[str]:
    """Every rule id with a section in docs/rules.md."""
    text = rules_markdown() if markdown is None else markdown
    return re.findall(r"^##\s+(IMM-[A-Z]+\d+)\s*$", text, flags=re.MULTILINE)
