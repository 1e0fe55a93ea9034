"""Access to immutable servers: Session Manager as the only, always-logged way in.

The constructs are imported on first use (PEP 562), like the package's top level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._private.lazy import lazy_exports

if TYPE_CHECKING:
    from .session_manager import SessionManagerAccess, SessionTarget

#: public name -> the module that defines it
_MODULES = {
    "SessionManagerAccess": ".session_manager",
    "SessionTarget": ".session_manager",
}


__all__ = ["SessionManagerAccess", "SessionTarget"]


__getattr__, __dir__ = lazy_exports(globals(), _MODULES)
