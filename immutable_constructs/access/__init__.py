"""Access to immutable servers: Session Manager as the only, always-logged way in.

The constructs are imported on first use (PEP 562), like the package's top level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._private.lazy import lazy_exports, public_names

# Type checkers read these; tests/test_exports.py checks that they name exactly the table's names.
if TYPE_CHECKING:
    from .session_manager import SessionManagerAccess as SessionManagerAccess
    from .session_manager import SessionTarget as SessionTarget

#: public name -> the module that defines it (the package's one list of public names)
_MODULES = {
    "SessionManagerAccess": ".session_manager",
    "SessionTarget": ".session_manager",
}

__all__ = public_names(_MODULES)


__getattr__, __dir__ = lazy_exports(globals(), _MODULES)
