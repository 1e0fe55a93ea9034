"""Property-based tests (Hypothesis) over every public constructor and factory.

Generated inputs, valid and invalid, must either build a construct whose template is clean (no
Python repr, no ``None``/``True`` strings, no string split into characters; a sample passes
cfn-lint) or raise ValidationError (or a TypeError naming the prop). Nothing else: no
AttributeError, no jsii error, no bare AssertionError.

``make test`` runs a small derandomized profile; ``make fuzz`` (``HYPOTHESIS_PROFILE=fuzz``)
runs many more random examples.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_cdk import App, CfnParameter, Duration, Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from immutable_constructs import (
    AmiCatalog,
    BlueGreenFleet,
    FleetHealthCheck,
    FleetUpdate,
    GoldenImagePipeline,
    ImageComponent,
    ImmutableFleet,
    ParentImage,
    PinnedSsmImage,
    SessionManagerAccess,
    ValidationError,
)

from .images.test_image_pipeline import HARDEN, WEB

FUZZ = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"


def profile(examples: int) -> settings:
    """Few derandomized examples for `make test`; many random ones for `make fuzz`."""
    return settings(
        max_examples=examples * 25 if FUZZ else examples,
        deadline=None,
        derandomize=not FUZZ,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


@dataclass(frozen=True)
class Make:
    """A value built inside the test's stack (a VPC, a target group, a token...)."""

    name: str
    build: Callable[[Stack, ec2.Vpc], Any]

    def __repr__(self) -> str:
        return self.name


def resolve(value: Any, stack: Stack, vpc: ec2.Vpc) -> Any:
    if isinstance(value, Make):
        return value.build(stack, vpc)
    if isinstance(value, list):
        return [resolve(v, stack, vpc) for v in value]
    return value


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=70000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", " ", "\n", "x\n", "ami-0abc", "http://x", "t3.medium", "/dev/xvda", "123456789012"]),
    st.just([]),
    st.lists(st.text(max_size=4), max_size=3),
    st.just(Duration.minutes(5)),
    st.just({"a": 1}),
)
NUMBER_TOKEN = Make("CfnParameter(Number)", lambda s, v: CfnParameter(s, "N", type="Number", default=2).value_as_number)
VPC = Make("Vpc", lambda s, v: v)
TARGET_GROUP = Make("TargetGroup", lambda s, v: target_group(s, v))
OTHER_VPC_GROUP = Make(
    "TargetGroup(other VPC)",
    lambda s, v: elbv2.ApplicationTargetGroup(s, "OtherTg", vpc=ec2.Vpc(s, "Other", max_azs=1), port=80),
)
IMAGE = PinnedSsmImage("/images/web/stable", version=3)


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly valid values, sometimes junk."""
    return st.one_of(valid, valid, valid, JUNK)


def durations(low: int, high: int, unit: Callable[[float], Duration] = Duration.seconds) -> st.SearchStrategy[Any]:
    return maybe(st.integers(min_value=low, max_value=high).map(unit))


def target_group(stack: Stack, vpc: ec2.Vpc) -> elbv2.ApplicationTargetGroup:
    group = elbv2.ApplicationTargetGroup(stack, "Tg", vpc=vpc, port=80, target_type=elbv2.TargetType.INSTANCE)
    elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc).add_listener("Http", port=80, default_target_groups=[group])
    return group


def health_checks() -> st.SearchStrategy[Any]:
    return maybe(
        st.one_of(
            st.sampled_from(["http://localhost:8080/health", "localhost", "https://a/b c", ""]).map(
                FleetHealthCheck.http
            ),
            st.sampled_from(["systemctl is-active --quiet app", " ", "true"]).map(FleetHealthCheck.command),
        )
    )


SHARED_FLEET_PROPS: dict[str, st.SearchStrategy[Any]] = {
    "machine_image": maybe(st.sampled_from([IMAGE, ec2.MachineImage.latest_amazon_linux2023()])),
    "instance_type": maybe(st.just(ec2.InstanceType("t3.small"))),
    "min_capacity": maybe(st.one_of(st.integers(min_value=0, max_value=6), st.just(NUMBER_TOKEN))),
    "max_capacity": maybe(st.integers(min_value=0, max_value=12)),
    "desired_capacity": maybe(st.integers(min_value=0, max_value=8)),
    "health_check": health_checks(),
    "max_instance_lifetime": durations(0, 400, Duration.days),
    "health_check_grace_period": durations(0, 9000),
    "imds_hop_limit": maybe(st.integers(min_value=0, max_value=70)),
    "root_volume_size": maybe(st.integers(min_value=0, max_value=20000)),
    "root_device_name": maybe(st.sampled_from(["/dev/xvda", "/dev/sda1", "xvda", "/dev/xvda\n"])),
    "log_retention": maybe(st.just(logs.RetentionDays.ONE_WEEK)),
}


# --- checking the outcome ------------------------------------------------------------------


REPR_MARKERS = ("object at 0x", "<aws_cdk", "<immutable_constructs", "<function")
PYTHON_LITERALS = {"None", "True", "False"}
linted: set[str] = set()


def walk(value: Any, inputs: set[str]) -> Any:
    """The leaves of a template; fails on a list of characters that spell one of the input strings."""
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item, inputs)
    elif isinstance(value, list):
        if len(value) >= 2 and all(isinstance(v, str) and len(v) == 1 for v in value):
            assert "".join(value) not in inputs, f"a string split into characters: {value}"
        for item in value:
            yield from walk(item, inputs)
    else:
        yield value


def strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, (list, tuple)):
        return set().union(*(strings(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return strings(list(value.values()))
    return set()


def check_templates(app: App, name: str, props: dict[str, Any]) -> None:
    """The app's templates hold no Python repr or split input string; the first one per construct passes cfn-lint."""
    inputs = strings(props)
    for stack in app.synth().stacks:
        text = json.dumps(stack.template)
        for marker in REPR_MARKERS:
            assert marker not in text, f"{marker!r} in the template of {name}"
        for leaf in walk(stack.template, inputs):
            assert not (isinstance(leaf, str) and leaf in PYTHON_LITERALS), f"Python literal {leaf!r} in {name}"
        if name not in linted and (FUZZ or name == "ImmutableFleet"):  # cfn-lint costs seconds: one sample
            linted.add(name)
            lint(text, name)


