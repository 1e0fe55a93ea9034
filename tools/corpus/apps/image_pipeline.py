"""cdk-image-pipeline: an EC2 Image Builder pipeline from a component file (aws-samples' construct)."""

from pathlib import Path

from aws_cdk import App, Stack

ORIGIN = {
    "kind": "pypi",
    "package": "cdk-image-pipeline==0.5.134",
    "source": "https://github.com/aws-samples/cdk-image-pipeline",
    "author": "Cameron Magee (aws-samples)",
}


def build(app: App) -> None:
    from cdk_image_pipeline import ImagePipeline

    stack = Stack(app, "ImagePipeline")
    ImagePipeline(
        stack, "Pipeline", components=[str(Path(__file__).parent / "files" / "hardening.yml")],
        parent_image="ami-0123456789abcdef0", image_recipe_version="1.0.0",
    )  # fmt: skip
