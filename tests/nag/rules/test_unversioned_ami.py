"""IMM-IMG3: an AMI read from the newest version of an SSM parameter is reported; a pinned version passes."""

from __future__ import annotations

from ..helpers import reported


def lt(image: object) -> dict[str, object]:
    return {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {"ImageId": image}}}


def test_unpinned_parameters_are_reported() -> None:
    resources = {"Deploy": lt("{{resolve:ssm:/images/web/stable}}"), "Launch": lt("resolve:ssm:/images/web/stable")}
    assert reported(resources, "IMM-IMG3") == {"Deploy", "Launch"}


def test_pinned_version_and_literal_ami_pass() -> None:
    resources = {"Pinned": lt("{{resolve:ssm:/images/web/stable:12}}"), "Literal": lt("ami-0123456789abcdef0")}
    assert reported(resources, "IMM-IMG3") == set()
