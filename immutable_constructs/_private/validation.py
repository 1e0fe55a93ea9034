"""Collect every invalid prop of a construct, then raise one ValidationError."""

from __future__ import annotations

from typing import Any

from aws_cdk import Token
from constructs import IConstruct

from ..errors import Problem, ValidationError


def is_unresolved(value: Any) -> bool:
    """True when ``value`` (or any item of a list) is a CDK token known only at deploy time."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, (list, tuple)):
        return any(is_unresolved(v) for v in value)
    if isinstance(value, (str, int, float)):
        return bool(Token.is_unresolved(value))
    return False


class Problems:
    """Collects problems for one construct; ``raise_if_any`` raises them together.

    Checks whose value is an unresolved token are skipped: the value is only known at
    deploy time, so CloudFormation is the one to judge it.
    """

    def __init__(self, scope: IConstruct) -> None:
        self._path = scope.node.path
        self._problems: list[Problem] = []

    def add(self, prop: str, value: object, reason: str, fix: str) -> None:
        """Record a problem unconditionally."""
        self._problems.append(Problem(prop=prop, value=value, reason=reason, fix=fix))

    def require(
        self, ok: bool, prop: str, value: object, reason: str, fix: str, *, depends_on: tuple[object, ...] = ()
    ) -> None:
        """Record a problem when ``ok`` is false, unless the value or what it is compared with is a token."""
        if ok or is_unresolved(value) or any(is_unresolved(v) for v in depends_on):
            return
        self.add(prop, value, reason, fix)

    def __len__(self) -> int:
        return len(self._problems)

    def raise_if_any(self) -> None:
        """Raise one ValidationError listing every problem, if there were any."""
        if self._problems:
            raise ValidationError(self._path, self._problems)
