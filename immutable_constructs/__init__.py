"""immutable-constructs: immutable infrastructure for AWS CDK.

Servers are never changed after they start: every change is a new image, and new
instances replace the old ones.

The constructs are imported on first use (PEP 562), so ``import immutable_constructs``
and the ``immutable-constructs`` command line do not start the jsii runtime (Node) until
a construct is actually needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import access, containers, drift, fleet, functions, images, release
from ._private.lazy import lazy_exports, merged, public_names
from ._version import __version__ as __version__

# Type checkers read these (a computed __all__ re-exports nothing to them); tests/test_exports.py checks
# that they name exactly the table's names.
if TYPE_CHECKING:
    from ._private.alarm_topic import AlarmTopic as AlarmTopic
    from .access import SessionManagerAccess as SessionManagerAccess
    from .access import SessionTarget as SessionTarget
    from .containers import ImmutableService as ImmutableService
    from .drift import StackDriftAlarm as StackDriftAlarm
    from .drift import TaintedHostReplacement as TaintedHostReplacement
    from .errors import Problem as Problem
    from .errors import ValidationError as ValidationError
    from .fleet import BlueGreenFleet as BlueGreenFleet
    from .fleet import FleetAlarmOptions as FleetAlarmOptions
    from .fleet import FleetHealthCheck as FleetHealthCheck
    from .fleet import FleetUpdate as FleetUpdate
    from .fleet import ImmutableFleet as ImmutableFleet
    from .functions import VersionedFunction as VersionedFunction
    from .images import AmiCatalog as AmiCatalog
    from .images import FindingSeverity as FindingSeverity
    from .images import FirstImage as FirstImage
    from .images import GoldenImagePipeline as GoldenImagePipeline
    from .images import ImageComponent as ImageComponent
    from .images import ImageDistributionKey as ImageDistributionKey
    from .images import ImageDistributionTarget as ImageDistributionTarget
    from .images import ImageKeyGrant as ImageKeyGrant
    from .images import ParentImage as ParentImage
    from .images import PinnedSsmImage as PinnedSsmImage
    from .images import TrialImage as TrialImage
    from .release import ReleasePipeline as ReleasePipeline
    from .release import ReleaseWave as ReleaseWave

#: public name -> the module that defines it: the subpackages' tables, and the errors.
_MODULES = merged(
    ("access", access._MODULES),
    ("containers", containers._MODULES),
    ("drift", drift._MODULES),
    ("fleet", fleet._MODULES),
    ("functions", functions._MODULES),
    ("images", images._MODULES),
    ("release", release._MODULES),
    own={"AlarmTopic": "._private.alarm_topic", "Problem": ".errors", "ValidationError": ".errors"},
)

__all__ = public_names(_MODULES, "__version__")


__getattr__, __dir__ = lazy_exports(globals(), _MODULES)
