"""Functions are released, not updated: each change is a new Lambda version that an alias moves to through
CodeDeploy (canary or linear), rolled back by the function's alarms.

The constructs are imported on first use (PEP 562), like the package's top level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._private.lazy import lazy_exports, public_names

# Type checkers read these; tests/test_exports.py checks that they name exactly the table's names.
if TYPE_CHECKING:
    from .versioned_function import VersionedFunction as VersionedFunction

#: public name -> the module that defines it (the package's one list of public names)
_MODULES = {
    "VersionedFunction": ".versioned_function",
}

__all__ = public_names(_MODULES)


__getattr__, __dir__ = lazy_exports(globals(), _MODULES)
