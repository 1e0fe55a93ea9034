"""Containers are replaced, not updated: an ECS Fargate service whose image is pinned by digest (or an image
asset), released by ECS's native blue/green deployments and rolled back by alarms and the circuit breaker.

The constructs are imported on first use (PEP 562), like the package's top level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._private.lazy import lazy_exports, public_names

# Type checkers read these; tests/test_exports.py checks that they name exactly the table's names.
if TYPE_CHECKING:
    from .immutable_service import ImmutableService as ImmutableService

#: public name -> the module that defines it (the package's one list of public names)
_MODULES = {
    "ImmutableService": ".immutable_service",
}

__all__ = public_names(_MODULES)


__getattr__, __dir__ = lazy_exports(globals(), _MODULES)
