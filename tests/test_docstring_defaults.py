"""The "Default:" that each callable's docstring states agrees with its signature's default.

Every callable with a declared props spec (``SPECS``: constructors, factories and methods of every package,
the ones added later included) is checked.

For a prop with a literal default (a bool, number, string, tuple or enum member) the docstring's default says
that value; for a prop that defaults to None it says what None stands for; a required prop says no default.
"""

from __future__ import annotations

import enum
import inspect
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from immutable_constructs._private.props import SPECS

from .props_builders import load_specs

load_specs()

_PARAM = re.compile(r":param (\w+):(.*?)(?=\n\s*:param |\n\s*\n|\Z)", re.S)
_DEFAULT = re.compile(r"Default[:\s]\s*(.*)", re.S)


def _callables() -> Iterator[tuple[str, Callable[..., Any]]]:
    for owner, function in sorted(SPECS.items()):
        yield owner, inspect.unwrap(function)


def documented(owner: str, target: Callable[..., Any]) -> dict[str, str]:
    """``:param name: text`` of the callable's docstring (a constructor's: its class's), whitespace folded."""
    text = target.__doc__ or ""
    if owner.endswith(".__init__"):
        cls = getattr(sys.modules[target.__module__], owner.split(".")[0])
        text = f"{cls.__doc__ or ''}\n\n{text}"
    return {name: " ".join(body.split()) for name, body in _PARAM.findall(inspect.cleandoc(text))}


def _is_factory(default: Any) -> bool:
    """A dataclass field's ``default_factory`` (its signature shows dataclasses' ``<factory>`` marker)."""
    return repr(default) == "<factory>"


def says(default: Any, text: str) -> bool:
    """Whether the docstring's default ``text`` says the signature's ``default``."""
    if isinstance(default, enum.Enum):  # RetentionDays.ONE_YEAR, or in words: "one year"
        words = default.name.replace("_", " ").lower()
        return default.name in text or str(default.value) in text or words in text.lower()
    if isinstance(default, tuple):
        return all(str(item) in text for item in default) if default else "none" in text.lower()
    return str(default) in text


@pytest.mark.parametrize(("owner", "target"), list(_callables()), ids=lambda v: v if isinstance(v, str) else "")
def test_docstring_defaults_agree_with_the_signature(owner: str, target: Callable[..., Any]) -> None:
    params = documented(owner, target)
    wrong = []
    for name, parameter in inspect.signature(target).parameters.items():
        if name in ("self", "cls", "scope", "id") or parameter.kind is parameter.VAR_KEYWORD:
            continue
        if name not in params:
            if parameter.default is not inspect.Parameter.empty and parameter.default is not None:
                wrong.append(f"{name}: not documented, its default {parameter.default!r} unsaid")
            continue
        found = _DEFAULT.search(params[name])
        if parameter.default is inspect.Parameter.empty:
            if found and "required" not in params[name].lower():
                wrong.append(f"{name}: required, but documented with a default ({found.group(1)[:60]!r})")
            continue
        if found is None:
            wrong.append(f"{name}: has a default ({parameter.default!r}) the docstring does not say")
        elif parameter.default is None or _is_factory(parameter.default):
            continue  # None stands for a documented default; a dataclass factory's value is made per instance
        elif not says(parameter.default, found.group(1)):
            wrong.append(f"{name}: docstring says {found.group(1)[:60]!r}, signature {parameter.default!r}")
    assert not wrong, f"{owner}: " + "; ".join(wrong)


def test_every_package_is_checked() -> None:
    packages = {target.__module__.split(".")[1] for _, target in _callables()}
    assert {"access", "drift", "fleet", "functions", "images", "nag"} <= packages, packages
