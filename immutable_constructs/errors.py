"""The library's error type."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Problem", "ValidationError"]


@dataclass(frozen=True)
class Problem:
    """One invalid prop: which prop, the value it had, what is wrong and how to fix it."""

    prop: str
    value: object
    reason: str
    fix: str

    def __str__(self) -> str:
        return f"{self.prop}={self.value!r}: {self.reason}. Fix: {self.fix}"


class ValidationError(ValueError):
    """Raised at synth time when a construct is given props it cannot honour.

    Every problem found in one construct is collected and reported together, so a user
    fixes them in one pass. ``construct_path`` is the construct's path in the tree and
    ``problems`` lists each prop, its value, what is wrong and the fix.
    """

    def __init__(self, construct_path: str, problems: Sequence[Problem]) -> None:
        self.construct_path = construct_path
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{construct_path}: {count} invalid prop {noun}:"]
        lines.extend(f"  - {p}" for p in self.problems)
        super().__init__("\n".join(lines))
