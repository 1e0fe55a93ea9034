"""IMM-REP11: a container whose root file system is writable is reported; a read-only one passes."""

from __future__ import annotations

from ..helpers import reported


def task(**container: object) -> dict[str, object]:
    return {"Type": "AWS::ECS::TaskDefinition",
            "Properties": {"ContainerDefinitions": [{"Name": "app", "Image": "nginx@sha256:" + "a" * 64,
                                                     **container}]}}  # fmt: skip


def test_writable_root_file_system_is_reported() -> None:
    resources = {"Default": task(), "Writable": task(ReadonlyRootFilesystem=False)}
    assert reported(resources, "IMM-REP11") == {"Default", "Writable"}


def test_read_only_root_file_system_passes() -> None:
    resources = {"ReadOnly": task(ReadonlyRootFilesystem=True), "Chosen": task(ReadonlyRootFilesystem={"Ref": "P"})}
    assert reported(resources, "IMM-REP11") == set()
