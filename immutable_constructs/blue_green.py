"""The old module path of :class:`BlueGreenFleet`, kept so ``from immutable_constructs.blue_green
import BlueGreenFleet`` goes on working; the fleet lives in ``immutable_constructs.fleet.blue_green``."""

from __future__ import annotations

from .fleet.blue_green import BlueGreenFleet

__all__ = ["BlueGreenFleet"]
