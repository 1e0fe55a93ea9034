"""Promote a new Image Builder image to the next AMI catalog channel when it is good enough.

Triggered by the EventBridge event "EC2 Image Builder Image State Change" (state AVAILABLE)
for one pipeline's images. For that image it checks, with Image Builder's own record
(``GetImage``), that the build is AVAILABLE, that the image tests ran (when required) and
that the Inspector scan completed with no more than ``MAX_FINDINGS`` findings at or above
``SEVERITY_THRESHOLD`` (``ListImageScanFindings``). Then, for every AMI of the image in this
account, it writes the AMI id to the next channel's SSM parameter in that AMI's region
(``PutParameter``, data type ``aws:ec2:image``) and tags the AMI so the lifecycle policy keeps
it. Re-delivery of the same event changes nothing: a parameter already holding the AMI id
gets no new version.

Environment: ``TARGET_PARAMETER`` (e.g. ``/images/web/stable``), ``SOURCE_PARAMETER`` (e.g.
``/images/web/candidate``), ``LINE``, ``CHANNEL``, ``SEVERITY_THRESHOLD`` (INFORMATIONAL, LOW,
MEDIUM, HIGH or CRITICAL), ``MAX_FINDINGS`` (integer >= 0), ``REQUIRE_SCAN`` and
``REQUIRE_TESTS`` (``true``/``false``), ``KEEP_TAG_KEY`` and ``KEEP_TAG_VALUE``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)

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
        )


def _log(decision: str, **fields: Any) -> None:
    LOG.info(json.dumps({"decision": decision, **fields}, default=str, sort_keys=True))


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
        page = imagebuilder.list_image_scan_findings(**request)
        findings.extend(page.get("findings", []))
        token = page.get("nextToken")
        if not token:
            return findings
        request["nextToken"] = token


def refusal(image: Mapping[str, Any], image_arn: str, config: Config, imagebuilder: Any) -> str | None:
    """Why ``image`` must not be promoted, or ``None`` when it may."""
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
            return f"image scan state is {scan}, not COMPLETED"
        count = counted_findings(list_findings(imagebuilder, image_arn), config.severity_threshold)
        if count > config.max_findings:
            return (
                f"{count} scan findings at or above {config.severity_threshold} (at most {config.max_findings} allowed)"
            )
    return None


def ensure_parameter(ssm: Any, name: str, value: str, tags: Mapping[str, str]) -> str:
    """Write ``value`` to ``name`` unless it is already current; returns 'unchanged', 'created' or 'updated'."""
    try:
        current = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "ParameterNotFound":
            raise
        ssm.put_parameter(
            Name=name,
            Value=value,
            Type="String",
            DataType="aws:ec2:image",
            Description="AMI catalog channel, written by immutable-constructs promotion",
            Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        )
        return "created"
    if current == value:
        return "unchanged"
    ssm.put_parameter(Name=name, Value=value, Type="String", DataType="aws:ec2:image", Overwrite=True)
    return "updated"


def promoted_before(ssm: Any, name: str, value: str) -> bool:
    """True when ``name`` held ``value`` in an earlier version but holds something else now."""
    history: list[str] = []
    request: dict[str, Any] = {"Name": name}
    while True:
        try:
            page = ssm.get_parameter_history(**request)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ParameterNotFound":
                return False
            raise
        history.extend(str(p.get("Value")) for p in page.get("Parameters", []))
        if not page.get("NextToken"):
            break
        request["NextToken"] = page["NextToken"]
    return bool(history) and history[-1] != value and value in history


def promote(
    event: Mapping[str, Any],
    config: Config,
    *,
    imagebuilder: Any,
    ssm_client: Callable[[str], Any],
    ec2_client: Callable[[str], Any],
) -> dict[str, Any]:
    """Decide and, when allowed, promote the image of ``event``. Returns what happened (also logged)."""
    resources = list(event.get("resources") or [])
    if not resources:
        _log("ignored", reason="event names no image")
        return {"promoted": False, "reason": "event names no image"}
    image_arn = str(resources[0])
    event_status = event.get("detail", {}).get("state", {}).get("status")
    if event_status != "AVAILABLE":
        state_reason = f"build state is {event_status}, not AVAILABLE"
        _log("refused", image=image_arn, reason=state_reason)
        return {"promoted": False, "image": image_arn, "reason": state_reason}
    image = imagebuilder.get_image(imageBuildVersionArn=image_arn)["image"]
    why_not = refusal(image, image_arn, config, imagebuilder)
    if why_not is not None:
        _log("refused", image=image_arn, reason=why_not, target=config.target_parameter)
        return {"promoted": False, "image": image_arn, "reason": why_not}

    account = image_arn.split(":")[4]
    amis = [
        ami
        for ami in image.get("outputResources", {}).get("amis", [])
        if ami.get("image") and ami.get("accountId", account) == account
    ]
    if not amis:
        reason = "the image has no AMI in this account"
        _log("refused", image=image_arn, reason=reason)
        return {"promoted": False, "image": image_arn, "reason": reason}
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
        _log("refused", image=image_arn, reason=reason, target=config.target_parameter)
        return {"promoted": False, "image": image_arn, "reason": reason}
    tags = {"immutable-constructs:image-line": config.line}
    changes: dict[str, str] = {}
    for ami in amis:
        region, ami_id = str(ami["region"]), str(ami["image"])
        ssm = ssm_client(region)
        changes[f"{region}:{ami_id}"] = ensure_parameter(
            ssm, config.target_parameter, ami_id, {**tags, "immutable-constructs:channel": config.channel}
        )
        # Writers own the catalog: tag the channel Image Builder created, too (idempotent).
        try:
            ssm.add_tags_to_resource(
                ResourceType="Parameter",
                ResourceId=config.source_parameter,
                Tags=[{"Key": "immutable-constructs:image-line", "Value": config.line}],
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "InvalidResourceId":
                raise
        ec2_client(region).create_tags(
            Resources=[ami_id], Tags=[{"Key": config.keep_tag_key, "Value": config.keep_tag_value}]
        )
    _log("promoted", image=image_arn, target=config.target_parameter, changes=changes)
    return {"promoted": True, "image": image_arn, "changes": changes}


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point."""
    config = Config.from_environment(os.environ)
    return promote(
        event,
        config,
        imagebuilder=boto3.client("imagebuilder"),
        ssm_client=lambda region: boto3.client("ssm", region_name=region),
        ec2_client=lambda region: boto3.client("ec2", region_name=region),
    )
