"""IMM-DEP7: no release rolls back on an alarm that treats missing data as breaching.

An instance refresh fails and rolls back when one of its ``AlarmSpecification`` alarms is in ALARM
(EC2 Auto Scaling User Guide, "Undo changes with a manual or auto rollback"), and a CodeDeploy
deployment stops when one of its deployment group's alarms is (CodeDeploy User Guide, "Monitoring
deployments with CloudWatch alarms in CodeDeploy"). An alarm with ``TreatMissingData: breaching``
(CloudWatch User Guide, "Configuring how CloudWatch alarms treat missing data") is in ALARM whenever
its metric has no data: while a fleet has no instance (a minimum capacity of 0, a scheduled scale-in
to zero), right after the fleet is created and before any host reported, and for host metrics
whenever the hosts cannot reach CloudWatch. As a rollback alarm it blocks every release in those
windows, including the release that would fix them. Keep such an alarm for paging; roll back on
alarms whose missing data does not breach.

Checked: every ``AWS::CloudWatch::Alarm`` with ``TreatMissingData: breaching`` that an Auto Scaling
group's ``UpdatePolicy.AutoScalingInstanceRefresh`` alarm specification, an enabled CodeDeploy
deployment group's ``AlarmConfiguration``, or a custom resource's ``AlarmNames`` (the blue/green
fleet's deployment) refers to.
"""

from __future__ import annotations

from .._intrinsics import boolean, get, items
from .._model import Offence, Resource, Result, Template
from .._policies import references

RESOURCE_TYPES = frozenset({"AWS::CloudWatch::Alarm"})


def _rollback_users(template: Template) -> dict[str, list[str]]:
    """Alarm logical id -> what rolls a release back on it."""
    users: dict[str, list[str]] = {}

    def add(value: object, who: str) -> None:
        for alarm in references(value):
            users.setdefault(alarm, []).append(who)

    for logical_id, group in template.of_type("AWS::AutoScaling::AutoScalingGroup"):
        alarms = get(group, "UpdatePolicy", "AutoScalingInstanceRefresh", "Preferences", "AlarmSpecification")
        add(get(alarms, "Alarms"), f"the instance refresh of {logical_id}")
    for logical_id, deployment_group in template.of_type("AWS::CodeDeploy::DeploymentGroup"):
        configuration = get(deployment_group, "Properties", "AlarmConfiguration")
        if boolean(get(configuration, "Enabled")) is False:
            continue
        for _, alarm in items(get(configuration, "Alarms")):
            add(get(alarm, "Name"), f"CodeDeploy deployment group {logical_id}")
    for logical_id, resource in template.resources.items():
        if str(resource.get("Type", "")).startswith("Custom::"):
            add(get(resource, "Properties", "AlarmNames"), f"the deployments of custom resource {logical_id}")
    return users


def evaluate(resource: Resource, template: Template) -> Result:
    if str(resource.properties.get("TreatMissingData", "missing")).lower() != "breaching":
        return Result.not_applicable()
    users = template.memo("dep7.rollback_users", _rollback_users).get(resource.logical_id)
    if not users:
        return Result.compliant()
    return Result.of(
        [
            Offence(
                "Properties.TreatMissingData",
                resource.properties.get("TreatMissingData"),
                f"missing data breaches this alarm, and {', '.join(sorted(set(users)))} rolls back on it: it is in "
                "ALARM whenever its metric has no data (no instance running, a fleet just created, hosts that "
                "cannot reach CloudWatch), and every release in that window fails",
                fix="roll back on an alarm with TreatMissingData notBreaching (or missing/ignore), and keep this "
                "one for paging only",
            )
        ]
    )
