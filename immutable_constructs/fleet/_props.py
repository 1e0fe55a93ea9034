"""The fleets' declared props: what their types do not say (``_private/props.py`` checks them).

``FLEET`` holds the props both fleets share, so ``ImmutableFleet`` and ``BlueGreenFleet`` cannot
disagree; each fleet adds its own.
"""

from __future__ import annotations

from .._private.props import Rule

#: CloudWatch Logs stream names are at most 512 characters; the agent names them ``{instance_id}/<path>``
#: (an instance id is at most 19 characters).
_LOG_PATH_MAX = 512 - 20

FLEET = {
    "imds_hop_limit": Rule(low=1, high=64, fix="use 1 (the default) for hosts, 2 when containers call IMDS"),
    "root_volume_size": Rule(low=1, high=16384, unit="GiB", fix="pass the size in GiB, at least the AMI's"),
    "root_device_name": Rule(blank=False, fix="e.g. '/dev/xvda' (Amazon Linux) or '/dev/sda1' (Ubuntu)"),
    "log_paths": Rule(
        blank=False,
        max_length=_LOG_PATH_MAX,
        fix=f"log stream names ({{instance_id}}/<path>) are limited to 512 characters: keep under {_LOG_PATH_MAX}",
    ),
    "metrics_namespace": Rule(blank=False, max_length=255, fix="a CloudWatch namespace of at most 255 characters"),
    # An instance profile names a role of its own account: a role of another account would be a stranger's.
    "role": Rule(
        same_account=True,
        any_region="IAM is global",
        fix="use a role of the fleet's account (instance profiles cannot cross accounts)",
    ),
    # EBS, CloudWatch Logs and Auto Scaling notifications use a key or topic of the fleet's own region; instances
    # launch into subnets and security groups of the group's region (a VPC shared from another account is fine).
    "volume_key": Rule(same_region=True, fix="use a KMS key of the fleet's region"),
    "vpc": Rule(same_region=True, fix="use a VPC of the fleet's region (Auto Scaling launches into its subnets)"),
    "security_group": Rule(same_region=True, fix="use a security group of the fleet's region and VPC"),
}

TARGET_GROUP = Rule(same_region=True, fix="use a target group of the fleet's region")

#: An instance refresh's rollback alarms: EC2 Auto Scaling reads alarms of the group's region (the fleet checks them).
REFRESH_ALARMS = Rule(same_region=True, fix="use alarms of the fleet's region, each once")

IMMUTABLE_FLEET = {
    **FLEET,
    "target_groups": Rule(same_region=True, fix="list target groups of the fleet's region once"),
    "log_key": Rule(same_region=True, fix="use a KMS key of the fleet's region (CloudWatch Logs keys are regional)"),
    "notification_topic": Rule(same_region=True, fix="use an SNS topic of the fleet's region"),
    # CloudFormation writes the signal timeout (and a rolling update's PauseTime) as an ISO 8601 duration at
    # synth; CDK cannot convert a token duration to one.
    "signal_timeout": Rule(token=False, fix="pass a literal duration, e.g. Duration.minutes(15)"),
}

BLUE_GREEN_FLEET = {
    **FLEET,
    "target_group": TARGET_GROUP,
    "termination_wait": Rule(whole="minutes", low=0, high=2880 * 60, fix="use whole minutes, up to 2 days"),
    "manual_reroute_wait": Rule(whole="minutes", low=0, high=2880 * 60, fix="use whole minutes, up to 2 days"),
    # CodeDeploy's deployment group takes at most 10 alarms, of its own region.
    "alarms": Rule(same_region=True, max_items=10, fix="at most 10 alarms of the fleet's region, each once"),
    # CodeDeploy is regional: the deployment group's application and config are the fleet's region's.
    "application": Rule(same_region=True, fix="use a CodeDeploy application of the fleet's region"),
    "deployment_config": Rule(same_region=True, fix="use a deployment config of the fleet's region"),
}

# The value objects (FleetHealthCheck, FleetUpdate, FleetAlarmOptions) check their types when made and their
# values in the fleet, which names its construct path (health_check.interval, update.max_batch_size...).
