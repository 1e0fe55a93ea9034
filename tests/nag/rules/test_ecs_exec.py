"""IMM-REP5: ECS Exec on a service, or on the tasks a rule, schedule or pipe starts, is reported; without it passes."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets

from ..helpers import findings, new_stack, reported


def service(**properties: object) -> dict[str, object]:
    return {"Type": "AWS::ECS::Service", "Properties": {"Cluster": "c", **properties}}


def test_ecs_exec_is_reported() -> None:
    assert reported({"S": service(EnableExecuteCommand=True)}, "IMM-REP5") == {"S"}


def test_service_without_exec_passes() -> None:
    assert reported({"S": service(), "F": service(EnableExecuteCommand=False)}, "IMM-REP5") == set()


def test_tasks_started_by_rules_schedules_and_pipes_with_exec_are_reported() -> None:
    # Whoever starts the task decides ECS Exec: an EventBridge EcsTask target, a schedule, a pipe.
    _, stack, vpc = new_stack()
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
    task = ecs.FargateTaskDefinition(stack, "Task")
    task.add_container("app", image=ecs.ContainerImage.from_registry("nginx@sha256:" + "a" * 64))
    isolated = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    for name, enabled in (("Exec", True), ("NoExec", False)):
        rule = events.Rule(stack, name, schedule=events.Schedule.rate(Duration.hours(1)))
        rule.add_target(
            targets.EcsTask(
                cluster=cluster, task_definition=task, enable_execute_command=enabled, subnet_selection=isolated
            )
        )
    found = findings(stack, "IMM-REP5")
    assert [logical_id.startswith("Exec") for logical_id in found] == [True], found


def test_schedules_and_pipes_with_exec_are_reported() -> None:
    target = {"Arn": "arn:aws:ecs:eu-west-1:111111111111:cluster/c", "RoleArn": "r",
              "EcsParameters": {"TaskDefinitionArn": "t", "EnableExecuteCommand": True}}  # fmt: skip
    schedule = {"Type": "AWS::Scheduler::Schedule", "Properties": {"Target": target}}
    ecs_task = {"TaskDefinitionArn": "t", "EnableExecuteCommand": "true"}
    parameters = {"EcsTaskParameters": ecs_task}
    pipe = {"Type": "AWS::Pipes::Pipe", "Properties": {"Source": "s", "Target": "c", "TargetParameters": parameters}}
    quiet = {"Type": "AWS::Scheduler::Schedule", "Properties": {"Target": {**target, "EcsParameters": {}}}}
    assert reported({"Schedule": schedule, "Pipe": pipe, "Quiet": quiet}, "IMM-REP5") == {"Schedule", "Pipe"}
