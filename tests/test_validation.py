"""Every bad input gets one clear ValidationError; valid input the README promises works.

One test per example of the issue, across every construct and value object: the error names
the construct path (or the factory), the prop as the user wrote it, the value and the fix.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import App, CfnParameter, Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk.assertions import Template

from immutable_constructs import (
    AmiCatalog,
    BlueGreenFleet,
    FleetHealthCheck,
    FleetUpdate,
    ImageComponent,
    ImmutableFleet,
    ParentImage,
    PinnedSsmImage,
    SessionManagerAccess,
    ValidationError,
)
from immutable_constructs._private.limits import iam_description
from immutable_constructs._private.validation import schedule_problem

from .images.test_image_pipeline import HARDEN, WEB
from .images.test_image_pipeline import build as build_pipeline

IMAGE = PinnedSsmImage("/images/web/stable", version=3)
ENV = Environment(account="123456789012", region="eu-west-1")


def one_problem(raised: pytest.ExceptionInfo[ValidationError], path: str, prop: str) -> str:
    """The single problem's text, after checking path, prop and that a fix is given."""
    error = raised.value
    assert error.construct_path == path
    assert [p.prop for p in error.problems] == [prop], str(error)
    assert "Fix: " in str(error)
    return str(error.problems[0])


def fleet(stack: Stack, **overrides: Any) -> ImmutableFleet:
    props: dict[str, Any] = {
        "vpc": None if "vpc" in overrides else ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1),
        "machine_image": IMAGE,
        "instance_type": ec2.InstanceType("t3.small"),
    }
    props.update(overrides)
    return ImmutableFleet(stack, "Fleet", **props)


def blue_green(stack: Stack, **overrides: Any) -> BlueGreenFleet:
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    alb = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc)
    group = elbv2.ApplicationTargetGroup(stack, "Tg", vpc=vpc, port=80, target_type=elbv2.TargetType.INSTANCE)
    alb.add_listener("Http", port=80, default_target_groups=[group])
    props: dict[str, Any] = {
        "vpc": vpc,
        "machine_image": IMAGE,
        "instance_type": ec2.InstanceType("t3.small"),
        "target_group": group,
    }
    props.update(overrides)
    return BlueGreenFleet(stack, "Fleet", **props)


# --- wrong Python types ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "prop", "message"),
    [
        ({"min_capacity": "2"}, "min_capacity", "min_capacity='2': must be a whole number"),
        ({"vpc": None}, "vpc", "vpc=None: is not a VPC"),
        ({"machine_image": "ami-0abc1234"}, "machine_image", "machine_image='ami-0abc1234': is not a machine image"),
        ({"signal_timeout": 900}, "signal_timeout", "signal_timeout=900: must be a Duration"),
        ({"health_check": "http://localhost/"}, "health_check", "is not a FleetHealthCheck"),
        ({"min_capacity": True}, "min_capacity", "min_capacity=True: must be a whole number"),
        ({"imds_hop_limit": True}, "imds_hop_limit", "imds_hop_limit=True: must be a whole number"),
        ({"instance_type": "t3.small"}, "instance_type", "instance_type='t3.small': is not an ec2.InstanceType"),
        ({"target_groups": "tg"}, "target_groups", "must be a list of target groups, not one string"),
    ],
)
def test_fleet_wrong_types(overrides: dict[str, Any], prop: str, message: str) -> None:
    stack = Stack(App(), "Test")
    with pytest.raises(ValidationError) as raised:
        fleet(stack, **overrides)
    assert message in one_problem(raised, "Test/Fleet", prop)


def test_health_check_factory_refuses_a_missing_url() -> None:
    with pytest.raises(ValidationError) as raised:
        FleetHealthCheck.http(None)  # type: ignore[arg-type]
    assert one_problem(raised, "FleetHealthCheck.http", "url").startswith("url=None: must be a string")


