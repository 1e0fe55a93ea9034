"""Drift cannot survive: hosts someone logged in to are replaced, stacks that drifted alarm.

The constructs are imported on first use (PEP 562), like the package's top level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._private.lazy import lazy_exports, public_names

# Type checkers read these; tests/test_exports.py checks that they name exactly the table's names.
if TYPE_CHECKING:
    from .stack_drift import StackDriftAlarm as StackDriftAlarm
    from .tainted_hosts import TaintedHostReplacement as TaintedHostReplacement

#: public name -> the module that defines it (the package's one list of public names)
_MODULES = {
    "StackDriftAlarm": ".stack_drift",
    "TaintedHostReplacement": ".tainted_hosts",
}

__all__ = public_names(_MODULES)


__getattr__, __dir__ = lazy_exports(globals(), _MODULES)
