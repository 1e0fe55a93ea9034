"""AmiCatalog: parameter names, pinned images, context pins, grants and validation."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from immutable_constructs import AmiCatalog, ImmutableFleet, PinnedSsmImage, ValidationError


def catalog(context: dict[str, Any] | None = None, **props: Any) -> AmiCatalog:
    return AmiCatalog(Stack(App(context=context or {}), "Images"), "Catalog", **props)


def test_parameter_names_per_line_and_channel() -> None:
    images = catalog(lines=["web", "worker"])
    assert images.parameter_name("web", "stable") == "/images/web/stable"
    assert images.parameter_name("worker", "candidate") == "/images/worker/candidate"
    assert images.first_channel == "candidate"
    assert images.next_channel("candidate") == "stable"
    assert images.next_channel("stable") is None


def test_custom_prefix_and_channels() -> None:
    images = catalog(prefix="/platform/amis", channels=["candidate", "canary", "stable"])
    assert images.parameter_name("web", "canary") == "/platform/amis/web/canary"
    assert images.next_channel("canary") == "stable"


def test_machine_image_pins_the_version() -> None:
    image = catalog().machine_image("web", channel="stable", version=17)
    assert isinstance(image, PinnedSsmImage)
    assert image.image_id == "{{resolve:ssm:/images/web/stable:17}}"


def test_machine_image_version_from_context() -> None:
    image = catalog(context={"images.web.stable": "18"}).machine_image("web")
    assert image.image_id == "{{resolve:ssm:/images/web/stable:18}}"
    assert AmiCatalog.context_key("web", "stable") == "images.web.stable"


def test_a_fleet_runs_the_pinned_catalog_image() -> None:
    stack = Stack(App(), "Web")
    images = AmiCatalog(stack, "Catalog")
    ImmutableFleet(
        stack,
        "Fleet",
        vpc=ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1),
        instance_type=ec2.InstanceType("t3.small"),
        machine_image=images.machine_image("web", version=16),
    )
    Template.from_stack(stack).has_resource_properties(
        "AWS::EC2::LaunchTemplate",
        {"LaunchTemplateData": {"ImageId": "{{resolve:ssm:/images/web/stable:16}}"}},
    )
    # The writers own the catalog parameters: the only parameter here is the fleet's agent configuration.
    parameters = Template.from_stack(stack).find_resources("AWS::SSM::Parameter")
    assert [k for k in parameters if k.startswith("FleetAgentConfig")] == list(parameters)
    assert all("Name" not in p["Properties"] for p in parameters.values())


def test_grant_read_is_scoped_to_the_catalog_parameters() -> None:
    stack = Stack(App(), "Reader")
    images = AmiCatalog(stack, "Catalog", lines=["web", "worker"])
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    images.grant_read(role, line="web")
    (policy,) = Template.from_stack(stack).find_resources("AWS::IAM::Policy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert "ssm:GetParameterHistory" in statement["Action"]
    resources = str(statement["Resource"])
    assert "parameter/images/web/candidate" in resources and "parameter/images/web/stable" in resources
    assert "worker" not in resources


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"channels": ["candidate", "st@ble"]},
            r"channels='st@ble': contains characters SSM parameter names do not allow",
        ),
        ({"channels": ["candidate", "a/b"]}, r"channels='a/b': contains characters"),
        ({"lines": ["web server"]}, r"lines='web server': contains characters"),
        ({"lines": "web"}, r"lines='web': must be a list of names"),
        ({"lines": []}, r"lines=\[\]: is empty"),
        ({"channels": ["stable"]}, r"channels=\['stable'\]: needs at least two channels"),
        ({"channels": ["stable", "stable"]}, r"has duplicates"),
        ({"prefix": "images"}, r"prefix='images': is not an SSM parameter path prefix"),
        ({"prefix": "/images/"}, r"prefix='/images/': is not an SSM parameter path prefix"),
        ({"prefix": "/aws/images"}, r"names starting with 'aws' or 'ssm' are reserved"),
    ],
)
def test_bad_catalog_props(props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        catalog(**props)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.machine_image("api", version=1), r"line='api': is not an image line of this catalog"),
        (lambda c: c.machine_image("web", channel="beta", version=1), r"channel='beta': is not a channel"),
        (lambda c: c.machine_image("web", version=0), r"version=0: must be a positive integer"),
        (lambda c: c.machine_image("web", version=True), r"machine_image\(version\)=True: must be a whole number"),
        (lambda c: c.machine_image("web"), r"no version given and no context value 'images.web.stable'"),
        (lambda c: c.parameter_name("web", "st@ble"), r"channel='st@ble': is not a channel"),
    ],
)
def test_bad_lookups(call: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        call(catalog())


def test_context_pin_must_be_an_integer() -> None:
    with pytest.raises(ValidationError, match=r"context value 'images.web.stable' is not an integer"):
        catalog(context={"images.web.stable": "latest"}).machine_image("web")
