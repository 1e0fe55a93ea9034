"""IMM-REP5: ECS Exec on a service is reported; a service without it passes."""

from __future__ import annotations

from ..helpers import reported


def service(**properties: object) -> dict[str, object]:
    return {"Type": "AWS::ECS::Service", "Properties": {"Cluster": "c", **properties}}


def test_ecs_exec_is_reported() -> None:
    assert reported({"S": service(EnableExecuteCommand=True)}, "IMM-REP5") == {"S"}


def test_service_without_exec_passes() -> None:
    assert reported({"S": service(), "F": service(EnableExecuteCommand=False)}, "IMM-REP5") == set()
