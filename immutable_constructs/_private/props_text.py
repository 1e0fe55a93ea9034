"""Words and numbers of the props specs (``props.py``): a type in words for messages, and a whole
duration rendered for a template (a token as a token, never ``int()``-converted)."""

from __future__ import annotations

import collections.abc
import types
import typing
from typing import Any

from aws_cdk import Duration, Token

from .validation import is_unresolved


def describe(kind: Any) -> str:
    """``kind`` in words, for messages: "a whole number", "a Duration", "a list of ec2.IVpc"..."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        members = [m for m in typing.get_args(kind) if m is not type(None)]
        text = " or ".join(describe(m) for m in members)
        return f"{text} (or None)" if len(members) < len(typing.get_args(kind)) else text
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(kind))
    if origin in (collections.abc.Sequence, list, tuple, collections.abc.Iterable):
        args = [a for a in typing.get_args(kind) if a is not Ellipsis]
        return f"a list of {describe(args[0])}" if args else "a list"
    if origin in (collections.abc.Mapping, dict):
        key, item = typing.get_args(kind) or (Any, Any)
        return "a dict" if key is Any else f"a dict of {describe(key)} to {describe(item)}"
    names = {bool: "True or False", int: "a whole number", float: "a finite number", str: "a string"}
    if kind in names:
        return names[kind]
    if isinstance(kind, type):
        module = kind.__module__.replace("aws_cdk.aws_", "").replace("aws_cdk", "cdk").split(".")[0]
        prefix = "" if module.startswith("immutable_constructs") or module == "pathlib" else f"{module}."
        return f"a {prefix}{kind.__name__}"
    return str(kind)


def whole(duration: Duration, unit: str = "seconds") -> int | float:
    """``duration`` as a whole number of ``unit`` for a template; a token is rendered, never ``int()``-converted
    (``int(token)`` is a meaningless number). The spec's whole-unit check ran before this."""
    value = getattr(duration, f"to_{unit}")()
    return value if is_unresolved(value) else int(value)


def whole_text(duration: Duration, unit: str = "seconds") -> str:
    """:func:`whole` as text (custom-resource properties and environment variables are strings)."""
    value = whole(duration, unit)
    return Token.as_string(value) if is_unresolved(value) else str(value)
