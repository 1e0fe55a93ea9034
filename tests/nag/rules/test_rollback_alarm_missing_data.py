"""IMM-DEP7: a rollback alarm that treats missing data as breaching is reported."""

from __future__ import annotations

from typing import Any

from ..helpers import reported


def resources(treat_missing_data: str) -> dict[str, Any]:
    alarm = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "MetricName": "Heartbeat",
            "Namespace": "App",
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 5,
            "Threshold": 1,
            "ComparisonOperator": "LessThanThreshold",
            "TreatMissingData": treat_missing_data,
        },
    }
    group = {
        "Type": "AWS::AutoScaling::AutoScalingGroup",
        "Properties": {"MinSize": "0", "MaxSize": "2"},
        "UpdatePolicy": {
            "AutoScalingInstanceRefresh": {"Preferences": {"AlarmSpecification": {"Alarms": [{"Ref": "Alarm"}]}}}
        },
    }
    return {"Alarm": alarm, "Group": group}  # fmt: skip


def test_breaching_rollback_alarm_is_reported() -> None:
    assert reported(resources("breaching"), "IMM-DEP7") == {"Alarm"}


def test_not_breaching_rollback_alarm_passes() -> None:
    assert reported(resources("notBreaching"), "IMM-DEP7") == set()
