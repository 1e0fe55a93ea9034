"""immutable-constructs: immutable infrastructure for AWS CDK.

Servers are never changed after they start: every change is a new image, and new
instances replace the old ones.
"""

from ._version import __version__
from .blue_green import BlueGreenFleet
from .errors import Problem, ValidationError
from .fleet import FleetHealthCheck, FleetUpdate, ImmutableFleet
from .images import PinnedSsmImage
from .session_manager import SessionManagerAccess, SessionTarget

__all__ = [
    "BlueGreenFleet",
    "FleetHealthCheck",
    "FleetUpdate",
    "ImmutableFleet",
    "PinnedSsmImage",
    "Problem",
    "SessionManagerAccess",
    "SessionTarget",
    "ValidationError",
    "__version__",
]
