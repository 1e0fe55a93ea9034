"""IMM-DEP5: a custom resource's provider gives up before CloudFormation does.

CloudFormation waits for a custom resource at most its ``ServiceTimeout`` (default and
maximum 3600 s; CloudFormation User Guide, ``AWS::CloudFormation::CustomResource``). The CDK
Provider framework (``aws_cdk.custom_resources.Provider``) polls ``is_complete`` from a Step
Functions waiter whose ``Retry`` allows ``total_timeout / query_interval`` attempts
``query_interval`` apart; when that can last as long as CloudFormation's timeout, the
operator sees a generic timeout instead of the handler's own error message.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from .._intrinsics import get, text
from .._model import Offence, Resource, Result, Template
from .._policies import references

#: Every resource type: custom resource types are named by their authors (``Custom::Anything``).
RESOURCE_TYPES = frozenset({"*"})

#: CloudFormation's limit for a custom resource, in seconds (and the default ServiceTimeout).
CUSTOM_RESOURCE_TIMEOUT = 3600
#: The environment variable the Provider framework's onEvent function finds its waiter by.
WAITER_VARIABLE = "WAITER_STATE_MACHINE_ARN"


def _retry_seconds(retrier: Mapping[str, Any], limit: float) -> tuple[float, str]:
    """The longest a Step Functions retrier waits in total (capped at ``limit``) and how it is built."""
    try:
        interval = float(retrier.get("IntervalSeconds", 1))
        attempts = int(retrier.get("MaxAttempts", 3))
        rate = float(retrier.get("BackoffRate", 2.0))
        cap = float(retrier["MaxDelaySeconds"]) if "MaxDelaySeconds" in retrier else None
    except (TypeError, ValueError, OverflowError):
        return 0.0, "a retry that is only known at deploy time"
    if not all(math.isfinite(v) for v in (interval, rate, cap if cap is not None else 0.0)):
        return 0.0, "a retry that is only known at deploy time"
    total, delay, attempt = 0.0, interval, 0
    while attempt < attempts and total < limit:
        step = min(delay, cap) if cap is not None else delay
        if rate <= 1 or step <= 0 or step != delay:  # the delay stops growing: every attempt left waits as long
            total += step * (attempts - attempt)
            break
        total, delay, attempt = total + step, delay * rate, attempt + 1
    how = f"{attempts} attempts {interval:g} s apart" + (f" (backoff {rate:g})" if rate != 1 else "")
    return total, how


def waiter_seconds(definition: Mapping[str, Any], limit: float) -> tuple[float, list[str]]:
    """The longest the state machine waits between its steps: each state's largest retry total and Wait seconds."""
    total = 0.0
    parts: list[str] = []
    states = definition.get("States")
    for name, state in (states or {}).items() if isinstance(states, dict) else ():
        if not isinstance(state, dict):
            continue
        longest, how = 0.0, ""
        for retrier in state.get("Retry") or []:
            if isinstance(retrier, dict):
                seconds, built = _retry_seconds(retrier, limit)
                if seconds > longest:
                    longest, how = seconds, built
        if state.get("Type") == "Wait" and isinstance(state.get("Seconds"), (int, float)):
            longest, how = float(state["Seconds"]), "a Wait state"
        if longest:
            total += longest
            parts.append(f"{name}: {how} = {longest:g} s")
    return total, parts


def _definition(machine: Mapping[str, Any], template: Template) -> Mapping[str, Any] | None:
    properties = machine.get("Properties") or {}
    if isinstance(properties.get("Definition"), dict):
        definition: Mapping[str, Any] = properties["Definition"]
        return definition
    body = properties.get("DefinitionString")
    if body is None:
        return None
    try:
        parsed = json.loads(text(body, template), strict=False)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def evaluate(resource: Resource, template: Template) -> Result:
    if not (resource.type.startswith("Custom::") or resource.type == "AWS::CloudFormation::CustomResource"):
        return Result.not_applicable()
    machine_id = None
    for function_id in references(resource.properties.get("ServiceToken")):
        function = template.resource(function_id) or {}
        waiter = get(function, "Properties", "Environment", "Variables", WAITER_VARIABLE)
        machine_id = next(iter(sorted(references(waiter))), machine_id)
    machine = template.resource(machine_id) if machine_id else None
    definition = _definition(machine, template) if machine else None
    if definition is None:
        return Result.not_applicable()
    timeout_value = resource.properties.get("ServiceTimeout")
    try:
        timeout = float(timeout_value) if timeout_value is not None else float(CUSTOM_RESOURCE_TIMEOUT)
    except (TypeError, ValueError):
        timeout = float(CUSTOM_RESOURCE_TIMEOUT)
    seconds, parts = waiter_seconds(definition, timeout)
    if seconds < timeout:
        return Result.compliant()
    where = "Properties.ServiceTimeout" if timeout_value is not None else "Properties.ServiceToken"
    return Result.of(
        [
            Offence(
                where,
                timeout_value if timeout_value is not None else resource.properties.get("ServiceToken"),
                f"the provider's waiter {machine_id} can wait {seconds:g} s ({'; '.join(parts)}), not less than "
                f"CloudFormation's {timeout:g} s for this custom resource: the handler's own error is lost",
            )
        ]
    )