def lint(text: str, name: str) -> None:
    from cfnlint.api import lint as cfn_lint

    errors = [m for m in cfn_lint(text, regions=["eu-west-1"]) if m.rule.id.startswith("E")]
    assert not errors, f"cfn-lint errors in {name}: {[str(e) for e in errors][:5]}"


def outcome(build: Callable[[], Any], props: dict[str, Any]) -> bool:
    """True when the construct was built; False when it refused the input the right way."""
    try:
        build()
    except ValidationError as error:
        assert error.problems, "a ValidationError without problems"
        for problem in error.problems:
            assert problem.fix, f"no fix in {problem}"
            assert "object at 0x" not in str(problem), f"a Python repr in the message: {problem}"
        return False
    except TypeError as error:  # a jsii type check: it must name the prop
        assert any(prop in str(error) for prop in props), f"a TypeError that names no prop: {error}"
        return False
    return True


def fresh() -> tuple[App, Stack, ec2.Vpc]:
    app = App()
    stack = Stack(app, "Fuzz", env=Environment(account="123456789012", region="eu-west-1"))
    return app, stack, ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)


# --- constructs ----------------------------------------------------------------------------


@profile(12)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            **SHARED_FLEET_PROPS,
            "vpc": maybe(st.just(VPC)),
            "update": maybe(
                st.one_of(
                    st.just(FleetUpdate.replacing()),
                    st.builds(FleetUpdate.rolling, max_batch_size=st.integers(min_value=0, max_value=5)),
                    st.builds(
                        FleetUpdate.instance_refresh, min_healthy_percentage=st.integers(min_value=0, max_value=120)
                    ),
                )
            ),
            "signal_timeout": durations(0, 50000),
            "allow_all_outbound": maybe(st.booleans()),
            "target_groups": maybe(st.lists(st.sampled_from([TARGET_GROUP, OTHER_VPC_GROUP]), max_size=1)),
        },
    )
)
@example({})  # the defaults: always built, so the cfn-lint sample always runs
def test_immutable_fleet(props: dict[str, Any]) -> None:
    app, stack, vpc = fresh()
    props = {"vpc": VPC, "machine_image": IMAGE, "instance_type": ec2.InstanceType("t3.small"), **props}
    built = {k: resolve(v, stack, vpc) for k, v in props.items()}
    if outcome(lambda: ImmutableFleet(stack, "Fleet", **built), props):
        check_templates(app, "ImmutableFleet", props)


