"""Promotion: a Lambda function (the handler asset is ``promotion_handler/`` beside this module) that
moves a tested, scanned image from the catalog's first channel to the next one, triggered by the
image's AVAILABLE event, with a dead-letter queue for what it failed on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, Aws, Duration, Stack, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .._private import tags
from .._private.checkov import skip_checkov
from .._private.handler_function import handler_code, handler_function, handler_log_group, handler_role
from .._private.nag import acknowledge_wildcards
from .._private.warnings import warn
from ._notifications import STATE_CHANGE, image_events
from ._sharing import share_name
from .catalog import AmiCatalog

HANDLER = Path(__file__).resolve().parent / "promotion_handler"
WARN_SHARED_REGIONS = "immutable-constructs:sharedCatalogRegions"


@dataclass(frozen=True)
class Promotion:
    """What :func:`build_promotion` made."""

    function: lambda_.Function
    dead_letters: sqs.Queue


def build_promotion(
    scope: Construct,
    *,
    catalog: AmiCatalog,
    line: str,
    channel: str,
    image_prefix: str,
    regions: Sequence[str],
    topic: sns.ITopic,
    severity_threshold: str,
    max_findings: int,
    image_tests: bool,
    source: Mapping[str, str],
) -> Promotion:
    """The function, its role, log group and dead-letter queue, and the rule that triggers it."""
    role = handler_role(scope, "PromotionRole", f"Promote {line} images from {catalog.first_channel} to {channel}")
    log_group = handler_log_group(scope, "PromotionLogs", logs.RetentionDays.ONE_YEAR)
    dead_letters = _dead_letter_queue(scope)
    policy = _promotion_policy(
        scope, role, catalog, line, channel, image_prefix, regions, topic, log_group, dead_letters
    )
    sharing = _share_channel(scope, policy, catalog, line, channel, regions)
    function = handler_function(
        scope,
        "Promotion",
        code=handler_code(HANDLER),
        entry="handler",
        role=role,
        log_group=log_group,
        dead_letter_queue=dead_letters,
        timeout=Duration.minutes(1),
        description=f"Promote {line} images from {catalog.first_channel} to {channel} when tests and scans pass",
        environment={
            "TARGET_PARAMETER": catalog.parameter_name(line, channel),
            "SOURCE_PARAMETER": catalog.parameter_name(line, catalog.first_channel),
            "LINE": line,
            "CHANNEL": channel,
            "SEVERITY_THRESHOLD": severity_threshold,
            "MAX_FINDINGS": str(max_findings),
            "REQUIRE_SCAN": "true",
            "REQUIRE_TESTS": "true" if image_tests else "false",
            "KEEP_TAG_KEY": tags.PROMOTED,
            "KEEP_TAG_VALUE": channel,
            "NOTIFICATION_TOPIC": topic.topic_arn,
            # Issue 28: only this pipeline's images (PIPELINE_ARN, INFRASTRUCTURE_ARN, DISTRIBUTION_ARN and,
            # when the stack builds one image while it deploys, ALLOW_DEPLOY_IMAGE): promotion_handler/index.py.
            **source,
            **sharing,
        },
    )
    events.Rule(
        scope,
        "PromoteOnSuccess",
        description=f"Promote a new {line} image once it is AVAILABLE",
        event_pattern=image_events(image_prefix, STATE_CHANGE, ["AVAILABLE"]),
        targets=[targets.LambdaFunction(function, retry_attempts=4, dead_letter_queue=dead_letters)],
    )
    return Promotion(function, dead_letters)


def _share_channel(
    scope: Construct, policy: iam.Policy, catalog: AmiCatalog, line: str, channel: str, regions: Sequence[str]
) -> dict[str, str]:
    """With ``AmiCatalog(share_with=...)``: the function's environment and permissions to add the channel to the
    catalog's resource share in this stack's region, and in each other distribution region to the share of the
    same name a catalog deployed there holds (a RAM share holds its own region's resources; AWS RAM User Guide,
    "Shareable AWS resources": resource shares are regional; ``_sharing.py``)."""
    share = catalog.share
    if share is None:
        return {}
    region = Stack.of(scope).region
    name = share_name(catalog.prefix)
    others = [r for r in regions if r != region]
    policy.add_statements(
        # AWS RAM User Guide / Service Authorization Reference: AssociateResourceShare on the share.
        iam.PolicyStatement(
            sid="ShareChannel",
            actions=["ram:AssociateResourceShare"],
            resources=[share.attr_arn],
            conditions=_channel_only(catalog, line, channel, region),
        ),
        # Systems Manager User Guide, "Working with shared parameters", "Permissions sets for sharing parameters":
        # roles calling RAM for a parameter may need ssm:GetResourcePolicies and ssm:PutResourcePolicy.
        iam.PolicyStatement(
            sid="ShareChannelPolicy",
            actions=["ssm:GetResourcePolicies", "ssm:PutResourcePolicy"],
            resources=[catalog.parameter_arn(line, channel, region=r) for r in [region, *others]],
        ),
    )
    if others:
        _share_elsewhere(scope, policy, catalog, line, channel, others)
    return {"RESOURCE_SHARE_ARN": share.attr_arn, "SHARE_REGION": region, "SHARE_NAME": name}


def _channel_only(catalog: AmiCatalog, line: str, channel: str, region: str) -> dict[str, Any]:
    """Only the channel, never a principal or another resource: RAM authorizes each resource of an
    AssociateResourceShare with its own ram:ResourceArn, and a principal's association has none, so StringEquals
    (not ...IfExists) refuses adding principals (AWS RAM User Guide, "Example IAM policies for AWS RAM", 1 and 2)."""
    return {"StringEquals": {"ram:ResourceArn": catalog.parameter_arn(line, channel, region=region)}}


def _share_elsewhere(
    scope: Construct, policy: iam.Policy, catalog: AmiCatalog, line: str, channel: str, others: Sequence[str]
) -> None:
    """The channel of each other region joins this account's share of the catalog's name there, if any."""
    name = share_name(catalog.prefix)
    stack = Stack.of(scope)
    shares_elsewhere = [
        stack.format_arn(service="ram", region=r, resource="resource-share", resource_name="*") for r in others
    ]
    # GetResourceShares has no resource type (Service Authorization Reference, RAM): it lists only.
    policy.add_statements(
        iam.PolicyStatement(sid="FindRegionalShares", actions=["ram:GetResourceShares"], resources=["*"])
    )
    for index, (other, arn) in enumerate(zip(others, shares_elsewhere, strict=True)):
        # The share's ARN in another region is unknown here: this account's shares there of this name, and only
        # that region's channel.
        condition = _channel_only(catalog, line, channel, other)
        condition["StringEquals"]["ram:ResourceShareName"] = name
        policy.add_statements(
            iam.PolicyStatement(
                sid=f"ShareChannelElsewhere{index}" if index else "ShareChannelElsewhere",
                actions=["ram:AssociateResourceShare"],
                resources=[arn],
                conditions=condition,
            )
        )
    acknowledge_wildcards(
        policy,
        dict.fromkeys(
            shares_elsewhere,
            f"The catalog's share in another region is created by that region's stack (its id unknown "
            f"here); association is limited to this account's shares named '{name}' (ram:ResourceShareName).",
        ),
    )
    warn(
        scope,
        WARN_SHARED_REGIONS,
        f"the catalog's share is in this stack's region; {', '.join(others)} keep "
        f"{catalog.parameter_name(line, channel)} unshared until a catalog with the same prefix and "
        "share_with is deployed in a stack of that region (a resource share holds resources of its own "
        "region; the promotion function adds the channel to that region's share, found by its name). "
        "See docs/golden-images.md, 'Organization-wide catalog'.",
    )


def _unscoped_reason(scope: Construct, catalog: AmiCatalog, regions: Sequence[str]) -> str:
    """Why the promotion policy has actions on '*'; a shared catalog's promotion also looks up the shares of its
    other regions (``_share_channel``)."""
    finds_shares = catalog.share is not None and any(r != Stack.of(scope).region for r in regions)
    lookup = " and ram:GetResourceShares" if finds_shares else ""
    actions = f"ListImageScanFindings, ec2:DescribeImages and inspector2:BatchGetAccountStatus{lookup}"
    return f"{actions} have no resource-level permissions."


def _dead_letter_queue(scope: Construct) -> sqs.Queue:
    """Events the function failed on after its retries (and events EventBridge could not deliver) land
    here instead of vanishing: a build that passed but was never promoted stays visible."""
    dead_letters = sqs.Queue(
        scope,
        "PromotionDeadLetters",
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    Validations.of(dead_letters).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-SQS3",
            reason="This queue is the promotion function's dead-letter queue; it needs none of its own.",
        )
    )
    skip_checkov(
        dead_letters.node.default_child,  # type: ignore[arg-type]  # a sqs.Queue's default child is its CfnQueue
        "CKV_AWS_27",
        "Encrypted at rest with SQS-managed keys (SqsManagedSseEnabled), which this checkov version does not "
        "recognise; a KMS key would need key-policy grants for EventBridge and Lambda.",
    )
    return dead_letters


def _promotion_policy(
    scope: Construct,
    role: iam.Role,
    catalog: AmiCatalog,
    line: str,
    channel: str,
    image_prefix: str,
    regions: Sequence[str],
    topic: sns.ITopic,
    log_group: logs.LogGroup,
    dead_letters: sqs.Queue,
) -> iam.Policy:
    image_arns = f"{image_prefix}*"
    target_arns = [catalog.parameter_arn(line, channel, region=r) for r in regions]
    source_arns = [catalog.parameter_arn(line, catalog.first_channel, region=r) for r in regions]
    # Issue 28: only in the regions the pipeline distributes to (EC2 image ARNs have no account).
    ami_arns = [f"arn:{Aws.PARTITION}:ec2:{region}::image/*" for region in regions]
    topic_key = topic.master_key
    policy = iam.Policy(
        scope,
        "PromotionPolicy",
        roles=[role],
        statements=[
            iam.PolicyStatement(sid="ReadImage", actions=["imagebuilder:GetImage"], resources=[image_arns]),
            iam.PolicyStatement(sid="ReadFindings", actions=["imagebuilder:ListImageScanFindings"], resources=["*"]),
            iam.PolicyStatement(
                sid="WriteChannel",
                actions=["ssm:GetParameter", "ssm:GetParameterHistory", "ssm:PutParameter", "ssm:AddTagsToResource"],
                resources=target_arns,
            ),
            iam.PolicyStatement(sid="TagSource", actions=["ssm:AddTagsToResource"], resources=source_arns),
            iam.PolicyStatement(sid="ValidateImage", actions=["ec2:DescribeImages"], resources=["*"]),
            iam.PolicyStatement(
                sid="KeepPromoted",
                actions=["ec2:CreateTags"],
                resources=ami_arns,
                conditions={"ForAllValues:StringEquals": {"aws:TagKeys": [tags.PROMOTED]}},
            ),
            iam.PolicyStatement(
                sid="Logs", actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            ),
            iam.PolicyStatement(sid="DeadLetters", actions=["sqs:SendMessage"], resources=[dead_letters.queue_arn]),
            # Every refusal is published (never a silent wait), and a scan that did not complete is
            # explained from Inspector's EC2 scanning status (no resource-level permissions).
            iam.PolicyStatement(sid="NotifyRefusals", actions=["sns:Publish"], resources=[topic.topic_arn]),
            iam.PolicyStatement(sid="InspectorStatus", actions=["inspector2:BatchGetAccountStatus"], resources=["*"]),
            *(
                # SNS Developer Guide, "Encryption at rest": publishers to an encrypted topic need these.
                [
                    iam.PolicyStatement(
                        sid="NotifyRefusalsEncrypted",
                        actions=["kms:Decrypt", "kms:GenerateDataKey"],
                        resources=[topic_key.key_arn],
                    )
                ]
                if topic_key is not None
                else []
            ),
        ],
    )
    acknowledge_wildcards(
        policy,
        {
            image_arns: "Every build of this pipeline's recipe is a new image ARN; only this recipe's images "
            "are readable.",
            "*": _unscoped_reason(scope, catalog, regions),
            **dict.fromkeys(
                ami_arns,
                f"The AMI ids are only known after each build; CreateTags is limited to the '{tags.PROMOTED}' "
                "tag key and to the regions the pipeline distributes to.",
            ),
            log_group.log_group_arn: "Log streams of the function's own log group are created per container.",
        },
    )
    return policy
