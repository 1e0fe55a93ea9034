"""Access to immutable servers: Session Manager as the only, always-logged way in.

The constructs are imported on first use (PEP 562), like the package's top level.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .session_manager import SessionManagerAccess, SessionTarget

#: public name -> the module that defines it
_MODULES = {
    "SessionManagerAccess": ".session_manager",
    "SessionTarget": ".session_manager",
}

_CONSTRUCTS = frozenset({"SessionManagerAccess"})

__all__ = ["SessionManagerAccess", "SessionTarget"]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    if name in _CONSTRUCTS:
        from .._private.signatures import real_signature

        real_signature(value)  # help() and IDEs show the keyword arguments, not jsii's (*args, **kwargs)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
