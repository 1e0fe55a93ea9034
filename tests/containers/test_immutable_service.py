"""ImmutableService: what a team relies on when it releases a container by replacing it, never by changing it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager

from immutable_constructs import ImmutableService, ValidationError
from immutable_constructs.nag import ImmutableInfrastructureChecks

from ..conftest import logical_id, resources_of, template_json

DIGEST = "sha256:" + "0123456789abcdef" * 4
ACCOUNT = "123456789012"


class World:
    """One stack with a VPC and a load balancer listener; each test adds what it needs under its own id."""

    def __init__(self, image_dir: Path) -> None:
        self.stack = Stack(App(), "Shop", env={"account": ACCOUNT, "region": "eu-west-1"})
        self.vpc = ec2.Vpc(self.stack, "Vpc", max_azs=2, nat_gateways=1)
        alb = elbv2.ApplicationLoadBalancer(self.stack, "Alb", vpc=self.vpc)
        self.listener = alb.add_listener("Http", port=80, default_action=elbv2.ListenerAction.fixed_response(404))
        self.image_dir = image_dir
        self.secret = secretsmanager.Secret(self.stack, "DbSecret")
        self.web = ImmutableService(
            self.stack, "Web", image=ecs.ContainerImage.from_asset(str(image_dir)), vpc=self.vpc,
            listener=self.listener, environment={"LOG_LEVEL": "info"},
            secrets={"DB_PASSWORD": ecs.Secret.from_secrets_manager(self.secret)},
        )  # fmt: skip
        repository = ecr.Repository(self.stack, "Repo", image_tag_mutability=ecr.TagMutability.IMMUTABLE)
        self.own_role = iam.Role(self.stack, "OwnRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
        blue, green = (
            elbv2.ApplicationTargetGroup(self.stack, name, vpc=self.vpc, port=80, target_type=elbv2.TargetType.IP)
            for name in ("OwnBlue", "OwnGreen")
        )
        self.hatches = ImmutableService(
            self.stack, "Api", image=ecs.ContainerImage.from_ecr_repository(repository, tag=DIGEST),
            cluster=self.web.cluster, listener=self.listener, priority=200, path_patterns=["/api/*"],
            task_role=self.own_role, target_group=blue, alternate_target_group=green, bake_time=Duration.minutes(30),
        )  # fmt: skip
        self.latency = cloudwatch.Alarm(self.stack, "Latency", metric=cloudwatch.Metric(namespace="Shop",
                                        metric_name="Latency"), threshold=1, evaluation_periods=1)  # fmt: skip
        self.hatches.add_alarm(self.latency)
        self.template = template_json(self.stack)

    def id(self, construct: Any) -> str:
        return logical_id(self.stack, construct)

    def props(self, construct: Any) -> dict[str, Any]:
        properties: dict[str, Any] = self.template["Resources"][self.id(construct)]["Properties"]
        return properties

    def statements(self, role: iam.IRole) -> list[dict[str, Any]]:
        return [
            statement
            for policy in resources_of(self.template, "AWS::IAM::Policy").values()
            if {"Ref": self.id(role)} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        ]


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    image_dir = tmp_path_factory.mktemp("image")
    (image_dir / "Dockerfile").write_text("FROM public.ecr.aws/docker/library/python:3.13-slim\n")
    return World(image_dir)


def container(world: World, service: ImmutableService) -> dict[str, Any]:
    (definition,) = world.props(service.task_definition)["ContainerDefinitions"]
    return definition  # type: ignore[no-any-return]


def test_an_image_asset_is_pinned_by_its_content_hash(world: World) -> None:
    image = container(world, world.web)["Image"]["Fn::Sub"]
    assert "cdk-hnb659fds-container-assets-" in image and len(image.rsplit(":", 1)[1]) == 64


def test_an_ecr_image_is_pinned_by_digest(world: World) -> None:
    image = container(world, world.hatches)["Image"]["Fn::Join"][1]
    assert image[-1] == "@" + DIGEST


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        ("nginx", "has no tag"),
        ("nginx:latest", "is tagged `latest`"),
        ("nginx:1.27.2", "is tagged '1.27.2': a tag can be pushed again"),
    ],
)
def test_an_image_that_can_move_is_refused(world: World, image: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=rf"image={image!r}: {reason}.*pin it by digest"):
        ImmutableService(
            world.stack,
            "Moving" + image.replace(":", "").replace(".", ""),
            image=ecs.ContainerImage.from_registry(image),
            vpc=world.vpc,
            listener=world.listener,
        )


def test_a_registry_image_by_digest_is_accepted(world: World) -> None:
    stack = Stack(App(), "Registry")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    listener = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc).add_listener("Http", port=80, open=False,
        default_action=elbv2.ListenerAction.fixed_response(404))  # fmt: skip
    service = ImmutableService(stack, "Web", image=ecs.ContainerImage.from_registry(f"nginx@{DIGEST}"), vpc=vpc,
                               listener=listener)  # fmt: skip
    assert service.container.image_name == f"nginx@{DIGEST}"


def test_released_by_native_blue_green_with_a_bake_time(world: World) -> None:
    service = world.props(world.web.service)
    assert service["DeploymentController"] == {"Type": "ECS"}
    assert service["DeploymentConfiguration"]["Strategy"] == "BLUE_GREEN"
    assert service["DeploymentConfiguration"]["BakeTimeInMinutes"] == 10
    assert world.props(world.hatches.service)["DeploymentConfiguration"]["BakeTimeInMinutes"] == 30
    (balancer,) = service["LoadBalancers"]
    assert balancer["TargetGroupArn"] == {"Ref": world.id(world.web.target_group)}
    assert balancer["AdvancedConfiguration"] == {
        "AlternateTargetGroupArn": {"Ref": world.id(world.web.alternate_target_group)},
        "ProductionListenerRule": {"Ref": world.id(world.web.listener_rule)},
        "RoleArn": {"Fn::GetAtt": [world.id(world.web.load_balancer_role), "Arn"]},
    }
    rule = world.props(world.web.listener_rule)
    weights = [(g["TargetGroupArn"]["Ref"], g["Weight"]) for g in rule["Actions"][0]["ForwardConfig"]["TargetGroups"]]
    assert weights == [(world.id(world.web.target_group), 100), (world.id(world.web.alternate_target_group), 0)]


def test_rolled_back_by_its_alarms_and_the_circuit_breaker(world: World) -> None:
    configuration = world.props(world.web.service)["DeploymentConfiguration"]
    assert configuration["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert configuration["Alarms"] == {
        "AlarmNames": [{"Ref": world.id(world.web.error_alarm)}], "Enable": True, "Rollback": True,
    }  # fmt: skip
    api = world.props(world.hatches.service)["DeploymentConfiguration"]["Alarms"]["AlarmNames"]
    assert api == [{"Ref": world.id(world.hatches.error_alarm)}, {"Ref": world.id(world.latency)}]  # add_alarm
    alarm = world.props(world.web.error_alarm)
    assert alarm["TreatMissingData"] == "notBreaching"
    assert {m["Id"] for m in alarm["Metrics"]} >= {"blue", "green"}


def test_read_only_root_file_system_with_a_scratch_volume_and_no_exec(world: World) -> None:
    definition = container(world, world.web)
    assert definition["ReadonlyRootFilesystem"] is True
    assert definition["MountPoints"] == [{"ContainerPath": "/tmp", "ReadOnly": False, "SourceVolume": "scratch0"}]
    assert world.props(world.web.service)["EnableExecuteCommand"] is False
    assert definition["LogConfiguration"]["Options"]["awslogs-group"] == {"Ref": world.id(world.web.log_group)}
    assert world.props(world.web.log_group)["RetentionInDays"] == 365


def test_secrets_come_from_secrets_manager_and_plain_secrets_are_refused(world: World) -> None:
    definition = container(world, world.web)
    assert definition["Environment"] == [{"Name": "LOG_LEVEL", "Value": "info"}]
    assert [s["Name"] for s in definition["Secrets"]] == ["DB_PASSWORD"]
    reads = [s for s in world.statements(world.web.execution_role) if "secretsmanager:GetSecretValue" in s["Action"]]
    assert [s["Resource"] for s in reads] == [{"Ref": world.id(world.secret)}]
    with pytest.raises(ValidationError, match=r"environment\['DB_PASSWORD'\]='<masked>'.*secrets="):
        ImmutableService(world.stack, "Leaky", image=ecs.ContainerImage.from_registry(f"nginx@{DIGEST}"),
                         vpc=world.vpc, listener=world.listener,
                         environment={"DB_PASSWORD": "hunter2hunter2"})  # fmt: skip


def test_the_load_balancer_role_may_change_only_this_service_s_routing(world: World) -> None:
    role = world.props(world.web.load_balancer_role)
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "ecs.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    by_sid = {s["Sid"]: s for s in world.statements(world.web.load_balancer_role)}
    assert by_sid["ReadTheLoadBalancer"]["Resource"] == "*"
    assert all(a.startswith("elasticloadbalancing:Describe") for a in by_sid["ReadTheLoadBalancer"]["Action"])
    assert by_sid["ShiftProductionTraffic"]["Resource"] == [
        {"Ref": world.id(world.listener)}, {"Ref": world.id(world.web.listener_rule)},
    ]  # fmt: skip
    assert by_sid["RegisterTasks"]["Resource"] == [
        {"Ref": world.id(world.web.target_group)}, {"Ref": world.id(world.web.alternate_target_group)},
    ]  # fmt: skip
    assert set(by_sid) == {"ReadTheLoadBalancer", "ShiftProductionTraffic", "RegisterTasks"}


def test_the_task_role_may_do_nothing_and_the_execution_role_only_its_job(world: World) -> None:
    assert world.statements(world.web.task_role) == []
    (trust,) = world.props(world.web.task_role)["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    actions = sorted(a for s in world.statements(world.web.execution_role) for a in [s["Action"]][0:1]
                     for a in (a if isinstance(a, list) else [a]))  # fmt: skip
    assert actions == sorted([
        "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetAuthorizationToken",
        "ecr:GetDownloadUrlForLayer", "logs:CreateLogStream", "logs:PutLogEvents",
        "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
    ])  # fmt: skip


def test_escape_hatches_use_what_they_are_given(world: World) -> None:
    api = world.hatches
    assert api.cluster is world.web.cluster and api.task_role is world.own_role
    assert world.props(api.task_definition)["TaskRoleArn"] == {"Fn::GetAtt": [world.id(world.own_role), "Arn"]}
    assert api.node.try_find_child("TaskRole") is None  # no unused role
    assert world.props(api.listener_rule)["Priority"] == 200


def test_half_a_pair_of_target_groups_and_no_vpc_are_refused(world: World) -> None:
    with pytest.raises(
        ValidationError, match=r"vpc=None: is required(.|\n)*alternate_target_group=None: blue/green needs"
    ):
        ImmutableService(world.stack, "Half", image=ecs.ContainerImage.from_registry(f"nginx@{DIGEST}"),
                         listener=world.listener, target_group=world.web.target_group)  # fmt: skip


def test_the_rule_pack_finds_nothing(world: World) -> None:
    findings = ImmutableInfrastructureChecks().check_template(world.template)
    assert [(f.rule_id, f.logical_id) for f in findings] == []


def test_a_lifecycle_hook_checks_the_green_tasks_before_traffic_moves() -> None:
    stack = Stack(App(), "Hooked", env={"account": ACCOUNT, "region": "eu-west-1"})
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    listener = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc).add_listener(
        "Http", port=80, open=False, default_action=elbv2.ListenerAction.fixed_response(404)
    )
    code = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
    check = lambda_.Function(stack, "Check", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler", code=code)
    hook = ecs.DeploymentLifecycleLambdaTarget(check, "Check", lifecycle_stages=[
        ecs.DeploymentLifecycleStage.POST_TEST_TRAFFIC_SHIFT])  # fmt: skip
    web = ImmutableService(stack, "Web", image=ecs.ContainerImage.from_registry(f"nginx@{DIGEST}"), vpc=vpc,
                           listener=listener, lifecycle_hooks=[hook])  # fmt: skip
    (configured,) = template_json(stack)["Resources"][logical_id(stack, web.service)]["Properties"][
        "DeploymentConfiguration"]["LifecycleHooks"]  # fmt: skip
    assert configured["LifecycleStages"] == ["POST_TEST_TRAFFIC_SHIFT"]
    assert configured["HookTargetArn"] == {"Fn::GetAtt": [logical_id(stack, check), "Arn"]}
