"""Real signatures for jsii-based constructs.

A construct's class is created by jsii's metaclass, whose ``__call__(*args, **kwargs)`` is
what ``inspect.signature``, IDEs and ``help()`` see. Setting ``__signature__`` from the
class's own ``__init__`` (minus ``self``) shows the real keyword arguments instead.

The escape hatches (``fleet.launch_template``, ``fleet.auto_scaling_group``...) are instance
attributes set in ``__init__``, which ``help()`` never lists: they are read from
``__init__``'s source and appended to the class docstring, so the list cannot go stale.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import TypeVar

__all__ = ["real_signature"]

T = TypeVar("T", bound=type)


def public_attributes(cls: type) -> dict[str, str]:
    """``self.<name>`` attributes (not starting with ``_``) assigned in ``cls.__init__``, with
    their annotation where there is one, in assignment order."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(vars(cls)["__init__"])))
    except (OSError, TypeError, SyntaxError):
        return {}
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        annotation = ""
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AnnAssign):
            targets, annotation = [node.target], ast.unparse(node.annotation)
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
                and not target.attr.startswith("_")
                and (annotation or target.attr not in found)
            ):
                found[target.attr] = annotation
    return found


def real_signature(cls: T) -> T:
    """Class decorator: ``inspect.signature(cls)`` is ``cls.__init__``'s, without ``self``, and the
    docstring ends with the public attributes (escape hatches). Idempotent."""
    if "__signature__" in vars(cls):
        return cls
    init = inspect.signature(vars(cls)["__init__"])
    parameters = list(init.parameters.values())[1:]
    cls.__signature__ = init.replace(parameters=parameters, return_annotation=inspect.Signature.empty)  # type: ignore[attr-defined]
    attributes = public_attributes(cls)
    if attributes and cls.__doc__ is not None:
        lines = [f"    {name}: {kind}" if kind else f"    {name}" for name, kind in attributes.items()]
        cls.__doc__ = (
            inspect.cleandoc(cls.__doc__)
            + "\n\nAttributes (the resources are escape hatches for what the props do not cover):\n"
            + "\n".join(lines)
        )
    return cls
