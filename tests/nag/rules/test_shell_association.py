"""IMM-REP4: an association that runs shell commands is reported; one that only collects inventory passes."""

from __future__ import annotations

from ..helpers import reported


def association(name: object) -> dict[str, object]:
    return {"Type": "AWS::SSM::Association", "Properties": {"Name": name}}


def test_shell_association_is_reported() -> None:
    document = {"Type": "AWS::SSM::Document", "Properties": {"DocumentType": "Command", "Content": {
        "schemaVersion": "2.2", "mainSteps": [{"action": "aws:runShellScript", "name": "x",
                                               "inputs": {"runCommand": ["yum update -y"]}}]}}}  # fmt: skip
    resources = {"Aws": association("AWS-RunShellScript"), "Doc": document, "Own": association({"Ref": "Doc"})}
    assert reported(resources, "IMM-REP4") == {"Aws", "Own"}


def test_inventory_association_passes() -> None:
    assert reported({"A": association("AWS-GatherSoftwareInventory")}, "IMM-REP4") == set()
