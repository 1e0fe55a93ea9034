"""Promote a new Image Builder image to the next AMI catalog channel when it is good enough.

Triggered by the EventBridge event "EC2 Image Builder Image State Change" (state AVAILABLE) for one pipeline's
images. For that image it checks, with Image Builder's own record (``GetImage``), that the build is AVAILABLE, that
the image tests ran (when required) and that the Inspector scan completed with no more than ``MAX_FINDINGS``
findings at or above ``SEVERITY_THRESHOLD`` (``ListImageScanFindings``). Then, for every AMI of the image in this
account, it writes the AMI id to the next channel's SSM parameter in that AMI's region (``PutParameter``, data type
``aws:ec2:image``) and tags the AMI so the lifecycle policy keeps it. Re-delivery of the same event changes nothing:
a parameter already holding the AMI id gets no new version.

Only an image of this pipeline is promoted (issue 28): ``GetImage``'s ``sourcePipelineArn`` must be
``PIPELINE_ARN``, the image must be in the pipeline's account and region, and it must have been built with this
pipeline's infrastructure and distribution configurations (``INFRASTRUCTURE_ARN``, ``DISTRIBUTION_ARN``). An image
someone built with ``CreateImage`` from the same recipe is refused. The one exception is the image the stack itself
builds while it deploys (``ALLOW_DEPLOY_IMAGE``): it has no source pipeline, so it is accepted only with this
pipeline's infrastructure and distribution configurations. A function without ``PIPELINE_ARN`` promotes nothing.

Every refusal is published to the pipeline's SNS topic (``NOTIFICATION_TOPIC``), never only logged: an image that is
not promoted is a decision an operator must see. When the scan did not complete, the message says why it could not:
Image Builder's test-instance scan (``TEST_INSTANCE_CVE``) runs only where Amazon Inspector scans EC2 in the account
and region (Image Builder User Guide, "Amazon Inspector integration in Image Builder"), so the function reads
Inspector's status (``inspector2:BatchGetAccountStatus``) and names the fix.

Environment: ``TARGET_PARAMETER`` (e.g. ``/images/web/stable``), ``SOURCE_PARAMETER`` (e.g.
``/images/web/candidate``), ``LINE``, ``CHANNEL``, ``SEVERITY_THRESHOLD`` (INFORMATIONAL, LOW, MEDIUM, HIGH or
CRITICAL), ``MAX_FINDINGS`` (integer >= 0), ``REQUIRE_SCAN`` and ``REQUIRE_TESTS`` (``true``/``false``),
``KEEP_TAG_KEY``, ``KEEP_TAG_VALUE`` and ``NOTIFICATION_TOPIC`` (a topic ARN; empty: refusals are only logged). A
catalog shared through AWS RAM adds ``RESOURCE_SHARE_ARN``, ``SHARE_REGION`` and ``SHARE_NAME``: in that region the
channel is written advanced-tier and added to the share, in another region likewise to this account's shares of that
name there, if any (Systems Manager User Guide, "Working with shared parameters"; RAM shares are regional).

Every AWS call goes through the handlers' one runtime (``handler_runtime.py``, shipped beside this file): botocore's
adaptive retries, then up to five attempts with full jitter on throttling, server and connection errors. A
``PutParameter`` that created the channel but whose response was lost comes back from its retry as
``ParameterAlreadyExists``: the parameter is read again and, holding this AMI, counts as created; an overwrite is
sent once and, after a transient error, read back (written, or the event's re-delivery writes it), never blindly
re-sent. Logs are the runtime's JSON lines (``event`` is the decision: ``promoted`` or ``refused``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

try:  # Lambda imports index.py from the asset root, where the runtime's copy sits beside it
    import handler_runtime as runtime  # type: ignore[import-not-found,unused-ignore]
except ModuleNotFoundError:  # imported as part of the package (tests, tools)
    from . import handler_runtime as runtime

runtime.HANDLER = "promotion"

#: Every AWS call: retried with full jitter on throttling, 5xx and connection errors (handler_runtime).
call = runtime.call

SEVERITIES = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")


@dataclass(frozen=True)
class Config:
    """What the function promotes and under which conditions."""

    target_parameter: str
    source_parameter: str
    line: str
    channel: str
    severity_threshold: str = "HIGH"
    max_findings: int = 0
    require_scan: bool = True
    require_tests: bool = True
    keep_tag_key: str = "immutable-constructs:promoted"
    keep_tag_value: str = "stable"
    notification_topic: str | None = None
    pipeline_arn: str | None = None  # None: nothing is promoted (fail closed)
    infrastructure_arn: str | None = None
    distribution_arn: str | None = None
    allow_deploy_image: bool = False
    resource_share_arn: str | None = None  # None: the catalog is not shared
    share_region: str | None = None
    share_name: str | None = None  # the shares of other regions are this account's active shares of this name

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Config:
        return cls(
            target_parameter=env["TARGET_PARAMETER"],
            source_parameter=env["SOURCE_PARAMETER"],
            line=env["LINE"],
            channel=env["CHANNEL"],
            severity_threshold=env.get("SEVERITY_THRESHOLD", "HIGH").upper(),
            max_findings=int(env.get("MAX_FINDINGS", "0")),
            require_scan=env.get("REQUIRE_SCAN", "true").lower() == "true",
            require_tests=env.get("REQUIRE_TESTS", "true").lower() == "true",
            keep_tag_key=env.get("KEEP_TAG_KEY", "immutable-constructs:promoted"),
            keep_tag_value=env.get("KEEP_TAG_VALUE", "stable"),
            notification_topic=env.get("NOTIFICATION_TOPIC") or None,
            pipeline_arn=env.get("PIPELINE_ARN") or None,
            infrastructure_arn=env.get("INFRASTRUCTURE_ARN") or None,
            distribution_arn=env.get("DISTRIBUTION_ARN") or None,
            allow_deploy_image=env.get("ALLOW_DEPLOY_IMAGE", "false").lower() == "true",
            resource_share_arn=env.get("RESOURCE_SHARE_ARN") or None,
            share_region=env.get("SHARE_REGION") or None,
            share_name=env.get("SHARE_NAME") or None,
        )


def counted_findings(findings: list[dict[str, Any]], threshold: str) -> int:
    """How many findings are at or above ``threshold`` (an unknown severity, e.g. UNTRIAGED, counts)."""
    floor = SEVERITIES.index(threshold)
    count = 0
    for finding in findings:
        severity = str(finding.get("severity", "UNTRIAGED")).upper()
        if severity not in SEVERITIES or SEVERITIES.index(severity) >= floor:
            count += 1
    return count


def list_findings(imagebuilder: Any, image_arn: str) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = []
    request: dict[str, Any] = {"filters": [{"name": "imageBuildVersionArn", "values": [image_arn]}]}
    while True:
        page = call(imagebuilder, "list_image_scan_findings", **request)
        findings.extend(page.get("findings", []))
        token = page.get("nextToken")
        if not token:
            return findings
        request["nextToken"] = token


ACTIVATE = "aws inspector2 enable --resource-types EC2 --account-ids {account} --region {region}"


def inspector_explanation(inspector: Any, account: str, region: str) -> str:
    """Why a test-instance scan may not have completed, from Amazon Inspector's EC2 scanning status."""
    try:
        response = call(inspector, "batch_get_account_status", accountIds=[account])
    except ClientError as error:
        code = runtime.error_code(error)
        return f"Amazon Inspector's status could not be read ({code}); check that Inspector scans EC2 in {region}"
    states = [a for a in response.get("accounts", []) if a.get("accountId") == account]
    status = states[0].get("resourceState", {}).get("ec2", {}).get("status") if states else None
    if status == "ENABLED":
        return (
            "Amazon Inspector scans EC2 in this account, so the scan itself did not finish: check the test "
            "instance's Systems Manager inventory (the build role's ssm:PutInventory) and rebuild"
        )
    return (
        f"Amazon Inspector EC2 scanning is {status or 'not activated'} in account {account} ({region}), so "
        "Image Builder's test-instance scan never runs: activate it ("
        + ACTIVATE.format(account=account, region=region)
        + ") and rebuild, or promote by hand"
    )


