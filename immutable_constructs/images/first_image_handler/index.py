"""Build, test, scan and promote the first image of a golden image pipeline while its stack deploys.

A custom resource of the CDK Provider framework (``on_event`` and ``is_complete``), one chain per
pipeline, so that ``cdk deploy --all`` in a fresh account needs no manual step: the stacks that pin
``{{resolve:ssm:/images/<line>/stable:1}}`` deploy after the first promotion wrote version 1.

Properties (strings): ``Phase`` (``start`` or ``wait``), ``Line``, ``PipelineArn``, ``TargetParameter``
(the channel the promotion writes, e.g. ``/images/web/stable``), ``Account``, ``RequireInspector``
and ``EnableInspector`` (``true``/``false``), ``WaitSeconds`` (how long this resource waits) and
``Last`` (``true``: fail at the deadline; ``false``: succeed with ``Status`` ``IN_PROGRESS`` so the
next waiter of the chain goes on waiting; each resource stays within CloudFormation's one hour).

* ``start``: nothing to do when ``TargetParameter`` exists (an account that already has an image).
  Otherwise Amazon Inspector must scan EC2 in this account and region, since the pipeline's image
  scan and the promotion gate rely on it (Image Builder User Guide, "Amazon Inspector integration in
  Image Builder"): no AWS::InspectorV2 resource type activates it, so this calls ``inspector2:Enable``
  (resource type ``EC2``; Amazon Inspector API Reference, ``Enable``, ``BatchGetAccountStatus``) when
  ``EnableInspector`` is true, and fails at once with the one command that activates it otherwise, or
  when the account may not activate it itself (a member of an organization whose delegated
  administrator manages Inspector). Once Inspector scans EC2 it starts the pipeline
  (``StartImagePipelineExecution``; the request id is the client token, so a retried call starts one
  build, not two).
* ``wait``: done when ``TargetParameter`` exists (the promotion function wrote it). Fails at once when
  the pipeline's newest image ended ``FAILED`` or ``CANCELLED`` (its reason, and where the logs are).

Update and Delete change nothing: the resource is about the first image only; later images come from
the pipeline's schedule or a manual start.

Every AWS call goes through the handlers' one runtime (``handler_runtime.py``, shipped beside this file):
clients with botocore's adaptive retries, and an outer retry with full jitter on throttling, 5xx and
connection errors. ``StartImagePipelineExecution`` is retried safely: its client token makes a retried call
start one build, not two. Logs are the runtime's JSON lines.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from botocore.exceptions import ClientError

try:  # Lambda imports index.py from the asset root, where the runtime's copy sits beside it
    import handler_runtime as runtime  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # imported as part of the package (tests, type checks)
    from . import handler_runtime as runtime

runtime.HANDLER = "first-image"

#: Every AWS call: retried with full jitter on throttling, 5xx and connection errors (handler_runtime).
call = runtime.call

#: Image Builder image states after which nothing more happens to a build.
ENDED_BADLY = ("FAILED", "CANCELLED", "DELETED", "DEPRECATED", "DISABLED")
INSPECTOR_READY = "ENABLED"
INSPECTOR_PENDING = ("ENABLING",)


class Clients:
    """The AWS clients the handler uses (replaced by stubbed clients in tests)."""

    def __init__(self, factory: Callable[[str], Any] | None = None) -> None:
        self._factory = factory or (lambda service: boto3.client(service, config=runtime.RETRY_CONFIG))
        self._made: dict[str, Any] = {}

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_"):
            raise AttributeError(service)
        if service not in self._made:
            self._made[service] = self._factory(service)
        return self._made[service]


class Failed(RuntimeError):
    """A failure whose message the operator reads in the CloudFormation event."""


def _prefix(props: Mapping[str, Any]) -> str:
    return f"immutable-constructs FirstImage ({props.get('Line', '?')}):"


def parameter_version(clients: Any, name: str) -> int | None:
    """The parameter's current version, or None when it does not exist yet."""
    try:
        return int(call(clients.ssm, "get_parameter", Name=name)["Parameter"]["Version"])
    except ClientError as error:
        if runtime.error_code(error) == "ParameterNotFound":
            return None
        raise


def inspector_status(clients: Any, account: str) -> str:
    """Amazon Inspector's EC2 scanning status in this account and region (ENABLED, DISABLED, ENABLING...)."""
    response = call(clients.inspector2, "batch_get_account_status", accountIds=[account])
    for item in response.get("accounts", []):
        if item.get("accountId") == account:
            return str(item.get("resourceState", {}).get("ec2", {}).get("status", "DISABLED"))
    for failed in response.get("failedAccounts", []):
        raise Failed(f"Amazon Inspector's status could not be read: {failed.get('errorMessage', failed)}")
    return "DISABLED"


def activation_command(account: str) -> str:
    return f"aws inspector2 enable --resource-types EC2 --account-ids {account}"


