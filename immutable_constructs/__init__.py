"""immutable-constructs: immutable infrastructure for AWS CDK.

Servers are never changed after they start: every change is a new image, and new
instances replace the old ones.

The constructs are imported on first use (PEP 562), so ``import immutable_constructs``
and the ``immutable-constructs`` command line do not start the jsii runtime (Node) until
a construct is actually needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._private.lazy import lazy_exports
from ._version import __version__

if TYPE_CHECKING:
    from .access.session_manager import SessionManagerAccess, SessionTarget
    from .drift.stack_drift import StackDriftAlarm
    from .drift.tainted_hosts import TaintedHostReplacement
    from .errors import Problem, ValidationError
    from .fleet.alarms import FleetAlarmOptions
    from .fleet.blue_green import BlueGreenFleet
    from .fleet.health import FleetHealthCheck
    from .fleet.immutable_fleet import ImmutableFleet
    from .fleet.update import FleetUpdate
    from .images._names import FindingSeverity
    from .images.catalog import AmiCatalog
    from .images.first_image import FirstImage
    from .images.pinned import PinnedSsmImage
    from .images.pipeline import GoldenImagePipeline
    from .images.sources import ImageComponent, ParentImage
    from .images.trial import TrialImage

#: public name -> the module that defines it
_MODULES = {
    "AmiCatalog": ".images.catalog",
    "BlueGreenFleet": ".fleet.blue_green",
    "FindingSeverity": ".images._names",
    "FirstImage": ".images.first_image",
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
    "StackDriftAlarm": ".drift.stack_drift",
    "TaintedHostReplacement": ".drift.tainted_hosts",
    "TrialImage": ".images.trial",
    "ValidationError": ".errors",
}


__all__ = [
    "AmiCatalog",
    "BlueGreenFleet",
    "FindingSeverity",
    "FirstImage",
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
    "StackDriftAlarm",
    "TaintedHostReplacement",
    "TrialImage",
    "ValidationError",
    "__version__",
]


__getattr__, __dir__ = lazy_exports(globals(), _MODULES)