def _arn_of(value: Any) -> str | None:
    """The ARN of a GetImage sub-record (``{"arn": ...}``), or None."""
    return str(value["arn"]) if isinstance(value, Mapping) and value.get("arn") else None


def source_refusal(image: Mapping[str, Any], image_arn: str, config: Config) -> str | None:
    """Why ``image`` is not this pipeline's (Image Builder API Reference, ``GetImage``: ``sourcePipelineArn``,
    ``infrastructureConfiguration``, ``distributionConfiguration``), or ``None`` when it is."""
    if not config.pipeline_arn:
        return "the function knows no pipeline (PIPELINE_ARN is not set): nothing is promoted"
    pipeline_place = config.pipeline_arn.split(":")[3:5]
    if image_arn.split(":")[3:5] != pipeline_place:
        return f"the image is not in the pipeline's region and account ({':'.join(pipeline_place)})"
    source = image.get("sourcePipelineArn")
    if source != config.pipeline_arn and not (config.allow_deploy_image and not source):
        return f"the image was built by {source or 'no pipeline (CreateImage)'}, not by {config.pipeline_arn}"
    for what, expected, actual in (
        ("infrastructure", config.infrastructure_arn, _arn_of(image.get("infrastructureConfiguration"))),
        ("distribution", config.distribution_arn, _arn_of(image.get("distributionConfiguration"))),
    ):
        if expected and actual != expected:
            return f"the image was built with the {what} configuration {actual}, not {expected}"
    return None


