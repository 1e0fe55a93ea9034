"""IMM-REP10: an ECS service released by rolling update rolls back by itself (circuit breaker or alarms).

A rolling deployment (the ECS deployment controller with the default ``ROLLING`` strategy) replaces
tasks, but when the new revision fails, ECS keeps trying it unless the deployment circuit breaker
with ``Rollback: true`` or deployment alarms with ``Rollback: true`` send the service back to the
last completed deployment ("Amazon ECS deployment circuit breaker", "Amazon ECS deployment alarms",
Amazon ECS Developer Guide). Blue/green, linear and canary strategies, CodeDeploy and external
controllers are not judged here.
"""

from __future__ import annotations

from typing import Any

from .._intrinsics import boolean, get
from .._model import Offence, Resource, Result, Template

ID = "IMM-REP10"
TITLE = "ECS service released by rolling update without automatic rollback"
FIX = (
    "Release with ImmutableService (blue/green, alarms and circuit breaker), or set circuit_breaker="
    "ecs.DeploymentCircuitBreaker(enable=True, rollback=True) or deployment_alarms with rollback on the service."
)
RESOURCE_TYPES = frozenset({"AWS::ECS::Service"})


def _rolls_back(config: Any) -> bool:
    """``{Enable: true, Rollback: true}`` (a deploy-time value counts as on: the deployer's choice)."""
    if not isinstance(config, dict):
        return False
    return all(boolean(config.get(key)) is True or isinstance(config.get(key), dict) for key in ("Enable", "Rollback"))


def evaluate(resource: Resource, template: Template) -> Result:
    properties = resource.properties
    controller = get(properties, "DeploymentController", "Type")
    if controller not in (None, "ECS"):
        return Result.not_applicable()  # CODE_DEPLOY or EXTERNAL release the tasks, or a deploy-time choice
    configuration = properties.get("DeploymentConfiguration")
    strategy = get(configuration, "Strategy")
    if strategy not in (None, "ROLLING"):
        return Result.not_applicable()  # BLUE_GREEN, LINEAR, CANARY (judged by their own bake time and hooks)
    if _rolls_back(get(configuration, "DeploymentCircuitBreaker")) or _rolls_back(get(configuration, "Alarms")):
        return Result.compliant()
    value = "no DeploymentCircuitBreaker or Alarms with Rollback: true"
    detail = "a failing revision keeps being rolled out; nothing sends the service back to the last good one"
    return Result.of([Offence("Properties.DeploymentConfiguration", value, detail)])
