"""Release waves: one image version released account by account and region by region through CDK Pipelines,
each wave baked under the fleets' own alarms, with automatic rollback (docs/release-waves.md).

The constructs are imported on first use (PEP 562), like the package's top level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._private.lazy import lazy_exports, public_names

# Type checkers read these; tests/test_exports.py checks that they name exactly the table's names.
if TYPE_CHECKING:
    from .release_pipeline import ReleasePipeline as ReleasePipeline
    from .wave import ReleaseWave as ReleaseWave

#: public name -> the module that defines it (the package's one list of public names)
_MODULES = {
    "ReleasePipeline": ".release_pipeline",
    "ReleaseWave": ".wave",
}

__all__ = public_names(_MODULES)


__getattr__, __dir__ = lazy_exports(globals(), _MODULES)