def refusal(
    image: Mapping[str, Any], image_arn: str, config: Config, imagebuilder: Any, inspector: Any = None
) -> str | None:
    """Why ``image`` must not be promoted, or ``None`` when it may."""
    foreign = source_refusal(image, image_arn, config)
    if foreign is not None:
        return foreign
    status = image.get("state", {}).get("status")
    if status != "AVAILABLE":
        return f"image state is {status}, not AVAILABLE"
    if config.require_tests and not image.get("imageTestsConfiguration", {}).get("imageTestsEnabled", False):
        return "image tests were not enabled for this build"
    if config.require_scan:
        if not image.get("imageScanningConfiguration", {}).get("imageScanningEnabled", False):
            return "image scanning was not enabled for this build"
        scan = image.get("scanState", {}).get("status")
        if scan != "COMPLETED":
            reason = f"image scan state is {scan}, not COMPLETED"
            if inspector is not None:
                _, _, _, region, account, *_ = image_arn.split(":")
                reason += f": {inspector_explanation(inspector, account, region)}"
            return reason
        count = counted_findings(list_findings(imagebuilder, image_arn), config.severity_threshold)
        if count > config.max_findings:
            return (
                f"{count} scan findings at or above {config.severity_threshold} (at most {config.max_findings} allowed)"
            )
    return None


def ensure_parameter(ssm: Any, name: str, value: str, tags: Mapping[str, str], *, advanced: bool = False) -> str:
    """Write ``value`` to ``name`` unless it is already current; returns 'unchanged', 'created' or 'updated'.
    ``advanced``: in the advanced tier (a standard parameter is upgraded by its next write, never back)."""
    tier = {"Tier": "Advanced"} if advanced else {}
    try:
        current = call(ssm, "get_parameter", Name=name)["Parameter"]["Value"]
    except ClientError as error:
        if runtime.error_code(error) != "ParameterNotFound":
            raise
        try:
            call(
                ssm,
                "put_parameter",
                Name=name,
                Value=value,
                Type="String",
                DataType="aws:ec2:image",
                Description="AMI catalog channel, written by immutable-constructs promotion",
                Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
                **tier,
            )
        except ClientError as error:
            # A retry (botocore's or the runtime's) of a create whose response was lost: ours if it holds the AMI.
            if runtime.error_code(error) != "ParameterAlreadyExists":
                raise
            if call(ssm, "get_parameter", Name=name)["Parameter"]["Value"] != value:
                raise
        return "created"
    if current == value:
        return "unchanged"
    put = {"Name": name, "Value": value, "Type": "String", "DataType": "aws:ec2:image", "Overwrite": True, **tier}
    try:  # an overwrite is not idempotent: a blind retry of one that took effect adds a version of the same AMI
        call(ssm, "put_parameter", attempts=1, **put)
    except (ClientError, HTTPClientError, BotoConnectionError) as error:
        if runtime.is_throttling(error):  # refused, no effect: the runtime's back-off may retry it
            call(ssm, "put_parameter", **put)
        elif not runtime.is_transient(error) or call(ssm, "get_parameter", Name=name)["Parameter"]["Value"] != value:
            raise  # the re-delivered event writes it (a lost response that took effect reads as written)
    return "updated"


