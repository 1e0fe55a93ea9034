"""Reading CloudFormation values that may be intrinsic functions, in plain Python."""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Iterator
from typing import Any

from ._model import Template

#: Stands in for a part of a string that is known only at deploy time.
UNKNOWN = "\x00"

_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


def sub_parts(argument: Any) -> tuple[str, dict[str, Any]] | None:
    """``Fn::Sub``'s string and variables (``"body"`` or ``["body", {variables}]``), or None for any other shape."""
    if isinstance(argument, str):
        return argument, {}
    if isinstance(argument, list) and len(argument) == 2:
        body, variables = argument
        if isinstance(body, str) and isinstance(variables, dict):
            return body, variables
    return None


def text(value: Any, template: Template) -> str:
    """``value`` as a string, intrinsic parts replaced by :data:`UNKNOWN`.

    ``Fn::Join``, ``Fn::Sub`` and ``Fn::Base64`` are flattened; a ``Ref`` to a template
    parameter becomes its ``Default`` when it has one, except for a parameter of an SSM type
    (``AWS::SSM::Parameter::Value<...>``), whose default is the name of the SSM parameter that
    CloudFormation reads at deploy time, not the value; every other intrinsic is unknown.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict) and len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            delimiter, parts = argument
            if isinstance(delimiter, str) and isinstance(parts, list):
                return delimiter.join(text(part, template) for part in parts)
        if name == "Fn::Base64":
            return text(argument, template)
        parts = sub_parts(argument) if name == "Fn::Sub" else None
        if parts is not None:
            body, variables = parts
            return _SUB_VARIABLE.sub(
                lambda m: text(variables[m.group(1)], template) if m.group(1) in variables else UNKNOWN, body
            )
        if name == "Ref" and isinstance(argument, str):
            parameter = template.parameters.get(argument) or {}
            default = parameter.get("Default")
            ssm = str(parameter.get("Type", "")).startswith("AWS::SSM::Parameter::Value<")
            if default is not None and not ssm and not argument.startswith("AWS::"):
                return text(default, template)
    return UNKNOWN


#: The strings CloudFormation takes for a Boolean property (cfn-lint, helpers.BOOLEAN_STRINGS_TRUE/FALSE).
TRUE_STRINGS = frozenset({"true", "True", "TRUE"})
FALSE_STRINGS = frozenset({"false", "False", "FALSE"})


def boolean(value: Any) -> bool | None:
    """A Boolean property as CloudFormation reads it: ``true`` or the string ``"true"`` (``"True"``,
    ``"TRUE"``) is True, likewise for False; anything else (absent, an intrinsic) is None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return True if value in TRUE_STRINGS else False if value in FALSE_STRINGS else None
    return None


def integer(value: Any) -> int | None:
    """An Integer property as CloudFormation reads it: a number or a string of digits (``"22"``); None for
    anything else (a Boolean, NaN or infinity, an intrinsic, text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def is_literal(value: Any) -> bool:
    """True when ``value`` is a plain string or number, not an intrinsic function."""
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def user_data_text(value: Any, template: Template) -> str:
    """User data as the instance sees it: ``Fn::Base64`` flattened, a literal base64 string decoded."""
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return value
    return text(value, template)


def branches(value: Any) -> Iterator[tuple[str, Any]]:
    """Each value ``value`` can take: both branches of an ``Fn::If``, recursively, with a path suffix."""
    if isinstance(value, dict) and len(value) == 1:
        argument = value.get("Fn::If")
        if isinstance(argument, list) and len(argument) == 3:
            for index in (1, 2):
                for suffix, item in branches(argument[index]):
                    yield f".Fn::If.{index}{suffix}", item
            return
        if value.get("Ref") == "AWS::NoValue":
            return
    yield "", value


def _plain(item: Any) -> bool:
    """True when ``item`` takes only itself as a value: no ``Fn::If`` and not ``AWS::NoValue``."""
    return not (isinstance(item, dict) and len(item) == 1 and ("Fn::If" in item or item.get("Ref") == "AWS::NoValue"))


def items(value: Any) -> Iterator[tuple[str, Any]]:
    """Each item of a list property (``Fn::If`` branches expanded), with its path suffix."""
    if isinstance(value, list):  # most lists: no Fn::If around the list, so no need to expand it
        for index, item in enumerate(value):
            if _plain(item):
                yield f".{index}", item
            else:
                for item_suffix, leaf in branches(item):
                    yield f".{index}{item_suffix}", leaf
        return
    for suffix, branch in branches(value):
        if isinstance(branch, list):
            for index, item in enumerate(branch):
                for item_suffix, leaf in branches(item):
                    yield f"{suffix}.{index}{item_suffix}", leaf


def get(value: Any, *keys: str) -> Any:
    """``value[k1][k2]...``, or None when any level is missing or not a dict."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value
