"""IMM-IMG5: an image with a tag that can move is reported; a digest, an immutable ECR tag or an asset passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, DefaultStackSynthesizer, LegacyStackSynthesizer, Stack, Validations
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs

from immutable_constructs.nag import ImmutableInfrastructureChecks

from ..helpers import reported, rule_violations, synth_report

ASSET = ("${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/cdk-hnb659fds-container-assets-"
         "${AWS::AccountId}-${AWS::Region}:" + "0123456789abcdef" * 4)  # fmt: skip


def task(image: Any) -> dict[str, object]:
    return {"Type": "AWS::ECS::TaskDefinition",
            "Properties": {"ContainerDefinitions": [{"Name": "app", "Image": image}]}}  # fmt: skip


def ecr_image(repository: str, tag: str) -> dict[str, object]:
    """What ContainerImage.from_ecr_repository(repository, tag) synthesizes."""
    return {"Fn::Join": ["", [{"Fn::Select": [4, {"Fn::Split": [":", {"Fn::GetAtt": [repository, "Arn"]}]}]},
                              ".dkr.ecr.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}, "/",
                              {"Ref": repository}, f":{tag}"]]}  # fmt: skip


def repository(mutability: str | None) -> dict[str, object]:
    properties = {"ImageTagMutability": mutability} if mutability else {}
    return {"Type": "AWS::ECR::Repository", "Properties": properties}


def test_movable_tags_are_reported_once() -> None:
    resources = {
        "PublicTag": task("nginx:1.27.2"),
        "MutableRepository": repository(None),
        "MutableTag": task(ecr_image("MutableRepository", "1.4.2")),
        "ImportedRepository": task({"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/web:1.4.2"}),
        "Latest": task("nginx:latest"),  # IMM-IMG1's, not this rule's
    }
    assert reported(resources, "IMM-IMG5") == {"PublicTag", "MutableTag", "ImportedRepository"}
    assert reported(resources, "IMM-IMG1") == {"Latest"}


def test_digests_immutable_tags_and_assets_pass() -> None:
    resources = {
        "Digest": task("nginx@sha256:" + "a" * 64),
        "ImmutableRepository": repository("IMMUTABLE"),
        "ImmutableTag": task(ecr_image("ImmutableRepository", "1.4.2")),
        "Asset": task({"Fn::Sub": ASSET}),
        "DeployTime": task({"Fn::Join": [":", ["nginx", {"Ref": "Tag"}]]}),
    }
    assert reported(resources, "IMM-IMG5") == set()


def test_a_repository_of_another_stack_is_judged_by_its_mutability(tmp_path: Path) -> None:
    # A registry stack and a service stack: the service's image names the repository through an export.
    app = App(outdir=str(tmp_path))
    registry = Stack(app, "Registry")
    service = Stack(app, "Service")
    for name, mutability in (("Mutable", ecr.TagMutability.MUTABLE), ("Immutable", ecr.TagMutability.IMMUTABLE)):
        repo = ecr.Repository(registry, f"{name}Repo", image_tag_mutability=mutability)
        image = ecs.ContainerImage.from_ecr_repository(repo, "1.4.2")
        ecs.FargateTaskDefinition(service, name).add_container("app", image=image, readonly_root_filesystem=True)
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    _, violations = synth_report(app)
    paths = [c["constructPath"] for v in rule_violations(violations, "IMM-IMG5") for c in v["violatingConstructs"]]
    assert paths == ["Service/Mutable/Resource"]


@pytest.mark.parametrize("repository_name", ["team-images", "aws-cdk/assets"])
def test_an_image_asset_passes_whatever_repository_the_synthesizer_publishes_it_to(
    tmp_path: Path, repository_name: str
) -> None:
    """An image asset is tagged by its content hash wherever it is published: a synthesizer with its own
    repository (DefaultStackSynthesizer(image_asset_repository_name=...)) or the legacy synthesizer's
    aws-cdk/assets; the pack reads the repository and tag from the cloud assembly. A tag pushed by hand to the
    same repository is still reported."""
    build = tmp_path / "image"
    build.mkdir()
    (build / "Dockerfile").write_text("FROM public.ecr.aws/docker/library/busybox:1.36\n")
    app = App(outdir=str(tmp_path / "out"))
    legacy = repository_name == "aws-cdk/assets"
    synthesizer: Any = (
        LegacyStackSynthesizer() if legacy else DefaultStackSynthesizer(image_assets_repository_name=repository_name)
    )
    stack = Stack(app, "Service", synthesizer=synthesizer)
    asset = ecs.FargateTaskDefinition(stack, "Asset")
    asset.add_container("app", image=ecs.ContainerImage.from_asset(str(build)), readonly_root_filesystem=True)
    by_hand = ecs.FargateTaskDefinition(stack, "ByHand")
    image = ecs.ContainerImage.from_registry(f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/{repository_name}:v2")
    by_hand.add_container("app", image=image, readonly_root_filesystem=True)
    Validations.of(app).add_plugins(ImmutableInfrastructureChecks())
    _, violations = synth_report(app)
    paths = [c["constructPath"] for v in rule_violations(violations, "IMM-IMG5") for c in v["violatingConstructs"]]
    assert paths == ["Service/ByHand/Resource"]