def refuse(config: Config, sns: Any, image_arn: str | None, reason: str) -> dict[str, Any]:
    """Log and publish a refusal; returns the function's result."""
    runtime.log("info", "refused", reason, image=image_arn, reason=reason, target=config.target_parameter)
    if sns is not None and config.notification_topic:
        call(
            sns,
            "publish",
            TopicArn=config.notification_topic,
            Subject=f"{config.line} image not promoted to {config.channel}"[:100],
            Message=json.dumps(
                {
                    "decision": "refused",
                    "line": config.line,
                    "channel": config.channel,
                    "target": config.target_parameter,
                    "image": image_arn,
                    "reason": reason,
                },
                indent=2,
            ),
        )
    result: dict[str, Any] = {"promoted": False, "reason": reason}
    if image_arn is not None:
        result["image"] = image_arn
    return result


def promoted_before(ssm: Any, name: str, value: str) -> bool:
    """True when ``name`` held ``value`` in an earlier version but holds something else now."""
    history: list[str] = []
    request: dict[str, Any] = {"Name": name}
    while True:
        try:
            page = call(ssm, "get_parameter_history", **request)
        except ClientError as error:
            if runtime.error_code(error) == "ParameterNotFound":
                return False
            raise
        history.extend(str(p.get("Value")) for p in page.get("Parameters", []))
        if not page.get("NextToken"):
            break
        request["NextToken"] = page["NextToken"]
    return bool(history) and history[-1] != value and value in history


def regional_shares(config: Config, ram_client: Callable[[str], Any] | None, region: str) -> list[str]:
    """The resource shares that hold the channel of ``region`` (RAM shares are regional): the catalog's own in its
    region; elsewhere this account's active shares of the catalog's name, which a catalog with the same prefix and
    ``share_with`` creates in a stack of that region (none: the channel there stays standard tier, unshared)."""
    if config.resource_share_arn is None:
        return []
    if region == config.share_region:
        return [config.resource_share_arn]
    if not config.share_name or ram_client is None:
        return []
    found: list[str] = []
    request: dict[str, Any] = {"resourceOwner": "SELF", "name": config.share_name, "resourceShareStatus": "ACTIVE"}
    ram = ram_client(region)
    while True:
        page = call(ram, "get_resource_shares", **request)
        found += [str(share["resourceShareArn"]) for share in page.get("resourceShares", [])]
        if not page.get("nextToken"):
            return found
        request["nextToken"] = page["nextToken"]


def share_channel(
    config: Config, ram_client: Any, image_arn: str, region: str, change: str, share_arns: list[str]
) -> None:
    """Add the channel's parameter in ``region`` to its resource shares once it was written (advanced)."""
    if not share_arns or ram_client is None or change == "unchanged":
        return
    partition, account = image_arn.split(":")[1], image_arn.split(":")[4]
    parameter = f"arn:{partition}:ssm:{region}:{account}:parameter{config.target_parameter}"
    for share_arn in share_arns:
        call(ram_client(region), "associate_resource_share", resourceShareArn=share_arn, resourceArns=[parameter])