def test_update_factory_refuses_a_string_for_a_list() -> None:
    with pytest.raises(ValidationError) as raised:
        FleetUpdate.instance_refresh(checkpoint_percentages="50")  # type: ignore[arg-type]
    assert "pass a list" in one_problem(raised, "FleetUpdate.instance_refresh", "checkpoint_percentages")


def test_pipeline_version_must_be_a_string() -> None:
    with pytest.raises(ValidationError) as raised:
        build_pipeline(version=1)
    assert one_problem(raised, "Images/Web", "version").startswith("version=1: is not a string")


def test_catalog_lines_none() -> None:
    with pytest.raises(ValidationError) as raised:
        AmiCatalog(Stack(App(), "Test"), "Catalog", lines=None)  # type: ignore[arg-type]
    assert one_problem(raised, "Test/Catalog", "lines").startswith("lines=None: must be a list of names")


def test_session_timeout_must_be_a_duration() -> None:
    with pytest.raises(ValidationError) as raised:
        SessionManagerAccess(Stack(App(), "Test"), "Sessions", idle_session_timeout=20)  # type: ignore[arg-type]
    text = one_problem(raised, "Test/Sessions", "idle_session_timeout")
    assert text.startswith("idle_session_timeout=20: must be a cdk.Duration")


# --- strings where lists are expected ----------------------------------------------------


@pytest.mark.parametrize("prop", ["instance_types", "distribution_accounts"])
def test_pipeline_refuses_one_string_for_a_list(prop: str) -> None:
    value = "t3.medium" if prop == "instance_types" else "123456789012"
    with pytest.raises(ValidationError) as raised:
        build_pipeline(**{prop: value})
    text = one_problem(raised, "Images/Web", prop)
    assert "not one string" in text and f"pass a list: {prop}=[{value!r}]" in text


# --- full matches: no trailing newline ---------------------------------------------------


def test_pinned_image_name_with_a_newline() -> None:
    with pytest.raises(ValidationError, match="is not a valid SSM parameter name"):
        PinnedSsmImage("/images/web/stable\n", version=1)


@pytest.mark.parametrize(
    ("overrides", "prop"),
    [
        ({"version": "1.0\n"}, "version"),
        ({"distribution_accounts": ["123456789012\n"]}, "distribution_accounts"),
    ],
)
def test_pipeline_values_with_a_newline(overrides: dict[str, Any], prop: str) -> None:
    with pytest.raises(ValidationError) as raised:
        build_pipeline(**overrides)
    one_problem(raised, "Images/Web", prop)


@pytest.mark.parametrize(
    ("overrides", "prop"),
    [({"document_name": "Team-Sessions\n"}, "document_name"), ({"run_as_user": "ec2-user\n"}, "run_as_user")],
)
def test_session_names_with_a_newline(overrides: dict[str, Any], prop: str) -> None:
    with pytest.raises(ValidationError) as raised:
        SessionManagerAccess(Stack(App(), "Test"), "Sessions", **overrides)
    one_problem(raised, "Test/Sessions", prop)


def test_catalog_context_version_with_a_newline() -> None:
    app = App(context={"images.web.stable": "17\n"})
    catalog = AmiCatalog(Stack(app, "Test"), "Catalog")
    with pytest.raises(ValidationError, match="is not an integer"):
        catalog.machine_image("web")


