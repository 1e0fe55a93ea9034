"""Custom resource handler that owns a CodeDeploy EC2 blue/green deployment group and every
Auto Scaling group of the fleet behind it.

CloudFormation owns the launch template, IAM, security group, target group, alarms and the
CodeDeploy application. This resource (CDK Provider framework: ``on_event`` starts work,
``is_complete`` polls) owns the rest, so no resource has two owners:

* Create: an Auto Scaling group from the launch template version, then the deployment
  group (BLUE_GREEN / WITH_TRAFFIC_CONTROL, COPY_AUTO_SCALING_GROUP) pointing at it; the
  resource is complete when the group's instances are healthy in the target group.
* Update: the deployment group's settings and the current group's size are updated in
  place. When an instance runs another launch template version than the desired one, the
  current group is pointed at the desired version and a CodeDeploy deployment copies it
  into a green group; the resource is complete when the deployment succeeds and fails
  (so CloudFormation rolls back) when it fails or is stopped.
* Delete: the deployment group and every group it owns (tagged, or in the deployment
  group) are deleted; complete when they are gone. Deleting what never existed succeeds.

Properties arrive as strings (CloudFormation stringifies custom resource properties).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

try:  # Lambda imports index.py from the asset root, where the runtime's copy sits beside it
    import handler_runtime as runtime  # type: ignore[import-not-found,unused-ignore]
except ModuleNotFoundError:  # imported as part of the package (tests, tools)
    from . import handler_runtime as runtime

runtime.HANDLER = "blue-green"

#: Tag on every Auto Scaling group this resource (or CodeDeploy, for it) created; the value is the physical id.
OWNER_TAG = "immutable-constructs:blue-green"

#: Tag on the deployment group: the CloudFormation request that owns the resource now (its RequestId).
REQUEST_TAG = "immutable-constructs:blue-green:request"

#: Tag on the first group: the Create request that made it (its RequestId), until a poll of that Create's waiter
#: runs (:func:`converge` then writes :data:`CREATE_DONE`). A group whose create never got that far was made by an
#: ``onEvent`` that died: the Provider framework answered with its CREATE_FAILED marker and CloudFormation's Delete
#: never reached the handler. The next Create of the same deployment group name deletes it (:func:`create`).
CREATE_TAG = "immutable-constructs:blue-green:create"
CREATE_DONE = "done"

#: botocore's own retries (adaptive mode backs off and rate-limits on throttling).
RETRY_CONFIG = runtime.RETRY_CONFIG
_MISSING_GROUP = ("DeploymentGroupDoesNotExistException", "ApplicationDoesNotExistException")
_CLOCK_SKEW_MARGIN = 300.0  # seconds; failures already known when an operation starts are excluded by id
_ACTIVE_DEPLOYMENT = ["Created", "Queued", "InProgress", "Baking", "Ready"]


class DeploymentFailed(RuntimeError):
    """A CodeDeploy deployment ended Failed or Stopped; raising it fails (and so rolls back) the stack."""


@dataclass
class Aws:
    """The three clients the handler uses (injected in tests)."""

    autoscaling: Any
    codedeploy: Any
    elbv2: Any

    @classmethod
    def from_environment(cls) -> Aws:
        return cls(
            autoscaling=boto3.client("autoscaling", config=RETRY_CONFIG),
            codedeploy=boto3.client("codedeploy", config=RETRY_CONFIG),
            elbv2=boto3.client("elbv2", config=RETRY_CONFIG),
        )


#: Every AWS call: retried with full jitter on throttling, 5xx and connection errors (handler_runtime).
call = runtime.call
is_transient = runtime.is_transient


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@dataclass(frozen=True)
class Props:
    """The custom resource's properties, parsed from CloudFormation's strings."""

    application: str
    deployment_group: str
    service_role_arn: str
    deployment_config: str
    launch_template_id: str
    launch_template_version: str
    subnet_ids: tuple[str, ...]
    target_group_arn: str
    target_group_name: str
    min_size: int
    max_size: int
    desired_capacity: int | None
    health_check_grace_period: int
    max_instance_lifetime: int
    fleet_tag_key: str
    fleet_tag_value: str
    alarm_names: tuple[str, ...]
    keep_blue: bool
    termination_wait_minutes: int
    ready_wait_minutes: int
    revision_bucket: str
    revision_key: str
    deployment_type: str = "BLUE_GREEN"
    deployment_option: str = "WITH_TRAFFIC_CONTROL"
    green_fleet_provisioning: str = "COPY_AUTO_SCALING_GROUP"
    rollback_events: tuple[str, ...] = ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM")

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Props:
        desired = str(raw.get("DesiredCapacity", "") or "")
        return cls(
            application=str(raw["ApplicationName"]),
            deployment_group=str(raw["DeploymentGroupName"]),
            service_role_arn=str(raw["ServiceRoleArn"]),
            deployment_config=str(raw["DeploymentConfigName"]),
            launch_template_id=str(raw["LaunchTemplateId"]),
            launch_template_version=str(raw["LaunchTemplateVersion"]),
            subnet_ids=tuple(str(s) for s in raw["SubnetIds"]),
            target_group_arn=str(raw["TargetGroupArn"]),
            target_group_name=str(raw["TargetGroupName"]),
            min_size=int(raw["MinSize"]),
            max_size=int(raw["MaxSize"]),
            desired_capacity=int(desired) if desired else None,
            health_check_grace_period=int(raw["HealthCheckGracePeriod"]),
            max_instance_lifetime=int(raw["MaxInstanceLifetime"]),
            fleet_tag_key=str(raw["FleetTagKey"]),
            fleet_tag_value=str(raw["FleetTagValue"]),
            alarm_names=tuple(str(a) for a in raw.get("AlarmNames", ())),
            keep_blue=str(raw.get("KeepBlue", "false")).lower() == "true",
            termination_wait_minutes=int(raw.get("TerminationWaitMinutes", 0)),
            ready_wait_minutes=int(raw.get("ReadyWaitMinutes", 0)),
            revision_bucket=str(raw["RevisionBucket"]),
            revision_key=str(raw["RevisionKey"]),
            deployment_type=str(raw.get("DeploymentType", "BLUE_GREEN")),
            deployment_option=str(raw.get("DeploymentOption", "WITH_TRAFFIC_CONTROL")),
            green_fleet_provisioning=str(raw.get("GreenFleetProvisioning", "COPY_AUTO_SCALING_GROUP")),
            rollback_events=tuple(
                str(e) for e in raw.get("AutoRollbackEvents", ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"))
            ),
        )

    @property
    def physical_id(self) -> str:
        return f"{self.application}/{self.deployment_group}"

    @property
    def initial_group(self) -> str:
        """The first Auto Scaling group's name; later ones are named by CodeDeploy (``CodeDeploy_<group>_d-...``).

        The suffix tells apart two identities with the same deployment group name (another application).
        """
        return f"{self.deployment_group}-{hashlib.sha256(self.physical_id.encode()).hexdigest()[:8]}"

    @property
    def green_prefix(self) -> str:
        return f"CodeDeploy_{self.deployment_group}_"

    @property
    def expected_in_service(self) -> int:
        return self.desired_capacity if self.desired_capacity is not None else self.min_size

    def deployment_group_settings(self, current_group: str) -> dict[str, Any]:
        """Every setting of the deployment group (the same for create and update)."""
        if self.ready_wait_minutes > 0:
            ready = {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": self.ready_wait_minutes}
        else:
            ready = {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0}
        return {
            "applicationName": self.application,
            "serviceRoleArn": self.service_role_arn,
            "deploymentConfigName": self.deployment_config,
            "autoScalingGroups": [current_group],
            "deploymentStyle": {"deploymentType": self.deployment_type, "deploymentOption": self.deployment_option},
            "blueGreenDeploymentConfiguration": {
                "terminateBlueInstancesOnDeploymentSuccess": {
                    "action": "KEEP_ALIVE" if self.keep_blue else "TERMINATE",
                    "terminationWaitTimeInMinutes": self.termination_wait_minutes,
                },
                "deploymentReadyOption": ready,
                "greenFleetProvisioningOption": {"action": self.green_fleet_provisioning},
            },
            "loadBalancerInfo": {"targetGroupInfoList": [{"name": self.target_group_name}]},
            "autoRollbackConfiguration": {"enabled": bool(self.rollback_events), "events": list(self.rollback_events)},
            "alarmConfiguration": {
                "enabled": bool(self.alarm_names),
                "ignorePollAlarmFailure": False,
                "alarms": [{"name": name} for name in self.alarm_names],
            },
        }


# -- entry points ---------------------------------------------------------------


def on_event(event: Mapping[str, Any], context: object = None, aws: Aws | None = None) -> dict[str, Any]:
    """Provider framework onEvent: start the work and return at once.

    ``RequestId`` (a new one for every CloudFormation request, the rollback's included) is this request's
    token: it tags the deployment group (so an older request's waiter stops, see :func:`is_complete`) and
    every deployment this request starts (so a failure is blamed only on the request that released).
    """
    aws = aws or Aws.from_environment()
    request = event["RequestType"]
    props = Props.parse(event["ResourceProperties"])
    token = str(event.get("RequestId", ""))
    runtime.log("info", request.lower(), f"{request} {props.physical_id}", request=token)
    if request == "Create":
        return create(aws, props, token)
    if request == "Update":
        old = Props.parse(event["OldResourceProperties"])
        if old.physical_id != props.physical_id:
            # A new identity is a new resource; CloudFormation then deletes the old one with its old properties.
            return create(aws, props, token)
        return update(aws, props, token)
    if request == "Delete":
        claim(aws, props, token)  # an earlier request's waiter must not rebuild what is being deleted
        return delete(aws, props)
    raise ValueError(f"unknown request type {request!r}")


def is_complete(event: Mapping[str, Any], context: object = None, aws: Aws | None = None) -> dict[str, Any]:
    """Provider framework isComplete: poll until the fleet is healthy on the desired version, or deleted.

    Stateless apart from ``Data`` (``Since``: when on_event ran; ``Failed``: a create that failed) and the
    request's token. A request that is no longer the deployment group's latest (CloudFormation cancelled it
    and rolls back, aws/aws-cdk#31541) raises :class:`Superseded` before it changes anything. While any
    deployment of the group runs (a release, or CodeDeploy's own rollback) it waits; it raises when a
    deployment *this request* started failed or was stopped, and otherwise converges the fleet, releasing if
    still needed. A transient AWS error (throttling, 5xx, a lost connection) is another poll, not a failure:
    every step is idempotent.
    """
    aws = aws or Aws.from_environment()
    request = event["RequestType"]
    props = Props.parse(event["ResourceProperties"])
    data = dict(event.get("Data") or {})
    token = str(event.get("RequestId", ""))
    if data.get("Failed"):
        raise RuntimeError(f"{data['Failed']} (what the create made was cleaned up; CloudFormation deletes the rest)")
    try:
        if request == "Delete":
            return {"IsComplete": delete_finished(aws, props)}
        return _poll(aws, props, data, token)
    except (ClientError, BotoCoreError) as error:
        if not is_transient(error):
            raise
        runtime.log("warning", "poll-again", f"transient error, polling again: {error}")
        return {"IsComplete": False}


def _poll(aws: Aws, props: Props, data: Mapping[str, Any], token: str) -> dict[str, Any]:
    ensure_current(aws, props, token)
    if active_deployment(aws, props) is not None:
        return {"IsComplete": False}
    since = float(data.get("Since", time.time()))
    raise_if_failed_since(aws, props, since, token)
    group, started = converge(aws, props, token, release=not succeeded_since(aws, props, since, token))
    if started is not None or not fleet_healthy(aws, props, group):
        return {"IsComplete": False}
    if data.get("Recreated"):  # the deployment group was made again: no other group of the fleet stays
        ensure_current(aws, props, token)
        delete_kept_groups(aws, props, keep=group)
    return {"IsComplete": True, "Data": {"AutoScalingGroupName": group}}


# -- create / update / delete ---------------------------------------------------


def create(aws: Aws, props: Props, token: str, *, group: str | None = None) -> dict[str, Any]:
    """Create the first group and the deployment group; undo both if either fails, so nothing is half made.

    A failure is not raised here but handed to is_complete (``Data.Failed``), which raises it: the Provider
    framework answers a failed on_event Create with the physical id
    ``AWSCDK::CustomResourceProviderFramework::CREATE_FAILED`` and then answers CloudFormation's Delete
    itself, never calling this handler (cfn-response.js ``safeHandler``), so whatever the clean-up here could
    not remove would stay forever. Failed from is_complete, the answer carries this resource's physical id
    and CloudFormation's Delete reaches :func:`delete`.
    """
    first = group or props.initial_group  # ``group``: an existing group the deployment group is made for
    marker = start_marker(token)
    created_group = False
    created_deployment_group = False
    try:
        delete_abandoned_creates(aws, props)
        existing = describe_groups(aws, [first])
        if not existing:
            # Set before the call: a create whose response was lost may have made it, and a failure in the next
            # call (EnableMetricsCollection) must still delete it.
            created_group = True
            create_group(aws, props, first, create_request=token)
        if get_deployment_group(aws, props) is None:
            # Set before the call: a create whose response was lost (a timeout) may still have made it, and a
            # deployment group left pointing at the group deleted below is worse than none (issue 15, lost@6).
            created_deployment_group = True
            create_deployment_group(aws, props, first)
        else:  # a retried create: bring the existing one to the desired settings
            put_deployment_group(aws, props, first)
        verify_deployment_group(aws, props, first)
        claim(aws, props, token)
    except Exception as error:
        runtime.log("error", "create-failed", f"create failed, cleaning up what it made: {error!r}")
        try:
            if created_deployment_group:
                delete_deployment_group(aws, props)
            if created_group:
                _ignore_missing(lambda: delete_group(aws, first))
        except Exception:
            runtime.log("error", "cleanup-failed", "clean-up failed; CloudFormation's Delete finishes it")
        return {
            "PhysicalResourceId": props.physical_id,
            "Data": {**marker, "Failed": f"create of {props.physical_id} failed: {type(error).__name__}: {error}"},
        }
    return {"PhysicalResourceId": props.physical_id, "Data": marker}


def delete_abandoned_creates(aws: Aws, props: Props) -> None:
    """Delete the first groups that a Create of this deployment group name, under another application, made and
    never reported: its ``onEvent`` died (out of memory, timed out) after ``CreateAutoScalingGroup``, so the
    framework answered CloudFormation with its CREATE_FAILED marker and answered the rollback's Delete itself.
    That rollback deleted the stack's CodeDeploy application (and with it the deployment group), so the next
    deploy comes as a Create under a new application name; the group is recognised by the tags on the group
    itself: :data:`CREATE_TAG` still naming a request, one owner ``<application>/<this deployment group>``
    that is not this resource, and the name such a create gives its first group. A group of the same
    resource (the same application) is not deleted but adopted by :func:`create`.
    """
    for group in _all_groups(aws, Filters=[{"Name": "tag-key", "Values": [CREATE_TAG]}]):
        tags = {t.get("Key"): str(t.get("Value")) for t in group.get("Tags", [])}
        request, owner = tags.get(CREATE_TAG), owners(group)
        if request in (None, CREATE_DONE) or len(owner) != 1 or owner == {props.physical_id}:
            continue
        (other,) = owner
        application, _, deployment_group = other.rpartition("/")
        first = f"{deployment_group}-{hashlib.sha256(other.encode()).hexdigest()[:8]}"
        name = group["AutoScalingGroupName"]
        if deployment_group != props.deployment_group or not application or name != first:
            continue
        runtime.log("warning", "abandoned-create", f"deleting {name}: the Create {request} of {other} made it and "
                    "died before it could report (CloudFormation never sent the handler its Delete)",
                    group=name, owner=other, request=request)  # fmt: skip
        _ignore_missing(lambda name=name: delete_group(aws, name))  # type: ignore[misc]


def create_deployment_group(aws: Aws, props: Props, group: str) -> None:
    try:
        call(
            aws.codedeploy,
            "create_deployment_group",
            deploymentGroupName=props.deployment_group,
            **props.deployment_group_settings(group),
        )
    except ClientError as error:
        # botocore retried a create whose first response was lost: the first one made it.
        if _error_code(error) != "DeploymentGroupAlreadyExistsException":
            raise
        put_deployment_group(aws, props, group)


def update(aws: Aws, props: Props, token: str) -> dict[str, Any]:
    """Converge at once unless a deployment is running (then is_complete converges after it)."""
    if get_deployment_group(aws, props) is None:  # deleted behind CloudFormation's back: make it again
        serving = serving_group(aws, props)
        runtime.log("warning", "repair", f"deployment group {props.physical_id} is missing; creating it for "
                    f"{serving or 'a new group'}", group=serving)  # fmt: skip
        made = create(aws, props, token, group=serving)
        # Once the fleet is healthy, is_complete deletes every other group of the fleet (issue 20): a group that
        # served or was kept before cannot stay registered beside the one the new deployment group knows.
        made["Data"]["Recreated"] = "true"
        return made
    marker = start_marker(token)
    claim(aws, props, token)
    active = active_deployment(aws, props)
    if active is not None:  # an earlier request's release, or CodeDeploy's own rollback: wait for it
        runtime.log("info", "wait", f"deployment {active} is running; converging after it")
    else:
        converge(aws, props, token)
    return {"PhysicalResourceId": props.physical_id, "Data": marker}


def converge(aws: Aws, props: Props, token: str, *, release: bool = True) -> tuple[str, str | None]:
    """Bring the deployment group and its current Auto Scaling group to ``props``; release when needed.

    Settings (alarms, deployment config, blue/green options) and capacity are changed in place.
    A release (a CodeDeploy deployment) starts only when an instance of the current group runs
    another launch template version than the desired one, so updates with unchanged release
    props start nothing, and a rollback to the version CodeDeploy already restored starts nothing.
    A current group that no longer exists (deleted by hand) is made again from the desired version:
    nothing serves, so there is nothing to validate a release against.
    Returns the current group and the id of the deployment started, if any. Idempotent.
    With ``release=False`` (a deployment of this request already succeeded) instances still on
    another version are an error rather than a reason to deploy again, so nothing loops.
    Every change is made only while ``token`` is the deployment group's request (:func:`ensure_current`).
    """
    info = get_deployment_group(aws, props)
    if info is None:
        raise RuntimeError(f"deployment group {props.physical_id} does not exist")
    group = current_group(aws, props, info)
    described = [g for g in describe_groups(aws, [group] if group else []) if g.get("Status") != "Delete in progress"]
    if not described:
        ensure_current(aws, props, token)
        group = repair_group(aws, props, token, missing=group)
        described = describe_groups(aws, [group])
        info = get_deployment_group(aws, props) or info
    assert group is not None
    if foreign(described[0], props):
        raise RuntimeError(
            f"the deployment group {props.physical_id} points at Auto Scaling group {group}, which is tagged "
            f"{OWNER_TAG}={','.join(sorted(owners(described[0])))}: another resource's group is never changed. Point "
            f"the deployment group back at this fleet's group (or delete it: the next update makes it again)"
        )
    checked = False

    def before_change() -> None:
        nonlocal checked
        if not checked:
            ensure_current(aws, props, token)
            checked = True

    if needs_settings_update(info, props, group):
        before_change()
        put_deployment_group(aws, props, group)
    stale = [i["InstanceId"] for i in described[0].get("Instances", []) if not runs_desired_version(i, props)]
    if group_needs_update(described[0], props):
        # Before a release the serving group gets the new version but keeps its capacity: a new capacity would
        # launch instances of the new version into the fleet that serves, before CodeDeploy's checks. The green
        # group is resized once the release succeeded (issue 15: a release together with a scale change).
        before_change()
        resize_group(aws, props, group, capacity=not (stale and release))
    if not has_owner_tag(described[0], props):
        before_change()
        tag_group(aws, props, group)  # e.g. the green group CodeDeploy made: ours to delete later
    if _tag_value(described[0], CREATE_TAG) not in (None, CREATE_DONE):
        before_change()  # the create's onEvent returned: the group is no longer an abandoned create's
        call(aws.autoscaling, "create_or_update_tags", Tags=[_tag(group, CREATE_TAG, CREATE_DONE, False)])
    if not stale:
        return group, None
    if not release:
        raise RuntimeError(
            f"a deployment of {props.physical_id} succeeded, but instances {', '.join(stale)} of {group} do not run "
            f"launch template {props.launch_template_id} version {props.launch_template_version}"
        )
    before_change()
    delete_kept_groups(aws, props, keep=group)
    ensure_current(aws, props, token)  # again, right before the one change that cannot be undone in place
    return group, start_release(aws, props, token, len(stale))


def repair_group(aws: Aws, props: Props, token: str, *, missing: str | None) -> str:
    """Make a new current group from the desired version and point the deployment group at it (issue 20).

    Named after the request, so a retried poll finds the group it made rather than making another.
    """
    name = f"{props.initial_group}-{hashlib.sha256(token.encode()).hexdigest()[:6]}"
    runtime.log("warning", "repair", f"Auto Scaling group {missing} of {props.physical_id} does not exist; "
                f"creating {name} from the desired version")  # fmt: skip
    if not describe_groups(aws, [name]):
        create_group(aws, props, name)
    put_deployment_group(aws, props, name)
    return name


def release_tag(token: str) -> str:
    """The mark in a deployment's description that tells which request started it."""
    return f"[request {token}]"


def start_release(aws: Aws, props: Props, token: str, stale: int) -> str:
    """Start the CodeDeploy deployment of ``props``, marked with ``token``.

    botocore retries a request whose response was lost; when the first attempt made the deployment, the
    retry is refused with DeploymentLimitExceededException. The running deployment is then this request's
    own (its description carries the token) and is adopted.
    """
    description = (
        f"immutable-constructs release of launch template {props.launch_template_id} "
        f"version {props.launch_template_version} ({stale} instances on another version) {release_tag(token)}"
    )
    try:
        deployment_id: str = call(
            aws.codedeploy,
            "create_deployment",
            applicationName=props.application,
            deploymentGroupName=props.deployment_group,
            revision={
                "revisionType": "S3",
                "s3Location": {"bucket": props.revision_bucket, "key": props.revision_key, "bundleType": "zip"},
            },
            description=description,
        )["deploymentId"]
    except ClientError as error:
        active = active_deployment(aws, props) if _error_code(error) == "DeploymentLimitExceededException" else None
        if active is None or not started_by(aws, active, token):
            raise
        deployment_id = active
    runtime.log("info", "release", f"started deployment {deployment_id}", deployment=deployment_id)
    return deployment_id


def started_by(aws: Aws, deployment_id: str, token: str) -> bool:
    info = call(aws.codedeploy, "get_deployment", deploymentId=deployment_id)["deploymentInfo"]
    return bool(token) and release_tag(token) in str(info.get("description", ""))


# -- the request token -------------------------------------------------------------------


class Superseded(RuntimeError):
    """A newer CloudFormation request owns the resource; this (cancelled) request's waiter must stop."""


def deployment_group_arn(aws: Aws, props: Props) -> str:
    """The deployment group's ARN: partition and account from the service role's ARN, region from the client."""
    partition, account = props.service_role_arn.split(":")[1], props.service_role_arn.split(":")[4]
    region = aws.codedeploy.meta.region_name
    return f"arn:{partition}:codedeploy:{region}:{account}:deploymentgroup:{props.application}/{props.deployment_group}"


def claim(aws: Aws, props: Props, token: str) -> None:
    """Tag the deployment group with this request's token: from now on only this request changes the fleet."""
    if not token:
        return
    _ignore_missing(
        lambda: call(
            aws.codedeploy,
            "tag_resource",
            ResourceArn=deployment_group_arn(aws, props),
            Tags=[{"Key": REQUEST_TAG, "Value": token}],
        )
    )


def owning_request(aws: Aws, props: Props) -> str | None:
    try:
        tags = call(aws.codedeploy, "list_tags_for_resource", ResourceArn=deployment_group_arn(aws, props))
    except ClientError as error:
        if _error_code(error) in _MISSING_GROUP:
            return None
        raise
    return next((t.get("Value") for t in tags.get("Tags", []) if t.get("Key") == REQUEST_TAG), None)


def ensure_current(aws: Aws, props: Props, token: str) -> None:
    """Raise :class:`Superseded` when another request has claimed the deployment group since this one."""
    owner = owning_request(aws, props)
    if token and owner is not None and owner != token:
        raise Superseded(
            f"request {token} of {props.physical_id} was superseded by request {owner} (CloudFormation cancelled "
            "or rolled back this update); this request changes nothing more"
        )


def delete(aws: Aws, props: Props) -> dict[str, Any]:
    """Stop a running deployment, delete the deployment group, then every owned group (asynchronously)."""
    active = active_deployment(aws, props)
    if active is not None:
        _ignore_missing(lambda: call(aws.codedeploy, "stop_deployment", deploymentId=active, autoRollbackEnabled=False))
    groups = owned_groups(aws, props)
    delete_deployment_group(aws, props)
    for name in groups:
        _ignore_missing(lambda name=name: delete_group(aws, name))  # type: ignore[misc]
    return {"PhysicalResourceId": props.physical_id}


def delete_deployment_group(aws: Aws, props: Props) -> None:
    """Delete the deployment group; one that is already gone is fine."""
    _ignore_missing(
        lambda: call(
            aws.codedeploy,
            "delete_deployment_group",
            applicationName=props.application,
            deploymentGroupName=props.deployment_group,
        )
    )


def delete_finished(aws: Aws, props: Props) -> bool:
    """True when no owned group is left; deletes any that is not yet being deleted (idempotent)."""
    remaining = describe_groups(aws, owned_groups(aws, props, include_deployment_group=False))
    for group in remaining:
        if group.get("Status") != "Delete in progress":
            _ignore_missing(lambda name=group["AutoScalingGroupName"]: delete_group(aws, name))  # type: ignore[misc]
    return not remaining


def failed_deployments(aws: Aws, props: Props, since: float) -> list[str]:
    """Deployments of the group created after ``since`` (minus a clock-skew margin) that failed or were stopped."""
    try:
        failed: list[str] = call(
            aws.codedeploy,
            "list_deployments",
            applicationName=props.application,
            deploymentGroupName=props.deployment_group,
            includeOnlyStatuses=["Failed", "Stopped"],
            createTimeRange={"start": datetime.fromtimestamp(since - _CLOCK_SKEW_MARGIN, tz=UTC)},
        ).get("deployments", [])
    except ClientError as error:
        if _error_code(error) in ("DeploymentGroupDoesNotExistException", "ApplicationDoesNotExistException"):
            return []
        raise
    return failed


def succeeded_since(aws: Aws, props: Props, since: float, token: str) -> bool:
    """True when a deployment this request started (since ``since``) succeeded."""
    found: list[str] = call(
        aws.codedeploy,
        "list_deployments",
        applicationName=props.application,
        deploymentGroupName=props.deployment_group,
        includeOnlyStatuses=["Succeeded"],
        createTimeRange={"start": datetime.fromtimestamp(since - _CLOCK_SKEW_MARGIN, tz=UTC)},
    ).get("deployments", [])
    return any(started_by(aws, d, token) for d in found)


def start_marker(token: str) -> dict[str, str]:
    """When this request started (deployments created before it, minus a clock-skew margin, are not looked at)
    and its token."""
    return {"Since": str(time.time()), "Request": token}


def raise_if_failed_since(aws: Aws, props: Props, since: float, token: str) -> None:
    """Raise DeploymentFailed when a deployment this request started failed or was stopped.

    A deployment an earlier request started (the release this request rolls back, still running when the
    rollback began) is never this request's failure: the rollback converges from whatever it left.
    """
    failed = failed_deployments(aws, props, since)
    if not failed:
        return
    # A failed or stopped deployment can leave its green group behind: it never served, delete it.
    serving = current_group(aws, props)
    for leftover in describe_groups(aws, [f"{props.green_prefix}{d}" for d in failed]):
        name = leftover["AutoScalingGroupName"]
        if foreign(leftover, props):
            _left_alone(leftover, props, "the green group of a failed deployment, tagged as another resource's")
        elif name != serving:
            runtime.log("info", "delete-group", f"deleting {name}, the green group of a failed deployment")
            _ignore_missing(lambda name=name: delete_group(aws, name))  # type: ignore[misc]
    mine = [d for d in failed if started_by(aws, d, token)]
    if not mine:
        return
    deployment_id = mine[0]
    info = call(aws.codedeploy, "get_deployment", deploymentId=deployment_id)["deploymentInfo"]
    error = info.get("errorInformation", {})
    rollback = info.get("rollbackInfo", {})
    rolled_back = rollback.get("rollbackDeploymentId")
    raise DeploymentFailed(
        f"CodeDeploy deployment {deployment_id} {info.get('status')}: {error.get('code', '')} "
        f"{error.get('message', '')}".rstrip()
        + (f"; CodeDeploy rolled back with {rolled_back}" if rolled_back else "")
        + ". The stack update fails and CloudFormation rolls back to the previous launch template version."
    )


# -- building blocks -------------------------------------------------------------


def _ignore_missing(action: Callable[[], object]) -> None:
    try:
        action()
    except ClientError as error:
        code = _error_code(error)
        message = str(error.response.get("Error", {}).get("Message", ""))
        missing = code in (
            "DeploymentGroupDoesNotExistException",
            "ApplicationDoesNotExistException",
            "DeploymentDoesNotExistException",
            "DeploymentAlreadyCompletedException",
        ) or (code == "ValidationError" and ("not found" in message or "does not exist" in message))
        if not missing:
            raise
        runtime.log("info", "already-gone", message)


def get_deployment_group(aws: Aws, props: Props) -> dict[str, Any] | None:
    try:
        info: dict[str, Any] = call(
            aws.codedeploy,
            "get_deployment_group",
            applicationName=props.application,
            deploymentGroupName=props.deployment_group,
        )["deploymentGroupInfo"]
    except ClientError as error:
        if _error_code(error) in ("DeploymentGroupDoesNotExistException", "ApplicationDoesNotExistException"):
            return None
        raise
    return info


def current_group(aws: Aws, props: Props, info: Mapping[str, Any] | None = None) -> str | None:
    """The Auto Scaling group the deployment group points at (CodeDeploy moves it to the green group)."""
    info = info if info is not None else get_deployment_group(aws, props)
    if info is None:
        return None
    groups = [g["name"] for g in info.get("autoScalingGroups", [])]
    return groups[0] if groups else None


def put_deployment_group(aws: Aws, props: Props, group: str) -> None:
    call(
        aws.codedeploy,
        "update_deployment_group",
        currentDeploymentGroupName=props.deployment_group,
        **props.deployment_group_settings(group),
    )


def needs_settings_update(info: Mapping[str, Any], props: Props, group: str) -> bool:
    """Compare the deployment group with the desired settings (CodeDeploy re-hooks groups on every update)."""
    want = props.deployment_group_settings(group)
    have_alarms = info.get("alarmConfiguration", {})
    return (
        info.get("serviceRoleArn") != want["serviceRoleArn"]
        or info.get("deploymentConfigName") != want["deploymentConfigName"]
        or info.get("deploymentStyle") != want["deploymentStyle"]
        or info.get("blueGreenDeploymentConfiguration") != want["blueGreenDeploymentConfiguration"]
        or info.get("loadBalancerInfo", {}).get("targetGroupInfoList")
        != want["loadBalancerInfo"]["targetGroupInfoList"]
        or sorted(a["name"] for a in have_alarms.get("alarms", [])) != sorted(props.alarm_names)
        or bool(have_alarms.get("enabled")) != want["alarmConfiguration"]["enabled"]
        or info.get("autoRollbackConfiguration", {}).get("enabled") != want["autoRollbackConfiguration"]["enabled"]
        or sorted(info.get("autoRollbackConfiguration", {}).get("events", []))
        != sorted(want["autoRollbackConfiguration"]["events"])
    )


def verify_deployment_group(aws: Aws, props: Props, group: str) -> None:
    """Read the deployment group back: it must be blue/green with traffic control on ``group``."""
    info = get_deployment_group(aws, props)
    if info is None:
        raise RuntimeError(f"deployment group {props.physical_id} was not created")
    style = info.get("deploymentStyle", {})
    want = {"deploymentType": props.deployment_type, "deploymentOption": props.deployment_option}
    if style != want:
        raise RuntimeError(f"deployment group {props.physical_id} has style {style}, not {want}")
    if current_group(aws, props, info) != group:
        raise RuntimeError(f"deployment group {props.physical_id} does not point at {group}")


def active_deployment(aws: Aws, props: Props) -> str | None:
    try:
        ids: Sequence[str] = call(
            aws.codedeploy,
            "list_deployments",
            applicationName=props.application,
            deploymentGroupName=props.deployment_group,
            includeOnlyStatuses=_ACTIVE_DEPLOYMENT,
        ).get("deployments", [])
    except ClientError as error:
        if _error_code(error) in ("DeploymentGroupDoesNotExistException", "ApplicationDoesNotExistException"):
            return None
        raise
    return ids[0] if ids else None


def _tag(group: str, key: str, value: str, propagate: bool) -> dict[str, Any]:
    return {"ResourceId": group, "ResourceType": "auto-scaling-group", "Key": key, "Value": value,
            "PropagateAtLaunch": propagate}  # fmt: skip


def _tag_value(group: Mapping[str, Any], key: str) -> str | None:
    return next((str(t.get("Value")) for t in group.get("Tags", []) if t.get("Key") == key), None)


def _tags(props: Props, group: str) -> list[dict[str, Any]]:
    return [
        _tag(group, OWNER_TAG, props.physical_id, False),
        _tag(group, props.fleet_tag_key, props.fleet_tag_value, True),
    ]


def create_group(aws: Aws, props: Props, name: str, *, create_request: str | None = None) -> None:
    """Make an Auto Scaling group of the fleet; ``create_request``: the Create that makes the first group."""
    kwargs: dict[str, Any] = {
        "AutoScalingGroupName": name,
        "LaunchTemplate": {"LaunchTemplateId": props.launch_template_id, "Version": props.launch_template_version},
        "MinSize": props.min_size,
        "MaxSize": props.max_size,
        "VPCZoneIdentifier": ",".join(props.subnet_ids),
        "TargetGroupARNs": [props.target_group_arn],
        "HealthCheckType": "ELB",
        "HealthCheckGracePeriod": props.health_check_grace_period,
        "MaxInstanceLifetime": props.max_instance_lifetime,
        "InstanceMaintenancePolicy": {"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200},
        "Tags": _tags(props, name) + ([_tag(name, CREATE_TAG, create_request, False)] if create_request else []),
    }
    if props.desired_capacity is not None:
        kwargs["DesiredCapacity"] = props.desired_capacity
    try:
        call(aws.autoscaling, "create_auto_scaling_group", **kwargs)
    except ClientError as error:
        if _error_code(error) != "AlreadyExists":
            raise
    call(aws.autoscaling, "enable_metrics_collection", AutoScalingGroupName=name, Granularity="1Minute")


def resize_group(aws: Aws, props: Props, name: str, *, capacity: bool = True) -> None:
    """Capacity (unless ``capacity`` is false), health check and launch template version of the current group;
    running instances stay as they are."""
    kwargs: dict[str, Any] = {
        "AutoScalingGroupName": name,
        "LaunchTemplate": {"LaunchTemplateId": props.launch_template_id, "Version": props.launch_template_version},
        "HealthCheckType": "ELB",
        "HealthCheckGracePeriod": props.health_check_grace_period,
        "MaxInstanceLifetime": props.max_instance_lifetime,
    }
    if capacity:
        kwargs.update(MinSize=props.min_size, MaxSize=props.max_size)
        if props.desired_capacity is not None:
            kwargs["DesiredCapacity"] = props.desired_capacity
    call(aws.autoscaling, "update_auto_scaling_group", **kwargs)


def group_needs_update(group: Mapping[str, Any], props: Props) -> bool:
    spec = group.get("LaunchTemplate", {})
    return (
        spec.get("LaunchTemplateId") != props.launch_template_id
        or str(spec.get("Version")) != props.launch_template_version
        or group.get("MinSize") != props.min_size
        or group.get("MaxSize") != props.max_size
        or (props.desired_capacity is not None and group.get("DesiredCapacity") != props.desired_capacity)
        or group.get("HealthCheckType") != "ELB"
        or group.get("HealthCheckGracePeriod") != props.health_check_grace_period
        or group.get("MaxInstanceLifetime") != props.max_instance_lifetime
    )


def has_owner_tag(group: Mapping[str, Any], props: Props) -> bool:
    return any(t.get("Key") == OWNER_TAG and t.get("Value") == props.physical_id for t in group.get("Tags", []))


def tag_group(aws: Aws, props: Props, name: str) -> None:
    call(aws.autoscaling, "create_or_update_tags", Tags=_tags(props, name))


def delete_group(aws: Aws, name: str) -> None:
    call(aws.autoscaling, "delete_auto_scaling_group", AutoScalingGroupName=name, ForceDelete=True)


def describe_groups(aws: Aws, names: Sequence[str]) -> list[dict[str, Any]]:
    if not names:
        return []
    groups: list[dict[str, Any]] = call(
        aws.autoscaling, "describe_auto_scaling_groups", AutoScalingGroupNames=list(names)
    )["AutoScalingGroups"]
    return groups


def owners(group: Mapping[str, Any]) -> set[str]:
    """The values of the owner tag on ``group`` (the physical ids of the resources that claim it)."""
    return {str(t.get("Value")) for t in group.get("Tags", []) if t.get("Key") == OWNER_TAG}


def foreign(group: Mapping[str, Any], props: Props) -> bool:
    """True when ``group`` is tagged as another resource's: this one never deletes or changes it."""
    return not owners(group) <= {props.physical_id}


def _left_alone(group: Mapping[str, Any], props: Props, why: str, level: str = "warning") -> None:
    name = group.get("AutoScalingGroupName")
    runtime.log(level, "not-owned", f"Auto Scaling group {name} is not {props.physical_id}'s ({why}); left alone",
                group=name, owners=sorted(owners(group)))  # fmt: skip


def _all_groups(aws: Aws, **kwargs: Any) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    while True:
        page = call(aws.autoscaling, "describe_auto_scaling_groups", **kwargs)
        groups.extend(page["AutoScalingGroups"])
        kwargs["NextToken"] = page.get("NextToken")
        if not kwargs["NextToken"]:
            return groups


def owned_groups(aws: Aws, props: Props, *, include_deployment_group: bool = True) -> list[str]:
    """Every group this resource owns, each judged by the tags on the group itself before anything deletes it.

    * Tagged with its id: found with DescribeAutoScalingGroups' tag filter, whose answer is not trusted: a
      returned group that does not carry the tag is logged and left alone.
    * Named ours (the first group, the deployment group's current group, and the green groups CodeDeploy made
      for the deployment group but the handler has not tagged yet, e.g. of a deployment stopped by a delete):
      owned unless tagged as another resource's (e.g. the same deployment group name in another application).
    """
    names: set[str] = set()
    for group in _all_groups(aws, Filters=[{"Name": f"tag:{OWNER_TAG}", "Values": [props.physical_id]}]):
        if has_owner_tag(group, props):
            names.add(group["AutoScalingGroupName"])
        else:
            _left_alone(group, props, f"returned for the tag filter {OWNER_TAG}={props.physical_id} without the tag")
    named = [props.initial_group]
    if include_deployment_group:
        named += [g for g in [current_group(aws, props)] if g is not None]
    green = [g for g in _all_groups(aws) if g["AutoScalingGroupName"].startswith(props.green_prefix)]
    for group in [*describe_groups(aws, sorted(set(named))), *green]:
        if foreign(group, props):
            _left_alone(group, props, f"tagged {OWNER_TAG}={','.join(sorted(owners(group)))}", level="info")
        else:
            names.add(group["AutoScalingGroupName"])
    return sorted(names)


def serving_group(aws: Aws, props: Props) -> str | None:
    """The fleet's group that serves, for a deployment group made again: the one with the most InService instances
    healthy in the target group; on a tie (none healthy, or a kept blue group still registered) the newest.
    Not simply the newest: a deployment group deleted while a deployment ran leaves CodeDeploy's half-made green
    group, newer than the blue group that still serves. None when the fleet has no group left."""
    groups = [g for g in describe_groups(aws, owned_groups(aws, props, include_deployment_group=False))
              if g.get("Status") != "Delete in progress"]  # fmt: skip
    if not groups:
        return None
    health = call(aws.elbv2, "describe_target_health", TargetGroupArn=props.target_group_arn)
    healthy = {d["Target"]["Id"] for d in health.get("TargetHealthDescriptions", [])
               if d["TargetHealth"]["State"] == "healthy"}  # fmt: skip

    def rank(group: Mapping[str, Any]) -> tuple[int, datetime]:
        serving = {i["InstanceId"] for i in group.get("Instances", []) if i.get("LifecycleState") == "InService"}
        return len(serving & healthy), group.get("CreatedTime") or datetime.min.replace(tzinfo=UTC)

    return str(max(groups, key=rank)["AutoScalingGroupName"])


def delete_kept_groups(aws: Aws, props: Props, *, keep: str) -> None:
    """Before a new release, delete blue groups kept alive by earlier releases (only the current one serves)."""
    for name in owned_groups(aws, props, include_deployment_group=False):
        if name != keep:
            runtime.log("info", "delete-group", f"deleting kept group {name} before the next release")
            _ignore_missing(lambda name=name: delete_group(aws, name))  # type: ignore[misc]


def runs_desired_version(instance: Mapping[str, Any], props: Props) -> bool:
    spec = instance.get("LaunchTemplate", {})
    return bool(
        spec.get("LaunchTemplateId") == props.launch_template_id
        and str(spec.get("Version")) == props.launch_template_version
    )


def fleet_healthy(aws: Aws, props: Props, group: str) -> bool:
    """The group has its expected capacity InService on the desired version, all healthy in the target group.

    Only when too few are healthy does it look at the group's latest scaling activity: a failed one (e.g.
    the launch template is unusable) raises, so a broken fleet fails fast instead of waiting for the
    provider's timeout. A failed activity beside enough healthy instances (an unrelated replacement that
    hit InsufficientInstanceCapacity) is not a reason to fail a release or its rollback.
    """
    groups = describe_groups(aws, [group])
    if not groups:
        return False
    in_service = [
        i["InstanceId"]
        for i in groups[0].get("Instances", [])
        if i.get("LifecycleState") == "InService" and runs_desired_version(i, props)
    ]
    healthy: set[str] = set()
    if len(in_service) >= props.expected_in_service:
        health = call(aws.elbv2, "describe_target_health", TargetGroupArn=props.target_group_arn)
        healthy = {
            d["Target"]["Id"]
            for d in health.get("TargetHealthDescriptions", [])
            if d["TargetHealth"]["State"] == "healthy"
        }
    if len(healthy.intersection(in_service)) >= props.expected_in_service:
        return True
    activities = call(aws.autoscaling, "describe_scaling_activities", AutoScalingGroupName=group, MaxRecords=1)
    latest = activities.get("Activities", [])
    if latest and latest[0].get("StatusCode") == "Failed":
        raise RuntimeError(f"Auto Scaling group {group}: {latest[0].get('StatusMessage', 'scaling activity failed')}")
    return False
