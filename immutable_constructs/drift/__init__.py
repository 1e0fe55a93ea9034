"""Drift cannot survive: hosts someone logged in to are replaced, stacks that drifted alarm.

The constructs are imported on first use (PEP 562), like the package's top level.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .stack_drift import StackDriftAlarm
    from .tainted_hosts import TaintedHostReplacement

#: public name -> the module that defines it
_MODULES = {
    "StackDriftAlarm": ".stack_drift",
    "TaintedHostReplacement": ".tainted_hosts",
}

__all__ = ["StackDriftAlarm", "TaintedHostReplacement"]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