@profile(6)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            **SHARED_FLEET_PROPS,
            "target_group": maybe(st.sampled_from([TARGET_GROUP, OTHER_VPC_GROUP])),
            "termination_wait": durations(0, 200, Duration.minutes),
            "deployment_timeout": durations(0, 120, Duration.minutes),
            "keep_old_fleet": maybe(st.booleans()),
            "alarms": maybe(st.just([])),
        },
    )
)
@example({})
def test_blue_green_fleet(props: dict[str, Any]) -> None:
    app, stack, vpc = fresh()
    props = {"machine_image": IMAGE, "instance_type": ec2.InstanceType("t3.small"), **props}
    props.setdefault("target_group", TARGET_GROUP)
    built = {k: resolve(v, stack, vpc) for k, v in props.items()}
    if outcome(lambda: BlueGreenFleet(stack, "Fleet", vpc=vpc, **built), props):
        check_templates(app, "BlueGreenFleet", props)


COMPONENTS = st.lists(
    st.sampled_from(
        [
            ImageComponent.from_dict("install-web", WEB),
            ImageComponent.from_dict("install_web", WEB),
            ImageComponent.from_yaml("harden", HARDEN),
            ImageComponent.from_yaml("broken", "phases: [unclosed"),
            ImageComponent.from_aws_managed("update-linux", "1.0.2"),
            ImageComponent.from_aws_managed("update-linux", "latest"),
        ]
    ),
    max_size=3,
    unique_by=lambda c: c.name + str(c.managed_version),
)


@profile(10)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "version": maybe(st.sampled_from(["1.0", "2.13", "1.0\n", "01.2", "1.0.0"])),
            "components": maybe(COMPONENTS),
            "parent_image": maybe(
                st.sampled_from(
                    [
                        ParentImage.from_ssm_parameter(
                            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
                        ),
                        ParentImage.from_ami("ami-0123456789abcdef0"),
                        ParentImage.from_ami("not-an-ami"),
                        ParentImage.from_managed("amazon-linux-2023-x86"),
                    ]
                )
            ),
            "instance_types": maybe(st.sampled_from([["t3.medium"], ["t3.medium", "m5.large"], "t3.medium", []])),
            "schedule": maybe(
                st.sampled_from(
                    ["cron(0 4 ? * MON *)", "", "cron(99 99 ? * FOO *)", "rate(1 day)", "cron(0 4 L * ? *)"]
                )
            ),
            "schedule_timezone": maybe(st.sampled_from(["UTC", "Europe/Paris", "Mars/Olympus"])),
            "distribution_regions": maybe(st.lists(st.sampled_from(["eu-west-1", "us-east-1", "eu-nowhere-1"]))),
            "distribution_accounts": maybe(st.lists(st.sampled_from(["123456789012", "210987654321", "1234"]))),
            "root_volume_size": maybe(st.integers(min_value=0, max_value=17000)),
            "data_volumes": maybe(st.sampled_from([{"/dev/sdf": 10}, {"/dev/xvda": 10}, {"/dev/sdg": True}])),
            "max_findings": maybe(st.integers(min_value=-1, max_value=5)),
            "keep_at_least": maybe(st.integers(min_value=0, max_value=12)),
            "severity_threshold": maybe(st.sampled_from(["HIGH", "CRITICAL", "SEVERE"])),
            "promote": maybe(st.booleans()),
            "build_on_deploy": maybe(st.booleans()),
            "image_line": maybe(st.sampled_from(["web", "api"])),
        },
    )
)
@example({})
def test_golden_image_pipeline(props: dict[str, Any]) -> None:
    app, stack, vpc = fresh()
    catalog = AmiCatalog(stack, "Catalog")
    props = {
        "parent_image": ParentImage.from_ssm_parameter(
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
        ),
        "components": [ImageComponent.from_yaml("harden", HARDEN)],
        **props,
    }
    if outcome(lambda: GoldenImagePipeline(stack, "Pipeline", catalog=catalog, vpc=vpc, **props), props):
        check_templates(app, "GoldenImagePipeline", props)


