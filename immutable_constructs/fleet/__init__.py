"""Fleets whose instances are replaced, never patched.

* :class:`ImmutableFleet` (``immutable_fleet.py``): an Auto Scaling group whose update policy
  (:class:`FleetUpdate`, ``update.py``) replaces instances when the launch template changes;
* :class:`BlueGreenFleet` (``blue_green.py``): the same launch kit, released by CodeDeploy
  blue/green deployments through a custom resource (handler in ``blue_green_handler/``);
* :class:`FleetAlarmOptions` (``alarms.py``): the standard alarms' thresholds (and the dashboard);
* :class:`FleetHealthCheck` (``health.py``): the application check both fleets gate on;
* ``launch.py``: the launch template, instance role, agent policy, security group and image
  checks both fleets build from.

The names are imported on first use (PEP 562), like the package's top level, so an app that
uses only ImmutableFleet does not load CodeDeploy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._private import tags as _tags
from .._private.lazy import lazy_exports, public_names

# Type checkers read these; tests/test_exports.py checks that they name exactly the table's names.
if TYPE_CHECKING:
    from .alarms import FleetAlarmOptions as FleetAlarmOptions
    from .blue_green import BlueGreenFleet as BlueGreenFleet
    from .health import FleetHealthCheck as FleetHealthCheck
    from .immutable_fleet import ImmutableFleet as ImmutableFleet
    from .update import FleetUpdate as FleetUpdate

#: public name -> the module that defines it (the package's one list of public names)
_MODULES = {
    "BlueGreenFleet": ".blue_green",
    "FleetAlarmOptions": ".alarms",
    "FleetHealthCheck": ".health",
    "FleetUpdate": ".update",
    "ImmutableFleet": ".immutable_fleet",
}

__all__ = public_names(_MODULES)

#: The tag key of every fleet instance (its value: the fleet's unique id); not in ``__all__``.
FLEET_TAG_KEY: str = _tags.FLEET


__getattr__, __dir__ = lazy_exports(globals(), _MODULES)
