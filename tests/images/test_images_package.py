"""The images package: lazy exports and the ``from_*`` factory names."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest
from aws_cdk import App, Stack

import immutable_constructs
from immutable_constructs import ImageComponent, ParentImage

from ..conftest import ROOT

HEAVY = ("aws_cdk.aws_imagebuilder", "aws_cdk.aws_lambda", "cdk_nag")


def modules_loaded_by(statement: str) -> set[str]:
    """The module names a fresh interpreter has loaded after ``statement``."""
    script = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "statement",
    [
        "from immutable_constructs import PinnedSsmImage; PinnedSsmImage",
        "from immutable_constructs.images import PinnedSsmImage; PinnedSsmImage",
        "from immutable_constructs import AmiCatalog; AmiCatalog",
    ],
)
def test_a_fleet_only_app_does_not_load_image_builder_lambda_or_cdk_nag(statement: str) -> None:
    loaded = modules_loaded_by(statement)
    assert "immutable_constructs.images.pinned" in loaded, "the statement did import the image module"
    assert not {m for m in loaded if m.startswith(HEAVY)}, sorted(m for m in loaded if m.startswith(HEAVY))


def test_the_pipeline_does_load_image_builder() -> None:
    """The check above can fail: the same probe sees Image Builder once the pipeline is used."""
    loaded = modules_loaded_by("from immutable_constructs import GoldenImagePipeline; GoldenImagePipeline")
    assert "aws_cdk.aws_imagebuilder" in loaded


def test_the_package_and_the_top_level_name_the_same_classes() -> None:
    from immutable_constructs import images

    assert images.PinnedSsmImage is immutable_constructs.PinnedSsmImage
    for name in images.__all__:
        assert getattr(images, name) is getattr(immutable_constructs, name)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        images.Nope  # noqa: B018


def test_the_old_module_paths_and_factory_names_are_gone() -> None:
    for old in ("image_pipeline", "ami_catalog"):
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(f"immutable_constructs.{old}")
    for factory in ("ssm_parameter", "managed", "ami"):
        assert not hasattr(ParentImage, factory), factory
    assert not hasattr(ImageComponent, "aws_managed")


def test_parent_image_factories() -> None:
    name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    stack = Stack(App(), "Parents")
    assert ParentImage.from_ssm_parameter(name).parameter_name == name
    assert stack.resolve(ParentImage.from_ssm_parameter(name).reference) == f"ssm:{name}"
    assert ParentImage.from_ami("ami-0123456789abcdef0")._problem is None
    assert ParentImage.from_ami("not-an-ami")._problem is not None, "a bad AMI id is reported"
    managed = stack.resolve(ParentImage.from_managed("amazon-linux-2023-x86", "1.x.x").reference)
    assert "image/amazon-linux-2023-x86/1.x.x" in json.dumps(managed)


def test_from_aws_managed() -> None:
    assert ImageComponent.from_aws_managed("update-linux", "1.0.2").is_managed
    assert ImageComponent.from_aws_managed("update-linux", "latest")._problem is not None
