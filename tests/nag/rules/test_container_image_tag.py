"""IMM-IMG1: an untagged or `latest` container image is reported; a version tag, digest or deploy-time value passes."""

from __future__ import annotations

from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ssm as ssm

from ..helpers import findings, new_stack, reported


def task(image: str) -> dict[str, object]:
    return {"Type": "AWS::ECS::TaskDefinition",
            "Properties": {"ContainerDefinitions": [{"Name": "app", "Image": image}]}}  # fmt: skip


def test_untagged_and_latest_are_reported() -> None:
    resources = {"Untagged": task("nginx"), "Latest": task("public.ecr.aws/nginx/nginx:latest")}
    assert reported(resources, "IMM-IMG1") == {"Untagged", "Latest"}


def test_version_tag_and_digest_pass() -> None:
    resources = {"Tag": task("nginx:1.27.2"), "Digest": task("nginx@sha256:" + "a" * 64)}
    assert reported(resources, "IMM-IMG1") == set()


def test_latest_variants_are_reported() -> None:
    # Registries publish latest per architecture or flavour; such a tag moves with latest.
    resources = {"Arch": task("public.ecr.aws/nginx/nginx:latest-arm64v8"), "Flavour": task("php:fpm_latest"),
                 "Word": task("app:v1.2-latestfix"), "Version": task("app:2.4.1-alpine")}  # fmt: skip
    assert reported(resources, "IMM-IMG1") == {"Arch", "Flavour"}


def test_images_filled_in_at_deploy_time_from_ssm_are_the_deployers_choice() -> None:
    # An SSM-typed template parameter's Default is the parameter's name, not the image: it was read as an
    # untagged image named /app/web/image. A dynamic reference with a version pins the value.
    _, stack, _ = new_stack()
    images = {
        "Parameter": ssm.StringParameter.value_for_string_parameter(stack, "/app/web/image"),
        "Dynamic": "{{resolve:ssm:/app/web/image:7}}",
        "Latest": ssm.StringParameter.value_for_string_parameter(stack, "/aws/service/aws-for-fluent-bit/latest"),
    }
    for name, image in images.items():
        ecs.FargateTaskDefinition(stack, name).add_container("app", image=ecs.ContainerImage.from_registry(image))
    found = findings(stack, "IMM-IMG1")
    assert [logical_id.startswith("Latest") for logical_id in found] == [True], found
    assert "SSM parameter /aws/service/aws-for-fluent-bit/latest" in next(iter(found.values()))[0]
    assert findings(stack, "IMM-IMG5") == {}
