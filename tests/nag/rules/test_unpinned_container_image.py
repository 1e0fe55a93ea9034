"""IMM-IMG5: an image with a tag that can move is reported; a digest, an immutable ECR tag or an asset passes."""

from __future__ import annotations

from typing import Any

from ..helpers import reported

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