# --- content -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("component", "message"),
    [
        (ImageComponent.from_yaml("bad", "phases: [unclosed"), "is not valid YAML"),
        (ImageComponent.from_yaml("nophases", "name: x\nschemaVersion: 1.0\n"), "the document has no 'phases'"),
        (ImageComponent.from_file("../../../etc/passwd"), "is outside the app's directory"),
        (
            ImageComponent.from_yaml("params", HARDEN, parameters={"level": 3}),
            "parameters) must be a dict of a string to",
        ),  # type: ignore[dict-item]
    ],
)
def test_component_content(component: ImageComponent, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        build_pipeline(components=[component])
    assert message in one_problem(raised, "Images/Web", "components")


@pytest.mark.parametrize(
    ("overrides", "prop", "message"),
    [
        ({"schedule": "cron(99 99 ? * FOO *)"}, "schedule", "the minutes field '99' is out of range"),
        ({"schedule_timezone": "Mars/Olympus"}, "schedule_timezone", "is not an IANA time zone"),
        ({"distribution_regions": ["eu-nowhere-1"]}, "distribution_regions[0]", "is not a region name"),
        ({"parent_image": ParentImage.from_ami("not-an-ami")}, "parent_image", "is not an AMI id"),
        ({"parent_image": ParentImage.from_ssm_parameter("my images")}, "parent_image", "is not an SSM parameter name"),
    ],
)
def test_pipeline_content(overrides: dict[str, Any], prop: str, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        build_pipeline(**overrides)
    assert message in one_problem(raised, "Images/Web", prop)


@pytest.mark.parametrize(
    ("expression", "ok"),
    [
        ("cron(0 4 ? * MON *)", True),
        ("cron(0/15 8-17 ? * MON-FRI *)", True),
        ("cron(0 4 L * ? *)", True),
        ("cron(0 4 ? * 2#1 *)", True),
        ("cron(60 4 ? * MON *)", False),
        ("cron(0 4 * * MON *)", False),
        ("cron(0 4 ? 13 * *)", False),
        ("rate(1 day)", True),
        ("rate(2 day)", False),
        ("rate(0 days)", False),
    ],
)
def test_schedule_expressions(expression: str, ok: bool) -> None:
    assert (schedule_problem(expression) is None) is ok


# --- the two fleets agree ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "prop"),
    [
        ({"min_capacity": True}, "min_capacity"),
        ({"root_volume_size": 0}, "root_volume_size"),
        ({"root_device_name": "xvda"}, "root_device_name"),
        ({"health_check": FleetHealthCheck.http("localhost:8080/health")}, "health_check.url"),
        ({"health_check": FleetHealthCheck.command("")}, "health_check.command"),
    ],
)
def test_both_fleets_refuse_the_same_input(overrides: dict[str, Any], prop: str) -> None:
    for make in (fleet, blue_green):
        stack = Stack(App(), "Test")
        with pytest.raises(ValidationError) as raised:
            make(stack, **overrides)
        one_problem(raised, "Test/Fleet", prop)


# --- cross-resource mistakes -------------------------------------------------------------


def test_target_group_in_another_vpc() -> None:
    stack = Stack(App(), "Test")
    other = ec2.Vpc(stack, "Other", max_azs=2, nat_gateways=0)
    group = elbv2.ApplicationTargetGroup(stack, "Tg", vpc=other, port=80)
    with pytest.raises(ValidationError) as raised:
        fleet(stack, target_groups=[group])
    assert "is in another VPC" in one_problem(raised, "Test/Fleet", "target_groups[0]")


def test_blue_green_target_group_in_another_vpc() -> None:
    stack = Stack(App(), "Test")
    other = ec2.Vpc(stack, "Other", max_azs=2, nat_gateways=0)
    group = elbv2.ApplicationTargetGroup(stack, "OtherTg", vpc=other, port=80)
    with pytest.raises(ValidationError) as raised:
        blue_green(stack, target_group=group)
    assert "is in another VPC" in one_problem(raised, "Test/Fleet", "target_group")


@pytest.mark.parametrize(
    ("props", "prop"),
    [
        ({"document_name": "Team-Sessions"}, "document_name"),
        ({"use_account_default_document": True}, "use_account_default_document"),
    ],
)
def test_two_session_documents_of_one_name_in_one_account(props: dict[str, Any], prop: str) -> None:
    app = App()
    SessionManagerAccess(Stack(app, "One", env=ENV), "Sessions", **props)
    other_region = Stack(app, "Elsewhere", env=Environment(account="123456789012", region="us-east-1"))
    SessionManagerAccess(other_region, "Sessions", **props)  # another region: its own document
    with pytest.raises(ValidationError) as raised:
        SessionManagerAccess(Stack(app, "Two", env=ENV), "Sessions", **props)
    assert "One/Sessions already creates the session document" in one_problem(raised, "Two/Sessions", prop)


# --- deploy-time limits ------------------------------------------------------------------


def test_non_latin_construct_ids_deploy_as_iam_descriptions() -> None:
    stack = Stack(App(), "Test")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    ImmutableFleet(
        stack, "ウェブ" + "x" * 1200, vpc=vpc, machine_image=IMAGE, instance_type=ec2.InstanceType("t3.small")
    )
    roles = Template.from_stack(stack).find_resources("AWS::IAM::Role")
    descriptions = [r["Properties"]["Description"] for r in roles.values()]
    assert descriptions and all(
        len(d) <= 1000 and re.fullmatch(r"[\t\n\r\x20-\x7e\xa1-\xff]*", d) for d in descriptions
    )
    assert descriptions[0].startswith("Instance role of the immutable fleet Test/???xxx") and descriptions[0].endswith(
        "..."
    )


def test_iam_description_transliterates_and_keeps_ordinary_text() -> None:
    assert iam_description("Instance role of Test/Web") == "Instance role of Test/Web"
    assert iam_description("Flotte Zürich café") == "Flotte Zürich café"  # Latin-1 is allowed as is
    assert iam_description("Flotte Čapek Łódź") == "Flotte Capek ?ódz"  # ó is Latin-1; Ł has no base letter


def test_blue_green_lambda_descriptions_fit() -> None:
    stack = Stack(App(), "Test")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    group = elbv2.ApplicationTargetGroup(stack, "Tg", vpc=vpc, port=80)
    elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc).add_listener("Http", port=80, default_target_groups=[group])
    BlueGreenFleet(
        stack, "F" * 300, vpc=vpc, machine_image=IMAGE, instance_type=ec2.InstanceType("t3.small"), target_group=group
    )
    functions = Template.from_stack(stack).find_resources("AWS::Lambda::Function")
    assert functions and all(len(f["Properties"].get("Description", "")) <= 256 for f in functions.values())