@profile(12)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "idle_session_timeout": durations(0, 100, Duration.minutes),
            "max_session_duration": durations(0, 2000, Duration.minutes),
            "run_as_user": maybe(st.sampled_from(["ec2-user", "ssm-operator", "Root", "ec2-user\n"])),
            "document_name": maybe(st.sampled_from(["Team-Sessions", "aws-x", "ab", "Team-Sessions\n"])),
            "use_account_default_document": maybe(st.booleans()),
            "s3_key_prefix": maybe(st.sampled_from(["sessions/", "/sessions/"])),
            "log_to_s3": maybe(st.booleans()),
            "log_to_cloudwatch": maybe(st.booleans()),
            "vpc": maybe(st.just(VPC)),
            "endpoints": maybe(st.booleans()),
        },
    )
)
@example({})
def test_session_manager_access(props: dict[str, Any]) -> None:
    app, stack, vpc = fresh()
    built = {k: resolve(v, stack, vpc) for k, v in props.items()}
    if outcome(lambda: SessionManagerAccess(stack, "Sessions", **built), props):
        check_templates(app, "SessionManagerAccess", props)


@profile(30)
@given(
    prefix=maybe(st.sampled_from(["/images", "/a/b", "images", "/aws/x", "/images/", "/images\n"])),
    lines=maybe(st.lists(st.sampled_from(["web", "api", "bad name", "web\n"]), max_size=3)),
    channels=maybe(st.lists(st.sampled_from(["candidate", "stable", "qa"]), max_size=3)),
    version=maybe(st.one_of(st.integers(min_value=-1, max_value=30), st.just(NUMBER_TOKEN))),
)
@example(prefix="/images", lines=["web"], channels=["candidate", "stable"], version=NUMBER_TOKEN)
def test_ami_catalog_and_pinned_images(prefix: Any, lines: Any, channels: Any, version: Any) -> None:
    app, stack, vpc = fresh()
    props = {"prefix": prefix, "lines": lines, "channels": channels}

    def build() -> None:
        catalog = AmiCatalog(stack, "Catalog", **props)
        image = catalog.machine_image(
            catalog.lines[0], channel=catalog.channels[-1], version=resolve(version, stack, vpc)
        )
        ImmutableFleet(stack, "Fleet", vpc=vpc, machine_image=image, instance_type=ec2.InstanceType("t3.small"))

    if outcome(build, {**props, "version": version}):
        check_templates(app, "AmiCatalog", props)


# --- factories (no synth: cheap, so many examples) ----------------------------------------


def factory_outcome(build: Callable[[], Any]) -> Any:
    try:
        return build()
    except ValidationError as error:
        assert error.problems and all(p.fix for p in error.problems)
        return None


@profile(60)
@given(target=JUNK, timeout=maybe(st.just(Duration.minutes(2))), interval=maybe(st.just(Duration.seconds(3))))
def test_health_check_factories(target: Any, timeout: Any, interval: Any) -> None:
    for factory in (FleetHealthCheck.http, FleetHealthCheck.command):
        check = factory_outcome(lambda f=factory: f(target, timeout=timeout, interval=interval))  # type: ignore[misc]
        if check is not None:
            assert isinstance(check.render(), list)


@profile(60)
@given(
    batch=maybe(st.integers(min_value=0, max_value=5)),
    percentages=maybe(st.lists(st.integers(min_value=0, max_value=120), max_size=3)),
    warmup=maybe(st.just(Duration.minutes(1))),
)
def test_update_factories(batch: Any, percentages: Any, warmup: Any) -> None:
    factory_outcome(lambda: FleetUpdate.rolling(max_batch_size=batch, min_success_percentage=batch))
    factory_outcome(lambda: FleetUpdate.instance_refresh(checkpoint_percentages=percentages, instance_warmup=warmup))


@profile(60)
@given(name=JUNK, text=JUNK, parameters=maybe(st.just({"level": "strict"})))
def test_component_and_parent_factories(name: Any, text: Any, parameters: Any) -> None:
    # The factories never raise: a problem is carried to the pipeline, which reports it with its path.
    for component in (
        ImageComponent.from_yaml(name, text, parameters=parameters),
        ImageComponent.from_aws_managed(name, text, parameters=parameters),
        ImageComponent.from_file(text),
    ):
        assert component._problem is None or component._problem[3]
    if isinstance(text, dict):
        assert ImageComponent.from_dict(name, text, parameters=parameters) is not None
    for parent in (ParentImage.from_ami(text), ParentImage.from_ssm_parameter(text), ParentImage.from_managed(text)):
        assert parent._problem is None or parent._problem[3]
    pinned = factory_outcome(lambda: PinnedSsmImage(text, version=name))
    if pinned is not None:
        assert "object at" not in pinned.image_id
