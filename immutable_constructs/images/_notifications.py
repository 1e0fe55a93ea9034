"""Build notifications: the SNS topic and the EventBridge rules on this pipeline's images.

Image Builder publishes to EventBridge (source ``aws.imagebuilder``): "EC2 Image Builder Image
State Change" with ``detail.state.status`` and "EC2 Image Builder CVE Detected" (Image Builder
User Guide, "Amazon EventBridge integration"). :func:`image_events` is the one place that pattern
is written; the promotion rule uses it too.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from .._private.key_policies import allow_service_to_publish, topic_target

STATE_CHANGE = "EC2 Image Builder Image State Change"
CVE_DETECTED = "EC2 Image Builder CVE Detected"


def image_arn_prefix(prefix: str) -> str:
    """Every image (build) of the recipe named ``<prefix>-recipe`` has an ARN that starts with this."""
    return f"arn:{Aws.PARTITION}:imagebuilder:{Aws.REGION}:{Aws.ACCOUNT_ID}:image/{prefix}-recipe/"


def image_events(image_prefix: str, detail_type: str, statuses: Sequence[str] = ()) -> events.EventPattern:
    """Image Builder events of ``detail_type`` on images whose ARN starts with ``image_prefix``
    (and, for state changes, whose state is one of ``statuses``)."""
    return events.EventPattern(
        source=["aws.imagebuilder"],
        detail_type=[detail_type],
        resources=events.Match.prefix(image_prefix),
        detail={"state": {"status": list(statuses)}} if statuses else None,
    )


def create_topic(scope: Construct, *, key: kms.IKey, line: str) -> sns.Topic:
    """A KMS-encrypted, SSL-only topic (EventBridge may use the key: ``_key.allow_services_to_use_key``)."""
    return sns.Topic(scope, "Notifications", master_key=key, enforce_ssl=True, display_name=f"{line} image builds")


def notify_builds(scope: Construct, *, topic: sns.ITopic, line: str, image_prefix: str) -> None:
    """Build succeeded, build failed and CVEs found: each a rule publishing to ``topic``."""
    for state, rule_id in (("AVAILABLE", "BuildSucceeded"), ("FAILED", "BuildFailed")):
        events.Rule(
            scope,
            rule_id,
            description=f"{line} image build {state.lower()}",
            event_pattern=image_events(image_prefix, STATE_CHANGE, [state]),
            targets=[topic_target(topic)],
        )
    events.Rule(
        scope,
        "CveDetected",
        description=f"{line} image scan found vulnerabilities",
        event_pattern=image_events(image_prefix, CVE_DETECTED),
        targets=[topic_target(topic)],
    )
    allow_service_to_publish(topic, "events.amazonaws.com")
