"""IMM-REP11: a container whose root file system is writable is reported; a read-only one passes."""

from __future__ import annotations

from aws_cdk import aws_ecs as ecs

from ..helpers import findings, new_stack, reported


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


def test_windows_containers_are_not_judged() -> None:
    # ECS refuses ReadonlyRootFilesystem for Windows containers: there is no compliant Windows task definition.
    _, stack, _ = new_stack()
    windows = ecs.RuntimePlatform(operating_system_family=ecs.OperatingSystemFamily.WINDOWS_SERVER_2022_CORE,
                                  cpu_architecture=ecs.CpuArchitecture.X86_64)  # fmt: skip
    for name, platform in (("Windows", windows), ("Linux", None)):
        task = ecs.FargateTaskDefinition(stack, name, cpu=1024, memory_limit_mib=2048, runtime_platform=platform)
        task.add_container("app", image=ecs.ContainerImage.from_registry("mcr.microsoft.com/iis@sha256:" + "a" * 64))
    assert [logical_id.startswith("Linux") for logical_id in findings(stack, "IMM-REP11")] == [True]
