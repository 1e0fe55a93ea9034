"""The promotion function of the reference images stack, run on the emulator's Lambda.

The images stack cannot deploy on ministack (it has no Image Builder), so the function is created
from the synthesized stack's own asset, runtime, handler and environment (its topic made in the
emulator), and invoked with the EventBridge event Image Builder sends when an image becomes
AVAILABLE. Its first call, ``imagebuilder:GetImage``, is one the emulator lacks: the run must fail
there, having promoted nothing and published nothing. What follows GetImage (the scan gate, the
catalog write, the AMI tag) is proved by tests/images/test_promotion_handler.py on moto and the Stubber.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack

from tests.conftest import load_module

from .conftest import ACCOUNT, REGION, ROOT, Emulator
from .functions import invoke

pytestmark = pytest.mark.deploy

IMAGE_ARN = f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:image/web-image/1.0.0/1"


def image_available_event() -> dict[str, Any]:
    """What EventBridge delivers for an Image Builder image that reached AVAILABLE (Image Builder User Guide)."""
    return {
        "version": "0",
        "id": "5ba1cd2c-2f6c-4a11-9c8e-3b0c9a0e7f21",
        "detail-type": "EC2 Image Builder Image State Change",
        "source": "aws.imagebuilder",
        "account": ACCOUNT,
        "time": "2026-12-05T09:00:00Z",
        "region": REGION,
        "resources": [IMAGE_ARN],
        "detail": {"previous-state": {"status": "TESTING"}, "state": {"status": "AVAILABLE"}},
    }


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def test_promotion_function_runs_until_the_image_builder_call_the_emulator_lacks(emulator: Emulator) -> None:
    def build(app: App) -> Stack:
        stack: Stack = load_module(ROOT / "app.py", "deploy_reference_images").ReferenceImagesStack(
            app, "ImmutableReferenceImages"
        )
        return stack

    assembly, _ = emulator.synth("images", build)
    template = json.loads((assembly / "ImmutableReferenceImages.template.json").read_text())
    functions = {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
        and "TARGET_PARAMETER" in resource["Properties"].get("Environment", {}).get("Variables", {})
    }
    _, props = min(functions.items())
    variables = dict(props["Environment"]["Variables"])
    sns = emulator.client("sns")
    topic = sns.create_topic(Name="promotion-refusals")["TopicArn"]
    for name, value in variables.items():
        if isinstance(value, str):
            continue
        if name == "NOTIFICATION_TOPIC":
            variables[name] = topic
            continue
        # The ARN of an Image Builder resource of the stack (which cannot exist here), as Image Builder writes it.
        (target, attribute) = value["Fn::GetAtt"]
        kind = template["Resources"][target]["Type"]
        assert kind.startswith("AWS::ImageBuilder::") and attribute == "Arn", (name, value)
        resource = re.sub(r"(?<!^)(?=[A-Z])", "-", kind.rsplit("::", 1)[1]).lower()
        variables[name] = f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:{resource}/{target.lower()}"
    asset = assembly / f"asset.{props['Code']['S3Key'].split('.')[0]}"
    assert asset.is_dir(), asset
    iam = emulator.client("iam")
    role = iam.create_role(
        RoleName="promotion-test",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    function = emulator.client("lambda").create_function(
        FunctionName="promotion",
        Runtime=props["Runtime"],
        Handler=props["Handler"],
        Role=role,
        Code={"ZipFile": _zip(asset)},
        Timeout=int(props.get("Timeout", 30)),
        Environment={"Variables": variables},
    )["FunctionName"]
    ssm = emulator.client("ssm")
    target = variables["TARGET_PARAMETER"]
    before = ssm.get_parameter(Name=target)["Parameter"]["Version"] if _exists(ssm, target) else 0

    error, result = invoke(emulator, function, image_available_event())

    assert error is not None, result
    assert "GetImage" in result["errorMessage"], result
    after = ssm.get_parameter(Name=target)["Parameter"]["Version"] if _exists(ssm, target) else 0
    assert after == before, "a failed promotion wrote the catalog"


def _exists(ssm: Any, name: str) -> bool:
    try:
        ssm.get_parameter(Name=name)
    except ssm.exceptions.ParameterNotFound:
        return False
    return True
