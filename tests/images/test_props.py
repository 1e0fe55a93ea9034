"""Bad input to the image constructs that once crashed or passed silently: each ends in one ValidationError that
names the construct path, the prop, the value and a fix (the generated cases are in ``tests/test_props.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, CfnParameter, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from immutable_constructs import AmiCatalog, GoldenImagePipeline, ImageComponent, ParentImage, ValidationError

from ..props_builders import COMPONENT, PARENT, unique

YAML = "phases:\n  - name: build\n    steps:\n      - name: Ok\n        action: ExecuteBash\n        inputs:\n"
YAML += "          commands: ['true']\n"


class Images:
    """One App and stack with a VPC and a catalog, and a stack of another region of the same App."""

    def __init__(self) -> None:
        self.app = App(context={"@aws-cdk/core:validation": False})
        self.stack = Stack(self.app, "Images", env={"account": "111111111111", "region": "eu-west-1"})
        self.vpc = ec2.Vpc(self.stack, "Vpc", max_azs=2, nat_gateways=1)
        self.catalog = AmiCatalog(self.stack, "Catalog")
        self.other_region = Stack(self.app, "Elsewhere", env={"account": "111111111111", "region": "us-east-1"})

    def pipeline(self, **props: Any) -> GoldenImagePipeline:
        given: dict[str, Any] = {
            "catalog": self.catalog,
            "vpc": self.vpc,
            "parent_image": ParentImage.from_ssm_parameter(PARENT),
            "components": [ImageComponent.from_dict("web", COMPONENT)],
            **props,
        }
        return GoldenImagePipeline(self.stack, unique("Web"), **given)


@pytest.fixture(scope="module")
def images() -> Images:
    return Images()


def one_problem(raised: pytest.ExceptionInfo[ValidationError], prop: str) -> str:
    """The one problem of the error: it names the construct path, ``prop``, the value and a fix."""
    error = raised.value
    assert error.construct_path.startswith("Images/"), str(error)
    assert [p.prop for p in error.problems] == [prop], str(error)
    assert error.problems[0].fix and "Fix: " in str(error)
    return str(error.problems[0])


def test_a_component_description_over_1024_characters(images: Images) -> None:
    for component in (
        ImageComponent.from_dict("web", COMPONENT, description="d" * 1025),
        ImageComponent.from_yaml("web", YAML, description="d" * 1025),
        ImageComponent(name="web", data=YAML, description="d" * 1025),  # the constructor: the pipeline checks it
    ):
        with pytest.raises(ValidationError) as raised:
            images.pipeline(components=[component])
        text = one_problem(raised, "components")
        assert "description" in text and "1025" in text and "1024" in text
    images.pipeline(components=[ImageComponent.from_dict("web", COMPONENT, description="é" * 1024)])  # characters


def test_a_source_revision_over_the_tag_limit(images: Images) -> None:
    with pytest.raises(ValidationError) as raised:
        images.pipeline(source_revision="a" * 300)
    assert "300 characters, longer than AWS's limit of 256" in one_problem(raised, "source_revision")
    images.pipeline(source_revision="0123abc" * 36)  # 252 characters: a tag value


@pytest.fixture
def in_app_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def test_a_component_file_that_is_not_utf8(images: Images, in_app_directory: Path) -> None:
    (in_app_directory / "latin1.yaml").write_bytes(YAML.encode() + "# café\n".encode("latin-1"))
    component = ImageComponent.from_file("latin1.yaml")  # documented never to raise
    with pytest.raises(ValidationError) as raised:
        images.pipeline(components=[component])
    text = one_problem(raised, "components")
    assert "latin1.yaml" in text and "is not UTF-8 text" in text and "save the component document as UTF-8" in text


def test_a_component_file_path_too_long_for_the_file_system(images: Images, in_app_directory: Path) -> None:
    component = ImageComponent.from_file("x" * 5000 + ".yaml")
    with pytest.raises(ValidationError) as raised:
        images.pipeline(components=[component])
    assert "is not a usable path" in one_problem(raised, "components")


def test_a_time_zone_without_a_schedule(images: Images) -> None:
    with pytest.raises(ValidationError) as raised:
        images.pipeline(schedule="", schedule_timezone="Europe/Paris")
    assert "schedule='' runs the pipeline manually only" in one_problem(raised, "schedule_timezone")
    images.pipeline(schedule="cron(0 4 ? * MON *)", schedule_timezone="Europe/Paris")


def test_a_region_listed_twice(images: Images) -> None:
    with pytest.raises(ValidationError) as raised:
        images.pipeline(distribution_regions=["eu-west-1", "us-east-1", "eu-west-1"])
    assert "lists 'eu-west-1' twice" in one_problem(raised, "distribution_regions")


def test_objects_of_another_app_or_region(images: Images) -> None:
    stranger = Stack(App(), "Stranger")
    with pytest.raises(ValidationError) as raised:
        images.pipeline(vpc=ec2.Vpc(stranger, "Vpc", max_azs=1))
    assert "belongs to another App" in one_problem(raised, "vpc")
    for prop, value in (
        ("encryption_key", kms.Key(images.other_region, unique("Key"))),
        ("notification_topic", sns.Topic(images.other_region, unique("Topic"))),
    ):
        with pytest.raises(ValidationError) as raised:
            images.pipeline(**{prop: value})
        assert "is in region us-east-1, the construct in eu-west-1" in one_problem(raised, prop)


@pytest.mark.parametrize(
    ("call", "prop"),
    [
        (lambda c: c.grant_read(None), "grant_read(grantee)"),
        (lambda c: c.grant_read("arn:aws:iam::111111111111:role/x"), "grant_read(grantee)"),
        (lambda c: c.parameter_name(None, "stable"), "parameter_name(line)"),
        (lambda c: c.machine_image(["web"], version=3), "machine_image(line)"),
        (lambda c: c.parameter_arn("web", "stable", region="Mars"), "parameter_arn(region)"),
    ],
)
def test_catalog_method_arguments(images: Images, call: Any, prop: str) -> None:
    with pytest.raises(ValidationError) as raised:
        call(images.catalog)
    assert raised.value.construct_path == "Images/Catalog"
    assert [p.prop for p in raised.value.problems] == [prop]


def test_factories_never_raise_their_problems_reach_the_pipeline(images: Images) -> None:
    for parent in (ParentImage.from_ami(42), ParentImage.from_catalog(images.catalog, "nope")):  # type: ignore[arg-type]
        with pytest.raises(ValidationError) as raised:
            images.pipeline(parent_image=parent)
        assert raised.value.construct_path.startswith("Images/Web")
        assert [p.prop for p in raised.value.problems] == ["parent_image"]
    component = ImageComponent.from_aws_managed("update-linux", 1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as raised:
        images.pipeline(components=[component])
    assert "ImageComponent.from_aws_managed(version) must be a string" in one_problem(raised, "components")


def test_a_parent_parameter_name_that_would_make_the_recipe_description_too_long(images: Images) -> None:
    name = "/" + "/".join(["p" * 60] * 14)  # 14 levels, 853 characters: a valid SSM parameter name
    pipeline = images.pipeline(parent_image=ParentImage.from_ssm_parameter(name + "/" + "q" * 150))
    assert len(pipeline.recipe.description or "") <= 1024


def test_a_token_in_a_list_is_not_judged(images: Images) -> None:
    region = CfnParameter(images.stack, "Region").value_as_string
    images.pipeline(distribution_regions=["eu-west-1", region])  # a pattern cannot judge a deploy-time value