def promote(
    event: Mapping[str, Any],
    config: Config,
    *,
    imagebuilder: Any,
    ssm_client: Callable[[str], Any],
    ec2_client: Callable[[str], Any],
    sns: Any = None,
    inspector: Any = None,
    ram_client: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """Decide and, when allowed, promote the image of ``event``. Returns what happened (also logged).

    Every refusal is also published to ``config.notification_topic`` with ``sns``.
    """
    resources = list(event.get("resources") or [])
    if not resources:
        return refuse(config, sns, None, "event names no image")
    image_arn = str(resources[0])
    event_status = event.get("detail", {}).get("state", {}).get("status")
    if event_status != "AVAILABLE":
        return refuse(config, sns, image_arn, f"build state is {event_status}, not AVAILABLE")
    image = call(imagebuilder, "get_image", imageBuildVersionArn=image_arn)["image"]
    why_not = refusal(image, image_arn, config, imagebuilder, inspector)
    if why_not is not None:
        return refuse(config, sns, image_arn, why_not)

    account = image_arn.split(":")[4]
    amis = [
        ami
        for ami in image.get("outputResources", {}).get("amis", [])
        if ami.get("image") and ami.get("accountId", account) == account
    ]
    if not amis:
        return refuse(config, sns, image_arn, "the image has no AMI in this account")
    # EventBridge delivers at least once and in any order: an event for an image that this channel held
    # before and has moved on from since (a newer image, or an operator's pin) is late; promoting it again
    # would make the same image two versions of the channel and undo the later choice (issue 15).
    earlier = [
        f"{ami['region']}:{ami['image']}"
        for ami in amis
        if promoted_before(ssm_client(str(ami["region"])), config.target_parameter, str(ami["image"]))
    ]
    if earlier:
        reason = f"already promoted to {config.target_parameter} before and replaced since ({', '.join(earlier)})"
        return refuse(config, sns, image_arn, reason)
    tags = {"immutable-constructs:image-line": config.line}
    channel_tags = {**tags, "immutable-constructs:channel": config.channel}
    changes: dict[str, str] = {}
    for ami in amis:
        region, ami_id = str(ami["region"]), str(ami["image"])
        ssm = ssm_client(region)
        share_arns = regional_shares(config, ram_client, region)
        change = changes[f"{region}:{ami_id}"] = ensure_parameter(
            ssm, config.target_parameter, ami_id, channel_tags, advanced=bool(share_arns)
        )
        share_channel(config, ram_client, image_arn, region, change, share_arns)
        # Writers own the catalog: tag the channel Image Builder created, too (idempotent).
        try:
            call(
                ssm,
                "add_tags_to_resource",
                ResourceType="Parameter",
                ResourceId=config.source_parameter,
                Tags=[{"Key": "immutable-constructs:image-line", "Value": config.line}],
            )
        except ClientError as error:
            if runtime.error_code(error) != "InvalidResourceId":
                raise
        keep = [{"Key": config.keep_tag_key, "Value": config.keep_tag_value}]
        call(ec2_client(region), "create_tags", Resources=[ami_id], Tags=keep)
    message = f"promoted to {config.target_parameter}"
    runtime.log("info", "promoted", message, image=image_arn, target=config.target_parameter, changes=changes)
    return {"promoted": True, "image": image_arn, "changes": changes}


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point."""
    config = Config.from_environment(os.environ)
    return promote(
        event,
        config,
        imagebuilder=boto3.client("imagebuilder", config=runtime.RETRY_CONFIG),
        ssm_client=lambda region: boto3.client("ssm", region_name=region, config=runtime.RETRY_CONFIG),
        ec2_client=lambda region: boto3.client("ec2", region_name=region, config=runtime.RETRY_CONFIG),
        sns=boto3.client("sns", config=runtime.RETRY_CONFIG),
        inspector=boto3.client("inspector2", config=runtime.RETRY_CONFIG),
        ram_client=lambda region: boto3.client("ram", region_name=region, config=runtime.RETRY_CONFIG),
    )
