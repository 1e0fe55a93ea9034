"""IMM-REL1: a release pipeline deploys production without a baked earlier wave and an alarm gate.

From the synthesized ``AWS::CodePipeline::Pipeline``: a **deploy stage** is a stage with an action of provider
``CloudFormation`` (what CDK Pipelines makes of every ``Stage`` it deploys); the **production wave** is the last
deploy stage. A stage is **baked** when its ``OnSuccess`` condition has a ``CloudWatchAlarm`` rule with a
``WaitTime`` of at least one minute and the result ``ROLLBACK`` (CodePipeline User Guide, "Configure conditions
for a stage" and rule reference "CloudWatchAlarm"). The pipeline is a finding when the production wave has no
earlier deploy stage, when the deploy stage before it is not baked, or when it is not baked itself. A pipeline
that deploys no CloudFormation is not applicable. Works on ReleasePipeline and on plain CDK Pipelines alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._intrinsics import get, items
from .._model import Offence, Resource, Result, Template

ID = "IMM-REL1"
TITLE = "Release pipeline deploys production without a baked earlier wave and an alarm gate"
FIX = (
    "Release in waves (ReleasePipeline): deploy an earlier wave first and give it and production an "
    "OnSuccess condition with a CloudWatchAlarm rule (a WaitTime: the bake time) and the result ROLLBACK."
)
RESOURCE_TYPES = frozenset({"AWS::CodePipeline::Pipeline"})


def _deploys(stage: Any) -> bool:
    actions = stage.get("Actions") if isinstance(stage, Mapping) else None
    return isinstance(actions, list) and any(
        isinstance(a, Mapping) and isinstance(a.get("ActionTypeId"), Mapping)
        and a["ActionTypeId"].get("Provider") == "CloudFormation"
        for a in actions
    )  # fmt: skip


def _baked(stage: Mapping[str, Any]) -> bool:
    for _, condition in items(get(stage, "OnSuccess", "Conditions")):
        if get(condition, "Result") != "ROLLBACK":
            continue
        for _, rule in items(get(condition, "Rules")):
            wait = get(rule, "Configuration", "WaitTime")
            if get(rule, "RuleTypeId", "Provider") != "CloudWatchAlarm" or wait is None:
                continue
            if str(wait).isdigit() and int(str(wait)) >= 1:
                return True
    return False


def evaluate(resource: Resource, template: Template) -> Result:
    stages = resource.properties.get("Stages")
    if not isinstance(stages, list):
        return Result.not_applicable()  # an intrinsic: nothing to judge in the template
    deploys = [index for index, stage in enumerate(stages) if _deploys(stage)]
    if not deploys:
        return Result.not_applicable()
    production = deploys[-1]
    name = stages[production].get("Name")
    path = f"Properties.Stages[{production}]"
    if len(deploys) == 1:
        return Result.of([Offence(path, name, "production is the first deploy stage: no earlier wave bakes first")])
    offences = []
    before = deploys[-2]
    if not _baked(stages[before]):
        offences.append(
            Offence(
                f"Properties.Stages[{before}].OnSuccess",
                stages[before].get("Name"),
                f"the wave before production ({name}) is not baked: no OnSuccess CloudWatchAlarm rule with a "
                "WaitTime and the result ROLLBACK",
            )
        )
    if not _baked(stages[production]):
        offences.append(
            Offence(f"{path}.OnSuccess", name, "production rolls back on no alarm: no OnSuccess CloudWatchAlarm rule")
        )
    return Result.of(offences)
