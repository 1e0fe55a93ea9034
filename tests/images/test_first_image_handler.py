"""The FirstImage handler against botocore's Stubber, which checks every request
against the real API models of SSM, Amazon Inspector and EC2 Image Builder."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from immutable_constructs.images.first_image_handler import index

ACCOUNT = "123456789012"
PIPELINE = f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-pipeline/web-pipeline"
IMAGE = f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image/web-recipe/1.0.5/1"
REQUEST = "c2d8f4a0-1b2c-4d5e-8f90-123456789abc"


class Stubbed:
    """Real clients with Stubbers: ``clients.ssm`` etc., and ``stub.ssm`` to queue answers."""

    def __init__(self) -> None:
        self._clients = {s: boto3.client(s, region_name="us-east-1") for s in ("ssm", "inspector2", "imagebuilder")}
        self.stubs = {s: Stubber(c) for s, c in self._clients.items()}
        for stub in self.stubs.values():
            stub.activate()

    def __getattr__(self, service: str) -> Any:
        return self._clients[service]

    def verify(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


@pytest.fixture
def aws() -> Iterator[Stubbed]:
    stubbed = Stubbed()
    yield stubbed
    stubbed.verify()


def event(phase: str, request: str = "Create", *, last: bool = False, inspector: str = "true", **data: Any) -> dict:
    return {
        "RequestType": request,
        "RequestId": REQUEST,
        "ResourceProperties": {
            "Phase": phase,
            "Line": "web",
            "PipelineArn": PIPELINE,
            "TargetParameter": "/images/web/stable",
            "Account": ACCOUNT,
            "RequireInspector": "true",
            "EnableInspector": inspector,
            "WaitSeconds": "2700",
            "Last": str(last).lower(),
        },
        "Data": data,
    }


def no_parameter(aws: Stubbed) -> None:
    aws.stubs["ssm"].add_client_error(
        "get_parameter", "ParameterNotFound", expected_params={"Name": "/images/web/stable"}
    )


def parameter(aws: Stubbed, version: int) -> None:
    aws.stubs["ssm"].add_response(
        "get_parameter",
        {"Parameter": {"Name": "/images/web/stable", "Version": version, "Value": "ami-0123456789abcdef0"}},
        {"Name": "/images/web/stable"},
    )


def inspector(aws: Stubbed, status: str) -> None:
    aws.stubs["inspector2"].add_response(
        "batch_get_account_status",
        {
            "accounts": [
                {
                    "accountId": ACCOUNT,
                    "state": {"status": status, "errorCode": "ALREADY_ENABLED", "errorMessage": "-"},
                    "resourceState": {
                        "ec2": {"status": status, "errorCode": "ALREADY_ENABLED", "errorMessage": "-"},
                        "ecr": {"status": "DISABLED", "errorCode": "ALREADY_ENABLED", "errorMessage": "-"},
                    },
                }
            ],
            "failedAccounts": [],
        },
        {"accountIds": [ACCOUNT]},
    )


def images(aws: Stubbed, *states: tuple[str, str]) -> None:
    aws.stubs["imagebuilder"].add_response(
        "list_image_pipeline_images",
        {
            "imageSummaryList": [
                {
                    "arn": f"{IMAGE[:-1]}{i}",
                    "state": {"status": status, **({"reason": reason} if reason else {})},
                    "dateCreated": f"2026-12-0{i}",
                }
                for i, (status, reason) in enumerate(states, start=1)
            ]
        },
        {"imagePipelineArn": PIPELINE},
    )


def test_an_account_with_a_promoted_image_skips_everything(aws: Stubbed) -> None:
    parameter(aws, 3)
    answer = index.on_event(event("start"), clients=aws)
    assert answer["Data"]["Status"] == "EXISTS"
    assert index.is_complete({**event("start"), "Data": answer["Data"]}, clients=aws) == {"IsComplete": True}


def test_a_fresh_account_gets_inspector_then_the_build(aws: Stubbed) -> None:
    no_parameter(aws)
    inspector(aws, "DISABLED")
    aws.stubs["inspector2"].add_response(
        "enable",
        {"accounts": [], "failedAccounts": []},
        {"resourceTypes": ["EC2"], "accountIds": [ACCOUNT]},
    )
    answer = index.on_event(event("start"), clients=aws)
    assert int(answer["Data"]["Deadline"]) > time.time() + 2600
    inspector(aws, "ENABLING")
    assert index.is_complete(event("start", **answer["Data"]), clients=aws) == {"IsComplete": False}
    inspector(aws, "ENABLED")
    aws.stubs["imagebuilder"].add_response(
        "start_image_pipeline_execution",
        {"requestId": "r", "clientToken": REQUEST, "imageBuildVersionArn": IMAGE},
        {"imagePipelineArn": PIPELINE, "clientToken": REQUEST},  # a retried call starts the same build
    )
    assert index.is_complete(event("start", **answer["Data"]), clients=aws) == {
        "IsComplete": True,
        "Data": {"ImageArn": IMAGE},
    }


def test_without_permission_to_enable_inspector_the_deploy_fails_at_once_with_the_command(aws: Stubbed) -> None:
    no_parameter(aws)
    inspector(aws, "DISABLED")
    aws.stubs["inspector2"].add_client_error("enable", "AccessDeniedException", "member of an organization")
    with pytest.raises(index.Failed) as failed:
        index.on_event(event("start"), clients=aws)
    message = str(failed.value)
    assert f"aws inspector2 enable --resource-types EC2 --account-ids {ACCOUNT}" in message
    assert "may not activate it" in message and "AccessDeniedException" in message


def test_enable_inspector_false_fails_at_once_when_it_is_off(aws: Stubbed) -> None:
    no_parameter(aws)
    inspector(aws, "DISABLED")
    with pytest.raises(index.Failed, match=r"enable_inspector=False leaves that to you.*aws inspector2 enable"):
        index.on_event(event("start", inspector="false"), clients=aws)


def test_the_waiter_is_done_when_the_promotion_wrote_the_parameter(aws: Stubbed) -> None:
    parameter(aws, 1)
    answer = index.is_complete(event("wait", Deadline=str(int(time.time()) + 60)), clients=aws)
    assert answer == {"IsComplete": True, "Data": {"Status": "PROMOTED", "Version": "1"}}


def test_a_failed_build_fails_the_deploy_with_its_reason(aws: Stubbed) -> None:
    no_parameter(aws)
    images(aws, ("AVAILABLE", ""), ("FAILED", "Step InstallApp failed: exit status 1"))
    with pytest.raises(index.Failed, match=r"image/web-recipe/1.0.5/2 ended FAILED: Step InstallApp failed"):
        index.is_complete(event("wait", Deadline=str(int(time.time()) + 60)), clients=aws)


def test_a_build_in_progress_keeps_the_waiter_waiting(aws: Stubbed) -> None:
    no_parameter(aws)
    images(aws, ("TESTING", ""))
    assert index.is_complete(event("wait", Deadline=str(int(time.time()) + 60)), clients=aws) == {"IsComplete": False}


def test_at_its_deadline_a_waiter_hands_over_and_the_last_one_fails(aws: Stubbed) -> None:
    past = str(int(time.time()) - 1)
    no_parameter(aws)
    images(aws, ("BUILDING", ""))
    handed = index.is_complete(event("wait", Deadline=past), clients=aws)
    assert handed["IsComplete"] is True and handed["Data"]["Status"] == "IN_PROGRESS"
    no_parameter(aws)
    images(aws, ("AVAILABLE", ""))
    with pytest.raises(index.Failed) as failed:
        index.is_complete(event("wait", last=True, Deadline=past), clients=aws)
    message = str(failed.value)
    assert "waits for its promotion" in message and "promotion gate" in message and "max_wait" in message


@pytest.mark.parametrize("request_type", ["Update", "Delete"])
def test_updates_and_deletes_change_nothing(aws: Stubbed, request_type: str) -> None:
    update = {**event("start", request_type), "PhysicalResourceId": "first-image-web-start"}
    assert index.on_event(update, clients=aws) == {"PhysicalResourceId": "first-image-web-start"}
    assert index.is_complete(update, clients=aws) == {"IsComplete": True}


def test_a_throttled_start_is_retried_by_the_handler_runtime_with_the_same_client_token(
    aws: Stubbed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The start goes through handler_runtime.call: throttling and a 5xx are retried (no sleep in tests),
    each retry with the request's client token, so Image Builder starts one build."""
    delays: list[float] = []
    monkeypatch.setattr(index.runtime, "sleep", delays.append)
    inspector(aws, "ENABLED")
    start = aws.stubs["imagebuilder"]
    token = {"imagePipelineArn": PIPELINE, "clientToken": REQUEST}
    start.add_client_error("start_image_pipeline_execution", "ThrottlingException", expected_params=token)
    start.add_client_error(
        "start_image_pipeline_execution", "ServiceException", http_status_code=503, expected_params=token
    )
    start.add_response(
        "start_image_pipeline_execution",
        {"requestId": "r", "clientToken": REQUEST, "imageBuildVersionArn": IMAGE},
        token,
    )
    assert index.is_complete(event("start", Deadline="0"), clients=aws)["Data"] == {"ImageArn": IMAGE}
    assert len(delays) == 2


def test_a_refused_start_is_not_retried(aws: Stubbed, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index.runtime, "sleep", lambda _: pytest.fail("a client error is not retried"))
    inspector(aws, "ENABLED")
    aws.stubs["imagebuilder"].add_client_error("start_image_pipeline_execution", "ResourceNotFoundException")
    with pytest.raises(index.ClientError, match="ResourceNotFoundException"):
        index.is_complete(event("start", Deadline="0"), clients=aws)


def test_the_default_clients_use_the_runtime_retry_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[tuple[str, object]] = []
    monkeypatch.setattr(index.boto3, "client", lambda service, config=None: made.append((service, config)) or object())
    clients = index.Clients()
    clients.ssm  # noqa: B018 - the attribute makes the client
    assert made == [("ssm", index.runtime.RETRY_CONFIG)]
