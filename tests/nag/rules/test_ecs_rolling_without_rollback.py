"""IMM-REP10: a rolling ECS service without circuit breaker or alarm rollback is reported; rollback passes."""

from __future__ import annotations

from ..helpers import reported

ROLLBACK = {"Enable": True, "Rollback": True}


def service(**configuration: object) -> dict[str, object]:
    return {"Type": "AWS::ECS::Service",
            "Properties": {"Cluster": "c", "DeploymentConfiguration": configuration}}  # fmt: skip


def test_rolling_without_rollback_is_reported() -> None:
    resources = {
        "Bare": service(),
        "BreakerNoRollback": service(DeploymentCircuitBreaker={"Enable": True, "Rollback": False}),
        "AlarmsNoRollback": service(Alarms={"AlarmNames": ["a"], "Enable": True, "Rollback": False}),
        "Rolling": service(Strategy="ROLLING", MaximumPercent=200),
    }
    assert reported(resources, "IMM-REP10") == set(resources)


def test_rollback_or_another_release_passes() -> None:
    code_deploy = service()
    code_deploy["Properties"]["DeploymentController"] = {"Type": "CODE_DEPLOY"}  # type: ignore[index]
    resources = {
        "Breaker": service(DeploymentCircuitBreaker=ROLLBACK),
        "Alarms": service(Alarms={"AlarmNames": ["a"], **ROLLBACK}),
        "BlueGreen": service(Strategy="BLUE_GREEN", BakeTimeInMinutes=10),
        "Canary": service(Strategy="CANARY"),
        "CodeDeploy": code_deploy,
    }
    assert reported(resources, "IMM-REP10") == set()
