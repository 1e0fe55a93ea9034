"""IMM-IMG1: an untagged or `latest` container image is reported; a version tag or digest passes."""

from __future__ import annotations

from ..helpers import reported


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
