"""Every rule of the catalog has its own test module here, named after its rule module."""

from __future__ import annotations

from pathlib import Path

from immutable_constructs.nag import RULES


def test_every_rule_module_has_a_test_module() -> None:
    here = Path(__file__).parent
    missing = sorted(
        f"{r.id}: test_{r.evaluate.__module__.rsplit('.', 1)[-1]}.py"
        for r in RULES
        if not (here / f"test_{r.evaluate.__module__.rsplit('.', 1)[-1]}.py").exists()
    )
    assert missing == [], missing
