"""immutable-constructs: immutable infrastructure for AWS CDK.

Servers are never changed after they start: every change is a new image, and new
instances replace the old ones.
"""

from ._version import __version__
from .ami_catalog import AmiCatalog
from .blue_green import BlueGreenFleet
from .errors import Problem, ValidationError
from .fleet import FleetHealthCheck, FleetUpdate, ImmutableFleet
from .image_pipeline import GoldenImagePipeline, ImageComponent, ParentImage
from .images import PinnedSsmImage
from .session_manager import SessionManagerAccess, SessionTarget

__all__ = [
    "AmiCatalog",
    "BlueGreenFleet",
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
