"""immutable-constructs: immutable infrastructure for AWS CDK.

Servers are never changed after they start: every change is a new image, and new
instances replace the old ones.

The constructs are imported on first use (PEP 562), so ``import immutable_constructs``
and the ``immutable-constructs`` command line do not start the jsii runtime (Node) until
a construct is actually needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .access.session_manager import SessionManagerAccess, SessionTarget
    from .errors import Problem, ValidationError
    from .fleet.alarms import FleetAlarmOptions
    from .fleet.blue_green import BlueGreenFleet
    from .fleet.health import FleetHealthCheck
    from .fleet.immutable_fleet import ImmutableFleet
    from .fleet.update import FleetUpdate
    from .images.catalog import AmiCatalog
    from .images.pinned import PinnedSsmImage
    from .images.pipeline import GoldenImagePipeline
    from .images.sources import ImageComponent, ParentImage

#: public name -> the module that defines it
_MODULES = {
    "AmiCatalog": ".images.catalog",
    "BlueGreenFleet": ".fleet.blue_green",
    "FleetAlarmOptions": ".fleet.alarms",
    "FleetHealthCheck": ".fleet.health",
    "FleetUpdate": ".fleet.update",
    "GoldenImagePipeline": ".images.pipeline",
    "ImageComponent": ".images.sources",
    "ImmutableFleet": ".fleet.immutable_fleet",
    "ParentImage": ".images.sources",
    "PinnedSsmImage": ".images.pinned",
    "Problem": ".errors",
    "SessionManagerAccess": ".access.session_manager",
    "SessionTarget": ".access.session_manager",
    "ValidationError": ".errors",
}

_CONSTRUCTS = frozenset(
    {"AmiCatalog", "BlueGreenFleet", "GoldenImagePipeline", "ImmutableFleet", "SessionManagerAccess"}
)

__all__ = [
    "AmiCatalog",
    "BlueGreenFleet",
    "FleetAlarmOptions",
    "FleetHealthCheck",
    "FleetUpdate",
    "GoldenImagePipeline",
    "ImageComponent",
    "ImmutableFleet",
    "ParentImage",
    "PinnedSsmImage",
    "Problem",
    "SessionManagerAccess",
    "SessionTarget",
    "ValidationError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    if name in _CONSTRUCTS:
        from ._private.signatures import real_signature

        real_signature(value)  # help() and IDEs show the keyword arguments, not jsii's (*args, **kwargs)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
