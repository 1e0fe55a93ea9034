"""IMM-SSH2: an EC2 key pair on a launch template is reported; none passes."""

from __future__ import annotations

from ..helpers import reported


def lt(**data: object) -> dict[str, object]:
    return {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": data}}


def test_key_name_is_reported() -> None:
    assert reported({"T": lt(KeyName="ops")}, "IMM-SSH2") == {"T"}
    assert reported({"K": {"Type": "AWS::EC2::KeyPair", "Properties": {"KeyName": "ops"}}}, "IMM-SSH2") == {"K"}


def test_no_key_passes() -> None:
    assert reported({"T": lt(InstanceType="t3.micro"), "N": lt(KeyName={"Ref": "AWS::NoValue"})}, "IMM-SSH2") == set()
