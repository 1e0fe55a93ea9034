"""Bad input as users wrote it, one test each, for access/, drift/, the alarm topic, the rule pack and the fleets.

Each must end in one ValidationError naming the construct path, the prop, its value and a fix (or, where it
is deployable, in a template that renders it): AWS limits (64 KB documents, 1,024-byte S3 keys, 512-character
log stream names), strings for booleans, objects where another type is expected, content that breaks at
boot, one object listed twice or in two lists, objects of another account or region where AWS requires the
same, and tokens, which are rendered and never ``int()``-converted.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import App, CfnParameter, Duration, Stack
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match
from constructs import Construct

from immutable_constructs import (
    AlarmTopic,
    BlueGreenFleet,
    FleetHealthCheck,
    FleetUpdate,
    ImmutableFleet,
    PinnedSsmImage,
    Problem,
    SessionManagerAccess,
    StackDriftAlarm,
    TaintedHostReplacement,
    ValidationError,
)

_IDS = itertools.count()
ACCOUNT, REGION = "111111111111", "eu-west-1"


class World:
    """One App: a stack with a VPC, a target group and a fleet; stacks of another region and another account."""

    def __init__(self) -> None:
        self.app = App()
        self.stack = Stack(self.app, "Shop", env={"account": ACCOUNT, "region": REGION})
        self.other_region = Stack(self.app, "Virginia", env={"account": ACCOUNT, "region": "us-east-1"})
        self.other_account = Stack(self.app, "Partner", env={"account": "222222222222", "region": REGION})
        self.vpc = ec2.Vpc(self.stack, "Vpc", max_azs=2, nat_gateways=1)
        self.target_group = elbv2.ApplicationTargetGroup(self.stack, "Tg", vpc=self.vpc, port=80)
        elbv2.ApplicationLoadBalancer(self.stack, "Alb", vpc=self.vpc).add_listener(
            "Http", port=80, default_target_groups=[self.target_group]
        )
        self.fleet = self.immutable()

    def id(self, prefix: str) -> str:
        return f"{prefix}{next(_IDS)}"

    def immutable(self, stack: Stack | None = None, **props: Any) -> ImmutableFleet:
        stack = stack or self.stack
        vpc = self.vpc if stack is self.stack else ec2.Vpc(stack, self.id("Vpc"), max_azs=1)
        return ImmutableFleet(
            stack,
            self.id("Web"),
            **{
                "vpc": vpc,
                "machine_image": PinnedSsmImage("/images/web/stable", version=3),
                "instance_type": ec2.InstanceType("t3.small"),
                **props,
            },
        )

    def blue_green(self, **props: Any) -> BlueGreenFleet:
        return BlueGreenFleet(
            self.stack,
            self.id("Api"),
            vpc=self.vpc,
            machine_image=PinnedSsmImage("/images/web/stable", version=3),
            instance_type=ec2.InstanceType("t3.small"),
            target_group=self.target_group,
            **props,
        )

    def access(self, **props: Any) -> SessionManagerAccess:
        return SessionManagerAccess(self.stack, self.id("Sessions"), **props)


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def one_problem(build: Callable[[], object], path: str, prop: str, reason: str) -> Problem:
    """``build`` raises one ValidationError for ``path`` with one problem about ``prop``, its value and a fix."""
    with pytest.raises(ValidationError) as raised:
        build()
    error = raised.value
    assert re.fullmatch(path, error.construct_path), str(error)
    assert len(error.problems) == 1, str(error)
    (problem,) = error.problems
    assert problem.prop == prop, str(error)
    assert re.search(reason, problem.reason), str(error)
    assert problem.fix, str(error)
    return problem


# -- AWS limits --------------------------------------------------------------------------------------------


def test_a_shell_profile_larger_than_an_ssm_document_is_refused(world: World) -> None:
    problem = one_problem(
        lambda: world.access(shell_profile_linux="echo hello\n" * 6000),
        r"Shop/Sessions\d+",
        "shell_profile_linux",
        r"SSM documents are limited to 64 KB",
    )
    assert "66000 characters" in str(problem.value)


def test_a_shell_profile_of_a_few_commands_is_rendered(world: World) -> None:
    access = world.access(shell_profile_linux="cd /srv/app\nexec bash -l\n")
    assert (
        world.stack.resolve(access.document.content)["inputs"]["shellProfile"]["linux"] == "cd /srv/app\nexec bash -l\n"
    )


def test_an_s3_key_prefix_longer_than_an_s3_key_is_refused(world: World) -> None:
    one_problem(
        lambda: world.access(s3_key_prefix="p" * 1100 + "/"),
        r"Shop/Sessions\d+",
        "s3_key_prefix",
        r"1101 bytes, longer than AWS's limit of 668",
    )
    world.access(s3_key_prefix="team/" * 130)  # 650 bytes: the fleet's id and the session id still fit


def test_log_paths_that_make_log_stream_names_longer_than_512_are_refused(world: World) -> None:
    one_problem(
        lambda: world.immutable(log_paths=["/var/log/app/" + "a" * 500 + ".log"]),
        r"Shop/Web\d+",
        "log_paths",
        r"longer than AWS's limit of 492",
    )


# -- wrong kinds -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda w: w.access(log_retention="ONE_YEAR"),
        lambda w: TaintedHostReplacement(w.stack, w.id("Tainted"), fleets=[w.fleet], log_retention="ONE_YEAR"),
        lambda w: StackDriftAlarm(w.stack, w.id("Drift"), log_retention="ONE_YEAR"),
        lambda w: w.immutable(log_retention="ONE_YEAR"),
    ],
    ids=["SessionManagerAccess", "TaintedHostReplacement", "StackDriftAlarm", "ImmutableFleet"],
)
def test_a_retention_given_as_a_string_names_the_prop(world: World, build: Callable[[World], object]) -> None:
    problem = one_problem(lambda: build(world), r"Shop/\w+", "log_retention", r"(must be|is not) a logs\.RetentionDays")
    assert problem.value == "ONE_YEAR"


def test_add_fleet_with_a_vpc_is_refused(world: World) -> None:
    access = world.access()
    one_problem(lambda: access.add_fleet(world.vpc), access.node.path, "add_fleet(fleet)", r"must be a SessionTarget")
    tainted = TaintedHostReplacement(world.stack, world.id("Tainted"), fleets=[world.fleet])
    one_problem(lambda: tainted.add_fleet(world.vpc), tainted.node.path, "add_fleet(fleet)", r"TaintableFleet")


@pytest.mark.parametrize("principal", [None, "arn:aws:iam::111111111111:role/oncall"])
def test_grant_start_session_to_what_is_not_a_principal_is_refused(world: World, principal: Any) -> None:
    access = world.access()
    one_problem(
        lambda: access.grant_start_session(principal),
        access.node.path,
        "grant_start_session(principal)",
        r"must be a iam\.IGrantable",
    )


def test_grant_instance_logging_to_none_is_refused(world: World) -> None:
    access = world.access()
    one_problem(
        lambda: access.grant_instance_logging(None),  # type: ignore[arg-type]
        access.node.path,
        "grant_instance_logging(grantee)",
        r"must be a iam\.IGrantable",
    )


def test_a_start_session_command_for_two_words_is_refused(world: World) -> None:
    access = world.access()
    one_problem(
        lambda: access.start_session_command("i-0123 --profile prod"),
        access.node.path,
        "start_session_command(instance_id)",
        r"does not match",
    )


def test_add_alarm_action_with_an_arn_string_is_refused(world: World) -> None:
    drift = StackDriftAlarm(world.stack, world.id("Drift"))
    one_problem(
        lambda: drift.add_alarm_action("arn:aws:sns:eu-west-1:111111111111:pager"),  # type: ignore[arg-type]
        drift.node.path,
        "add_alarm_action(actions)",
        r"cloudwatch\.IAlarmAction",
    )


# -- content that breaks at boot -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "prop", "reason"),
    [
        (lambda: FleetHealthCheck.command("curl -f localhost # the app"), "health_check.command", r"'#' comment"),
        (lambda: FleetHealthCheck.command("test -f '/srv/ready"), "health_check.command", r"No closing quotation"),
        (lambda: FleetHealthCheck.http("http://localhost:99999/health"), "health_check.url", r"port outside 1-65535"),
    ],
    ids=["comment", "unbalanced-quote", "port-99999"],
)
def test_a_health_check_that_cannot_run_is_refused(
    world: World, check: Callable[[], FleetHealthCheck], prop: str, reason: str
) -> None:
    one_problem(lambda: world.immutable(health_check=check()), r"Shop/Web\d+", prop, reason)


@pytest.mark.parametrize(
    ("options", "prop", "reason"),
    [
        ({"bake_time": Duration.days(3)}, "update.bake_time", r"must be from 0 seconds to 2 days"),
        ({"instance_warmup": Duration.millis(1500)}, "update.instance_warmup", r"not a whole number of seconds"),
        ({"checkpoint_delay": Duration.minutes(5)}, "update.checkpoint_delay", r"no checkpoint_percentages"),
    ],
    ids=["bake-time-3-days", "warmup-1500-ms", "delay-without-checkpoints"],
)
def test_instance_refresh_durations_aws_refuses_are_refused(
    world: World, options: dict[str, Any], prop: str, reason: str
) -> None:
    one_problem(lambda: world.immutable(update=FleetUpdate.instance_refresh(**options)), r"Shop/Web\d+", prop, reason)


# -- twice, or in two lists -------------------------------------------------------------------------------


def test_a_target_group_listed_twice_is_refused(world: World) -> None:
    tg = world.target_group
    one_problem(lambda: world.immutable(target_groups=[tg, tg]), r"Shop/Web\d+", "target_groups", r"lists .*Tg twice")


def test_a_fleet_both_replaced_and_only_tagged_is_refused(world: World) -> None:
    problem = one_problem(
        lambda: TaintedHostReplacement(
            world.stack, world.id("Tainted"), fleets=[world.fleet], tag_only_fleets=[world.fleet]
        ),
        r"Shop/Tainted\d+",
        "tag_only_fleets[0]",
        r"is also in fleets",
    )
    assert problem.value == world.fleet.node.path


def test_strict_given_as_a_string_is_refused() -> None:
    from immutable_constructs.nag import ImmutableInfrastructureChecks

    one_problem(lambda: ImmutableInfrastructureChecks(strict="false"), "ImmutableInfrastructureChecks", "strict", "")


# -- roles the fleet cannot use as it should ---------------------------------------------------------------


def test_an_immutable_imported_role_warns_what_the_fleet_cannot_add(world: World) -> None:
    role = iam.Role.from_role_arn(world.stack, world.id("Imported"), f"arn:aws:iam::{ACCOUNT}:role/web", mutable=False)
    fleet = world.immutable(role=role)
    Annotations.from_stack(world.stack).has_warning(
        f"/{fleet.node.path}",
        Match.string_like_regexp(r"mutable=False.*cloudformation:SignalResource.*Add those statements to the role"),
    )


def test_a_mutable_or_own_role_does_not_warn(world: World) -> None:
    role = iam.Role.from_role_arn(world.stack, world.id("Imported"), f"arn:aws:iam::{ACCOUNT}:role/web")
    fleet = world.immutable(role=role)
    warnings = Annotations.from_stack(world.stack).find_warning(f"/{fleet.node.path}", Match.string_like_regexp("."))
    assert not [w for w in warnings if "immutableInstanceRole" in json.dumps(w.entry.data)]


def test_a_role_of_another_account_is_refused(world: World) -> None:
    role = iam.Role.from_role_arn(world.stack, world.id("Foreign"), "arn:aws:iam::222222222222:role/web")
    one_problem(lambda: world.immutable(role=role), r"Shop/Web\d+", "role", r"account 222222222222")
    one_problem(lambda: world.blue_green(role=role), r"Shop/Api\d+", "role", r"account 222222222222")
    access = world.access()
    one_problem(
        lambda: access.grant_start_session(role), access.node.path, "grant_start_session(principal)", r"account"
    )


# -- objects of another region or account where AWS requires the same ----------------------------------------


def test_a_session_key_of_another_region_is_refused(world: World) -> None:
    key = kms.Key(world.other_region, world.id("Key"))
    one_problem(lambda: world.access(encryption_key=key), r"Shop/Sessions\d+", "encryption_key", r"region us-east-1")
    imported = kms.Key.from_key_arn(world.stack, world.id("Imported"), "arn:aws:kms:us-east-1:111111111111:key/abc")
    one_problem(lambda: world.access(encryption_key=imported), r"Shop/Sessions\d+", "encryption_key", r"us-east-1")


def test_endpoints_in_a_vpc_of_another_region_are_refused(world: World) -> None:
    vpc = ec2.Vpc(world.other_region, world.id("Vpc"), max_azs=1)
    one_problem(lambda: world.access(vpc=vpc), r"Shop/Sessions\d+", "vpc", r"region us-east-1")


def test_a_log_group_of_another_account_is_refused(world: World) -> None:
    group = logs.LogGroup(world.other_account, world.id("Logs"))
    one_problem(lambda: world.access(log_group=group), r"Shop/Sessions\d+", "log_group", r"account 222222222222")


def test_a_fleet_of_another_region_is_refused(world: World) -> None:
    fleet = world.immutable(world.other_region)
    access = world.access()
    one_problem(lambda: access.add_fleet(fleet), access.node.path, "add_fleet(fleet)", r"region us-east-1")
    one_problem(
        lambda: TaintedHostReplacement(world.stack, world.id("Tainted"), fleets=[fleet]),
        r"Shop/Tainted\d+",
        "fleets",
        r"region us-east-1",
    )


def test_alarm_actions_of_another_region_are_refused(world: World) -> None:
    drift = StackDriftAlarm(world.stack, world.id("Drift"))
    for topic in (
        sns.Topic(world.other_region, world.id("Pager")),
        sns.Topic.from_topic_arn(world.stack, world.id("Pager"), "arn:aws:sns:us-east-1:111111111111:pager"),
    ):
        one_problem(
            lambda t=topic: drift.add_alarm_action(cw_actions.SnsAction(t)),
            drift.node.path,
            "add_alarm_action(actions[0])",
            r"another account or region|region us-east-1",
        )
    drift.add_alarm_action(cw_actions.SnsAction(sns.Topic(world.stack, world.id("Pager"))))  # its own region


def test_alarm_actions_of_any_kind_of_another_region_are_refused() -> None:
    from aws_cdk import aws_lambda as lambda_

    flag = "@aws-cdk/aws-cloudwatch-actions:changeLambdaPermissionLogicalIdForLambdaAction"
    app = App(context={flag: True})
    stack = Stack(app, "Shop", env={"account": ACCOUNT, "region": REGION})
    virginia = Stack(app, "Virginia", env={"account": ACCOUNT, "region": "us-east-1"})

    def function(scope: Stack, id: str) -> lambda_.Function:
        code = lambda_.Code.from_inline("def handler(event, context):\n    return None\n")
        return lambda_.Function(scope, id, runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler", code=code)

    drift = StackDriftAlarm(stack, "Drift", stacks=[stack])
    imported = lambda_.Function.from_function_arn(stack, "Imported", "arn:aws:lambda:us-east-1:111111111111:function:p")
    for fn, reason in ((imported, r"region us-east-1"), (function(virginia, "Pager"), r"another account or region")):
        one_problem(
            lambda f=fn: drift.add_alarm_action(cw_actions.LambdaAction(f)),
            "Shop/Drift",
            "add_alarm_action(actions[0])",
            reason,
        )
    own = function(stack, "Pager")
    drift.add_alarm_action(cw_actions.LambdaAction(own))  # its own region; checking it bound it once more
    permissions = [c.node.id for c in own.node.children if c.node.id.endswith("AlarmPermission")]
    assert len(permissions) == len(drift.alarms) + 1 > 1, permissions  # one per alarm, check-failed included


def test_a_lambda_alarm_action_on_many_alarms_without_cdks_flag_is_refused(world: World) -> None:
    from aws_cdk import aws_lambda as lambda_

    code = lambda_.Code.from_inline("def handler(event, context):\n    return None\n")
    fn = lambda_.Function(world.stack, world.id("Pager"), runtime=lambda_.Runtime.PYTHON_3_13, handler="i.h", code=code)
    drift = StackDriftAlarm(world.stack, world.id("Drift"), stacks=[world.stack])
    one_problem(
        lambda: drift.add_alarm_action(cw_actions.LambdaAction(fn)),
        drift.node.path,
        "add_alarm_action(actions[0])",
        r"changeLambdaPermissionLogicalIdForLambdaAction",
    )


def test_an_alarm_topic_of_another_region_is_refused(world: World) -> None:
    stack = Stack(world.app, world.id("Topics"), env={"account": ACCOUNT, "region": REGION})
    topic = sns.Topic(world.other_region, world.id("Pager"))
    one_problem(lambda: AlarmTopic.use(stack, topic), r"Topics\d+/ImmutableAlarmTopic", "topic", r"region us-east-1")


# -- tokens: rendered, never int()-converted -----------------------------------------------------------------


def test_tokens_are_rendered_into_the_template() -> None:
    app = App()
    stack = Stack(app, "Tokens", env={"account": ACCOUNT, "region": REGION})
    world = World.__new__(World)
    world.app, world.stack = app, stack
    world.vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    world.target_group = elbv2.ApplicationTargetGroup(stack, "Tg", vpc=world.vpc, port=80)
    elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=world.vpc).add_listener(
        "Http", port=80, default_target_groups=[world.target_group]
    )

    def number(name: str) -> float:
        return CfnParameter(stack, name, type="Number").value_as_number

    fleet = world.immutable(
        health_check=FleetHealthCheck.http("http://localhost/health", timeout=Duration.seconds(number("Timeout"))),
        health_check_grace_period=Duration.seconds(number("Grace")),
    )
    api = world.blue_green(termination_wait=Duration.minutes(number("TerminationWait")))
    TaintedHostReplacement(stack, "Tainted", fleets=[fleet], grace_period=Duration.seconds(number("TaintGrace")))
    access = SessionManagerAccess(stack, "Sessions", tainted_host_grace_period=Duration.seconds(number("SessionGrace")))
    access.add_fleet(api)
    stack_name = CfnParameter(stack, "WatchedStack").value_as_string
    drift = StackDriftAlarm(stack, "Drift", stacks=["Shop", stack_name])

    template = json.dumps(app.synth().get_stack_by_name("Tokens").template)
    for parameter in ("Timeout", "Grace", "TerminationWait", "TaintGrace", "SessionGrace", "WatchedStack"):
        assert json.dumps({"Ref": parameter}) in template, parameter
    assert not re.search(r"-1\.888\d*e\+289|-18881545897087", template)  # what int(token) gives
    assert set(drift.alarms) == {"Shop", stack_name}
    assert drift.alarms[stack_name].node.id == "Stack1Drifted"


def test_an_alarm_topic_made_in_a_construct_rather_than_a_stack_is_refused(world: World) -> None:
    holder = Construct(world.stack, world.id("Holder"))
    one_problem(lambda: AlarmTopic(holder, "Topic"), r"Shop/Holder\d+/Topic", "scope", r"is not a Stack")  # type: ignore[arg-type]