def _missing_inspector(props: Mapping[str, Any], status: str, why: str) -> Failed:
    account = str(props["Account"])
    return Failed(
        f"{_prefix(props)} Amazon Inspector does not scan EC2 in account {account} (status {status}), and the "
        f"pipeline's image scan and promotion gate need it; {why}. Activate it in this region with: "
        f"{activation_command(account)} (as this account, or as the organization's Inspector delegated "
        "administrator), then deploy again."
    )


def on_event(event: Mapping[str, Any], context: Any = None, clients: Any = None) -> dict[str, Any]:
    clients = clients or Clients()
    props = event["ResourceProperties"]
    physical_id = event.get("PhysicalResourceId") or f"first-image-{props['Line']}-{props['Phase']}"
    if event["RequestType"] != "Create":
        return {"PhysicalResourceId": physical_id}
    deadline = int(time.time()) + int(props["WaitSeconds"])
    data: dict[str, Any] = {"Deadline": str(deadline)}
    if props["Phase"] == "start":
        if parameter_version(clients, props["TargetParameter"]) is not None:
            runtime.log("info", "skipped", "the target parameter exists", line=props["Line"])
            return {"PhysicalResourceId": physical_id, "Data": {**data, "Status": "EXISTS"}}
        if props.get("RequireInspector") == "true":
            status = inspector_status(clients, str(props["Account"]))
            if status != INSPECTOR_READY and status not in INSPECTOR_PENDING:
                if props.get("EnableInspector") != "true":
                    raise _missing_inspector(props, status, "enable_inspector=False leaves that to you")
                try:
                    call(clients.inspector2, "enable", resourceTypes=["EC2"], accountIds=[str(props["Account"])])
                except ClientError as error:
                    raise _missing_inspector(props, status, f"this account may not activate it ({error})") from error
    return {"PhysicalResourceId": physical_id, "Data": data}


def is_complete(event: Mapping[str, Any], context: Any = None, clients: Any = None) -> dict[str, Any]:
    clients = clients or Clients()
    props = event["ResourceProperties"]
    data = dict(event.get("Data") or {})
    if event["RequestType"] != "Create" or data.get("Status") == "EXISTS":
        return {"IsComplete": True}
    if props["Phase"] == "start":
        return _start(clients, event, props)
    return _wait(clients, props, data)


def _start(clients: Any, event: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    if props.get("RequireInspector") == "true":
        status = inspector_status(clients, str(props["Account"]))
        if status in INSPECTOR_PENDING:
            return {"IsComplete": False}
        if status != INSPECTOR_READY:
            raise _missing_inspector(props, status, "activating it did not succeed")
    started = call(
        clients.imagebuilder,
        "start_image_pipeline_execution",
        imagePipelineArn=props["PipelineArn"],
        clientToken=str(event["RequestId"])[:36],
    )
    image = started["imageBuildVersionArn"]
    runtime.log("info", "started", "the first build started", line=props["Line"], image=image)
    return {"IsComplete": True, "Data": {"ImageArn": image}}


def newest_image(clients: Any, pipeline_arn: str) -> Mapping[str, Any] | None:
    """The pipeline's most recently created image (summary with ``arn``, ``state``, ``dateCreated``)."""
    images: list[Mapping[str, Any]] = []
    token: str | None = None
    while True:
        response = call(
            clients.imagebuilder,
            "list_image_pipeline_images",
            imagePipelineArn=pipeline_arn,
            **({"nextToken": token} if token else {}),
        )
        images.extend(response.get("imageSummaryList", []))
        token = response.get("nextToken")
        if not token:
            break
    return max(images, key=lambda image: str(image.get("dateCreated", "")), default=None)


def _wait(clients: Any, props: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    version = parameter_version(clients, props["TargetParameter"])
    if version is not None:
        return {"IsComplete": True, "Data": {"Status": "PROMOTED", "Version": str(version)}}
    image = newest_image(clients, props["PipelineArn"])
    if image is None:
        raise Failed(f"{_prefix(props)} the pipeline {props['PipelineArn']} has no image: nothing started a build")
    state = image.get("state", {})
    status = str(state.get("status", "UNKNOWN"))
    if status in ENDED_BADLY:
        raise Failed(
            f"{_prefix(props)} the first image {image.get('arn')} ended {status}: {state.get('reason', 'no reason')}. "
            "Its build log is in the pipeline's log bucket (prefix: the line), and the pipeline's topic has the "
            "notification; fix the recipe and deploy again."
        )
    if time.time() < int(data.get("Deadline", 0)):
        return {"IsComplete": False}
    if props.get("Last") != "true":
        return {"IsComplete": True, "Data": {"Status": "IN_PROGRESS", "Image": str(image.get("arn"))}}
    waiting = "waits for its promotion" if status == "AVAILABLE" else f"is {status}"
    raise Failed(
        f"{_prefix(props)} the first image {image.get('arn')} {waiting} after the longest wait FirstImage allows "
        f"(max_wait), and {props['TargetParameter']} does not exist yet. An image that is AVAILABLE but not promoted "
        "was refused by the promotion gate (its reasons are on the pipeline's topic); one still building goes on. "
        "Deploy again once `aws ssm get-parameter --name "
        f"{props['TargetParameter']}` answers, or raise max_wait."
    )
