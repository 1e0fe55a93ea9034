"""The types half of the props specs (``props.py``): whether a value is of a parameter's annotated type."""

from __future__ import annotations

import collections.abc
import inspect
import math
import types
import typing
from collections.abc import Mapping
from typing import Any

from .validation import implements, is_unresolved


def conforms(value: Any, kind: Any) -> bool:
    """True when ``value`` is of the annotated type ``kind`` (tokens pass where their type may be one)."""
    origin = typing.get_origin(kind)
    if kind is Any or kind is object or kind is inspect.Parameter.empty or isinstance(kind, str):
        return True
    if kind is None or kind is type(None):
        return value is None
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, member) for member in typing.get_args(kind))
    if origin is typing.Literal:
        return value in typing.get_args(kind)
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return (isinstance(value, int) and not isinstance(value, bool)) or number_token(value)
    if kind is float:
        return number_token(value) or (
            isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        )
    if kind is str:
        return isinstance(value, str)
    if origin in (collections.abc.Sequence, list, tuple, collections.abc.Iterable):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            return False
        args = [a for a in typing.get_args(kind) if a is not Ellipsis]
        return all(conforms(item, args[0]) for item in value) if args else True
    if origin in (collections.abc.Mapping, dict):
        if not isinstance(value, Mapping):
            return False
        key, item = typing.get_args(kind) or (Any, Any)
        return all(conforms(k, key) and conforms(v, item) for k, v in value.items())
    if origin is collections.abc.Callable or kind is collections.abc.Callable:
        return callable(value)
    if isinstance(kind, type):
        if getattr(kind, "_is_protocol", False):
            if hasattr(kind, "__jsii_type__"):
                return implements(value, kind)
            # a Python protocol (SessionTarget...): has every member it names
            return value is not None and all(hasattr(value, a) for a in typing._get_protocol_attrs(kind))  # type: ignore[attr-defined]
        return isinstance(value, kind)
    return True


def number_token(value: Any) -> bool:
    return isinstance(value, float) and not isinstance(value, bool) and is_unresolved(value)


def evaluate(annotation: Any, namespace: dict[str, Any]) -> Any:
    """The annotation as a type (modules use ``from __future__ import annotations``); a name only
    imported for type checking stays a string, which every value conforms to."""
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, namespace)
    except Exception:
        return annotation
