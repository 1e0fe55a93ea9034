"""Drift cannot survive: hosts someone logged in to are replaced, stacks that drifted alarm.

The constructs are imported on first use (PEP 562), like the package's top level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._private.lazy import lazy_exports

if TYPE_CHECKING:
    from .stack_drift import StackDriftAlarm
    from .tainted_hosts import TaintedHostReplacement

#: public name -> the module that defines it
_MODULES = {
    "StackDriftAlarm": ".stack_drift",
    "TaintedHostReplacement": ".tainted_hosts",
}

__all__ = ["StackDriftAlarm", "TaintedHostReplacement"]


__getattr__, __dir__ = lazy_exports(globals(), _MODULES)
