"""The promotion function under fault injection: moto SSM and EC2 in two regions, and an Image Builder
answered on a real botocore client (requests validated against the API model, as in codedeploy_fake)."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from immutable_constructs.images.promotion_handler import index

from . import FaultPlan, FaultyClient

ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1")
TARGET = "/images/web/stable"
SOURCE = "/images/web/candidate"
PIPELINE = f"arn:aws:imagebuilder:{REGIONS[0]}:{ACCOUNT}:image-pipeline/web"  # issue 28: only its images
CONFIG = index.Config(
    target_parameter=TARGET, source_parameter=SOURCE, line="web", channel="stable", pipeline_arn=PIPELINE
)
SESSION = boto3.Session(region_name=REGIONS[0], aws_access_key_id="testing", aws_secret_access_key="testing")


class FakeImageBuilder:
    """GetImage and ListImageScanFindings from ``images`` (arn -> record) and ``findings`` (arn -> list)."""

    def __init__(self, client: Any) -> None:
        self.images: dict[str, dict[str, Any]] = {}
        self.findings: dict[str, list[dict[str, Any]]] = {}
        self._params: dict[str, Any] = {}
        client.meta.events.register_first("before-parameter-build.imagebuilder", self._capture)
        client.meta.events.register_first("before-call.imagebuilder", self._answer)

    def _capture(self, params: dict[str, Any], **_: Any) -> None:
        self._params = copy.deepcopy(params)

    def _answer(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        if model.name == "GetImage":
            body: dict[str, Any] = {"image": copy.deepcopy(self.images[self._params["imageBuildVersionArn"]])}
        elif model.name == "ListImageScanFindings":
            arn = self._params["filters"][0]["values"][0]
            body = {"findings": copy.deepcopy(self.findings.get(arn, []))}
        else:
            raise AssertionError(f"unexpected Image Builder call {model.name}")
        body["ResponseMetadata"] = {"HTTPStatusCode": 200}
        return AWSResponse("", 200, {}, None), body


@dataclass
class Images:
    """Moto's SSM and EC2 per region, the Image Builder fake, the fault plan and the clients through it."""

    ssm: dict[str, Any]
    ec2: dict[str, Any]
    imagebuilder: FakeImageBuilder
    plan: FaultPlan
    clients: dict[str, Any] = field(default_factory=dict)
    images: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> {region: ami}
    backoffs: list[float] = field(default_factory=list)  # the handler runtime's back-off before a retry

    def add_image(self, name: str, *, scan: str = "COMPLETED", severities: tuple[str, ...] = ()) -> str:
        arn = f"arn:aws:imagebuilder:{REGIONS[0]}:{ACCOUNT}:image/web/1.0.{len(self.images) + 1}/1"
        amis = {
            r: self.ec2[r].register_image(Name=f"{name}-{r}", RootDeviceName="/dev/xvda")["ImageId"] for r in REGIONS
        }
        self.images[name] = amis
        self.imagebuilder.images[arn] = {
            "arn": arn,
            "state": {"status": "AVAILABLE"},
            "imageTestsConfiguration": {"imageTestsEnabled": True, "timeoutMinutes": 90},
            "imageScanningConfiguration": {"imageScanningEnabled": True},
            "scanState": {"status": scan},
            "outputResources": {"amis": [{"region": r, "image": a, "accountId": ACCOUNT} for r, a in amis.items()]},
            "sourcePipelineArn": PIPELINE,
        }
        self.imagebuilder.findings[arn] = [{"severity": s, "title": f"CVE-{i}"} for i, s in enumerate(severities)]
        return arn

    def promote(self, arn: str) -> dict[str, Any]:
        evt = {"detail-type": "EC2 Image Builder Image State Change", "source": "aws.imagebuilder", "account": ACCOUNT,
               "region": REGIONS[0], "resources": [arn], "detail": {"state": {"status": "AVAILABLE"}}}  # fmt: skip
        return index.promote(
            evt,
            CONFIG,
            imagebuilder=self.clients["imagebuilder"],
            ssm_client=lambda region: self.clients[f"ssm:{region}"],
            ec2_client=lambda region: self.clients[f"ec2:{region}"],
        )

    def stable(self, region: str) -> list[str]:
        """Every value the stable parameter held, oldest first (its versions)."""
        try:
            history = self.ssm[region].get_parameter_history(Name=TARGET)["Parameters"]
        except self.ssm[region].exceptions.ParameterNotFound:
            return []
        return [h["Value"] for h in history]

    def kept(self, region: str) -> set[str]:
        images = self.ec2[region].describe_images(Owners=["self"])["Images"]
        return {i["ImageId"] for i in images if {"Key": CONFIG.keep_tag_key, "Value": "stable"} in i.get("Tags", [])}


@contextlib.contextmanager
def images(plan: FaultPlan | None = None) -> Iterator[Images]:
    plan = plan or FaultPlan()
    env = {"AWS_DEFAULT_REGION": REGIONS[0], "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    with mock.patch.dict("os.environ", env), mock_aws():
        ssm = {r: SESSION.client("ssm", region_name=r) for r in REGIONS}
        ec2 = {r: SESSION.client("ec2", region_name=r) for r in REGIONS}
        builder = SESSION.client("imagebuilder")
        world = Images(ssm=ssm, ec2=ec2, imagebuilder=FakeImageBuilder(builder), plan=plan)
        world.clients["imagebuilder"] = FaultyClient(builder, "imagebuilder", plan)
        for r in REGIONS:
            world.clients[f"ssm:{r}"] = FaultyClient(ssm[r], f"ssm:{r}", plan)
            world.clients[f"ec2:{r}"] = FaultyClient(ec2[r], f"ec2:{r}", plan)
        with mock.patch.object(index.runtime, "sleep", world.backoffs.append):
            yield world
