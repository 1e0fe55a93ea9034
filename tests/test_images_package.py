"""The images package (issue 11): lazy exports, the old module paths, the ``from_*`` factory names."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from aws_cdk import App, Stack

import immutable_constructs
from immutable_constructs import AmiCatalog, ImageComponent, ParentImage

from .conftest import ROOT

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


def test_old_module_paths_still_import_the_same_classes() -> None:
    from immutable_constructs import ami_catalog, image_pipeline, images

    assert image_pipeline.GoldenImagePipeline is immutable_constructs.GoldenImagePipeline
    assert image_pipeline.ImageComponent is ImageComponent
    assert image_pipeline.ParentImage is ParentImage
    assert ami_catalog.AmiCatalog is AmiCatalog
    assert images.PinnedSsmImage is immutable_constructs.PinnedSsmImage
    assert sorted(images.__all__) == sorted(images._MODULES)
    for name in images.__all__:
        assert getattr(images, name) is getattr(immutable_constructs, name)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        images.Nope  # noqa: B018


def test_from_names_and_their_aliases_make_the_same_parent_images() -> None:
    name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    stack = Stack(App(), "Parents")
    pairs = [
        (ParentImage.from_ssm_parameter(name), ParentImage.ssm_parameter(name)),
        (ParentImage.from_ami("ami-0123456789abcdef0"), ParentImage.ami("ami-0123456789abcdef0")),
        (
            ParentImage.from_managed("amazon-linux-2023-x86", "1.x.x"),
            ParentImage.managed("amazon-linux-2023-x86", "1.x.x"),
        ),
        (ParentImage.from_ami("not-an-ami"), ParentImage.ami("not-an-ami")),
    ]
    for new, old in pairs:
        assert stack.resolve(new.reference) == stack.resolve(old.reference)
        assert (new.description, new.parameter_name, new._problem) == (
            old.description,
            old.parameter_name,
            old._problem,
        )
    assert pairs[0][0].parameter_name == name
    assert pairs[3][0]._problem is not None, "a bad AMI id is reported either way"


def test_from_aws_managed_and_its_alias_make_the_same_component() -> None:
    for version in ("1.0.2", "latest"):
        new = ImageComponent.from_aws_managed("update-linux", version, parameters={"exclude": ["kernel"]})
        old = ImageComponent.aws_managed("update-linux", version, parameters={"exclude": ["kernel"]})
        assert vars(new) == vars(old)
    assert ImageComponent.from_aws_managed("update-linux", "1.0.2").is_managed
    assert ImageComponent.from_aws_managed("update-linux", "latest")._problem is not None