def test_catalog_parameter_names_fit_ssm() -> None:
    with pytest.raises(ValidationError) as raised:
        AmiCatalog(Stack(App(), "Test"), "Catalog", prefix="/" + "p" * 899, lines=["l" * 120])
    assert "exceed SSM's 1011 characters" in one_problem(raised, "Test/Catalog", "prefix")


# --- valid input that used to be refused --------------------------------------------------


def test_catalog_version_from_a_number_parameter() -> None:
    stack = Stack(App(), "Test")
    version = CfnParameter(stack, "WebVersion", type="Number", default=1)
    catalog = AmiCatalog(stack, "Catalog")
    fleet(stack, machine_image=catalog.machine_image("web", version=version.value_as_number))
    template = json.dumps(Template.from_stack(stack).to_json())
    assert '"{{resolve:ssm:/images/web/stable:", {"Ref": "WebVersion"}, "}}"' in template


def test_components_whose_names_pascal_case_alike() -> None:
    stack, pipeline, _ = build_pipeline(
        components=[ImageComponent.from_dict("install-web", WEB), ImageComponent.from_dict("install_web", WEB)]
    )
    # and the journal component every pipeline with the CloudWatch agent adds (issue 23)
    assert set(pipeline.components) == {"install-web", "install_web", "system-journal-to-messages"}
    assert len(Template.from_stack(stack).find_resources("AWS::ImageBuilder::Component")) == 3
    assert pipeline.components["install-web"].node.id == "ComponentInstallWeb"  # the first keeps its id
