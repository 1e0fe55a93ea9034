"""``immutable-constructs explain IMM-SSH1`` and ``immutable-constructs docs <name>``: the docs, offline.

Every ``docs/*.md`` ships inside the wheel (``immutable_constructs/docs/<name>.md``, package
data), so the text is the one of the installed release, also where GitHub is out of reach.
No aws_cdk import: no Node needed.
"""

from __future__ import annotations

import re
from importlib import resources

__all__ = ["doc_names", "document", "rule_ids", "rules_markdown", "section", "title"]


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


def doc_names() -> list[str]:
    """The documents shipped in the package (``docs/<name>.md``), by name without ``.md``."""
    folder = resources.files("immutable_constructs").joinpath("docs")
    return sorted(entry.name[: -len(".md")] for entry in folder.iterdir() if entry.name.endswith(".md"))


def document(name: str) -> str | None:
    """The text of ``docs/<name>.md`` as shipped with the installed package, or None when there is none."""
    wanted = name.strip().removesuffix(".md").removeprefix("docs/")
    if wanted not in doc_names():
        return None
    return resources.files("immutable_constructs").joinpath("docs", f"{wanted}.md").read_text(encoding="utf-8")


def title(markdown: str) -> str:
    """A document's first heading, without the ``#``."""
    return next((line.lstrip("#").strip() for line in markdown.splitlines() if line.startswith("# ")), "")
