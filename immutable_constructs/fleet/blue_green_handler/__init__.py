"""BlueGreenFleet's custom resource handler: owns the deployment group and the fleet's Auto Scaling groups."""

from . import index

__all__ = ["index"]
