"""Pattern: two Fargate services on the two runtime platforms that are not Linux/x86: Windows Server 2019
Core running IIS from the Microsoft registry, and Graviton (ARM64) running nginx (aws-cdk's integration
test of FargateTaskDefinition's runtimePlatform)."""

from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs

ORIGIN = {
    "kind": "pattern",
    "repo": "aws/aws-cdk",
    "path": "packages/@aws-cdk-testing/framework-integ/test/aws-ecs/test/fargate/integ.runtime.ts",
    "commit": "123c1fb4561ec98a29b8ee85adadb64d91a622dd",
}


def build(app: App) -> None:
    stack = Stack(app, "FargateRuntimes")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, restrict_default_security_group=False)
    cluster = ecs.Cluster(stack, "FargateCluster", vpc=vpc)
    platforms = {
        "TaskDefWindows": (ecs.OperatingSystemFamily.WINDOWS_SERVER_2019_CORE, ecs.CpuArchitecture.X86_64, 1024, 2048),
        "TaskDefGraviton2": (ecs.OperatingSystemFamily.LINUX, ecs.CpuArchitecture.ARM64, 256, 1024),
    }
    tasks = {
        name: ecs.FargateTaskDefinition(
            stack,
            name,
            runtime_platform=ecs.RuntimePlatform(operating_system_family=family, cpu_architecture=architecture),
            cpu=cpu,
            memory_limit_mib=memory,
        )
        for name, (family, architecture, cpu, memory) in platforms.items()
    }
    tasks["TaskDefWindows"].add_container(
        "windowsservercore",
        logging=ecs.LogDriver.aws_logs(stream_prefix="win-iis-on-fargate"),
        port_mappings=[ecs.PortMapping(container_port=80)],
        image=ecs.ContainerImage.from_registry("mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019"),
    )
    tasks["TaskDefGraviton2"].add_container(
        "webarm64",
        logging=ecs.LogDriver.aws_logs(stream_prefix="graviton2-on-fargate"),
        port_mappings=[ecs.PortMapping(container_port=80)],
        image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:latest-arm64v8"),
    )
    ecs.FargateService(stack, "FargateServiceWindowsRuntime", cluster=cluster, task_definition=tasks["TaskDefWindows"])
    ecs.FargateService(
        stack, "FargateServiceGraviton2Runtime", cluster=cluster, task_definition=tasks["TaskDefGraviton2"]
    )
