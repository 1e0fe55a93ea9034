"""The images' declared props: what their types do not say (``_private/props.py`` checks them).

The limits are Image Builder's and SSM's, from the CloudFormation resource schemas
(``AWS::ImageBuilder::Component``, ``ImagePipeline``, ``InfrastructureConfiguration``,
``ImageRecipe``) and the tagging limits (a tag value is at most 256 characters).
The checks across props (the schedule and its time zone, deprecate < delete...) stay in ``_checks.py``.
"""

from __future__ import annotations

from .._private.props import Rule
from ..errors import Problem
from ._sharing import PRINCIPAL, PRINCIPAL_FIX

_REGION = r"[a-z]{2}(-[a-z]+)+-[0-9]+"
_ACCOUNT = r"[0-9]{12}"
# A line or channel selects a parameter name at synth time: a token cannot.
_CHANNEL = Rule(blank=False, token=False, fix="use one of the catalog's lines and channels, e.g. 'web' and 'stable'")

#: A component's description (``AWS::ImageBuilder::Component.Description``: 1 to 1024 characters).
DESCRIPTION = Rule(
    blank=False, max_length=1024, unit="characters", fix="shorten the description to at most 1024 characters"
)

PIPELINE: dict[str, Rule] = {
    # Build instances run in the VPC; the key, the topic and the VPC must be the pipeline's region and account.
    "vpc": Rule(same_region=True, same_account=True, fix="use a VPC of the pipeline's account and region"),
    "encryption_key": Rule(same_region=True, fix="use a KMS key of the pipeline's region"),
    "notification_topic": Rule(same_region=True, fix="use an SNS topic of the pipeline's region"),
    "execution_role": Rule(any_region="IAM is global"),
    # The execution role may write the catalog's parameters, whose ARNs name the catalog's region: the pipeline's.
    "catalog": Rule(same_region=True, same_account=True, fix="use a catalog of the pipeline's account and region"),
    "image_line": Rule(blank=False, token=False, fix="use one of the catalog's lines, e.g. 'web'"),
    "instance_types": Rule(blank=False, fix="list each instance type once, e.g. ['t3.medium']"),
    "root_volume_size": Rule(low=1, high=16000, unit="GiB", fix="use e.g. 30"),
    "root_device_name": Rule(blank=False, fix="e.g. '/dev/xvda' (Amazon Linux) or '/dev/sda1' (Ubuntu)"),
    "working_directory": Rule(
        blank=False, max_length=1024, unit="characters", fix="an absolute path of at most 1024 characters"
    ),
    "schedule_timezone": Rule(blank=False, max_length=100, unit="characters", fix="an IANA time zone, e.g. 'UTC'"),
    "distribution_regions": Rule(
        blank=False, pattern=_REGION, fix="list each region once, e.g. ['eu-west-1', 'us-east-1']"
    ),
    "distribution_accounts": Rule(pattern=_ACCOUNT, fix="list each 12-digit account id once"),
    # Region -> KMS key ARN: each key must be of its region (_checks.py compares them).
    "distribution_kms_keys": Rule(
        blank=False, fix="map each distribution region to a KMS key ARN of that region, e.g. {'us-east-1': 'arn:...'}"
    ),
    "launch_permission_accounts": Rule(pattern=_ACCOUNT, fix="list each 12-digit account id once"),
    # Compared with findings' severities by the promotion function's configuration, at synth time.
    "severity_threshold": Rule(token=False, fix="use a FindingSeverity, e.g. FindingSeverity.HIGH"),
    "max_findings": Rule(low=0, fix="use 0 to promote only images without findings at or above the threshold"),
    "keep_at_least": Rule(low=1, high=10, fix="use e.g. 3 (Image Builder's RetainAtLeast is 1 to 10)"),
    "deprecate_after_days": Rule(low=1, high=1000, unit="days", fix="e.g. 30"),
    "delete_after_days": Rule(low=1, high=1000, unit="days", fix="e.g. 90"),
    "keep_launched_within_days": Rule(low=1, high=365, unit="days", fix="e.g. 30"),
    # Tagged on every AMI: tag values are at most 256 characters.
    "source_revision": Rule(
        blank=False, max_length=256, unit="characters", fix="a tag value of at most 256 characters, e.g. the git SHA"
    ),
}

CATALOG: dict[str, Rule] = {
    "prefix": Rule(blank=False, fix="e.g. '/images'"),
    "lines": Rule(blank=False, fix="list each line once, e.g. ['web', 'worker']"),
    "channels": Rule(blank=False, fix="list each channel once, e.g. ['candidate', 'stable']"),
    # AWS RAM principals a parameter can be shared with (Systems Manager User Guide, "Working with shared parameters").
    "share_with": Rule(pattern=PRINCIPAL, fix=PRINCIPAL_FIX),
    "owner_account": Rule(pattern=_ACCOUNT, fix="the 12-digit id of the account that shares the parameters"),
}

#: The line and channel arguments of the catalog's methods.
LINE_AND_CHANNEL = {"line": _CHANNEL, "channel": _CHANNEL}
ARN_PLACE = {
    "region": Rule(pattern=_REGION, fix="e.g. 'eu-west-1'"),
    "account": Rule(pattern=_ACCOUNT, fix="a 12-digit account id"),
}


def first_problem(owner: str, prop: str, problems: list[Problem]) -> tuple[str, object, str, str]:
    """The first problem of a factory's input, as the pipeline reports it under ``prop`` (``components``)."""
    first = problems[0]
    return (prop, first.value, f"{owner}({first.prop}) {first.reason}", first.fix)
