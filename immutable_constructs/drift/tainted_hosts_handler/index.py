"""Replace every host someone opened a Session Manager session on (the tainted-host function).

Runs on a schedule. Each run:

1. lists the watched fleets' instances: ``ec2:DescribeInstances`` filtered on the fleet tag
   (``FLEET_TAG_KEY`` with one of ``FLEET_TAG_VALUES`` or ``TAG_ONLY_FLEET_TAG_VALUES``) and on the
   states an instance serves from (pending, running, stopping, stopped): an instance shutting down or
   terminated is already gone;
2. lists the Session Manager sessions (``ssm:DescribeSessions``), active ones and the history since
   the oldest of those instances was launched, every page, and keeps those whose target is one of
   them. Every session counts, whatever its status (a failed one too: the safe side);
3. tags an instance with a session as tainted, once: ``immutable-constructs:tainted-by`` (the first
   session's owner) and ``immutable-constructs:tainted-at`` (its start, ISO 8601 UTC). An instance
   already tagged keeps its tags, so a second run changes nothing;
4. once none of its sessions is active and ``GRACE_SECONDS`` have passed since the last one ended,
   or ``DEADLINE_SECONDS`` have passed since its first session started, active sessions or not (so an
   endless chain of sessions cannot keep a touched host in service: issue 28), tells its Auto Scaling
   group it is unhealthy (``autoscaling:SetInstanceHealth``,
   ``ShouldRespectGracePeriod`` false): the group's instance maintenance policy (min 100 %) launches
   the replacement before it terminates the host (it applies to health-check replacements: Amazon EC2
   Auto Scaling User Guide, "Instance maintenance policies"). An instance the group already marked unhealthy
   or is terminating, or that is in no group any more, is skipped. A host of a "tag only" fleet
   (``TAG_ONLY_FLEET_TAG_VALUES``: replacement turned off for it, e.g. a break-glass fleet) is tagged
   and counted in ``TaintedHosts``, never reported unhealthy and never overdue;
5. publishes ``TaintedHosts``, ``OverdueTaintedHosts`` (due for replacement, by its grace period or its
   deadline, for more than ``MARGIN_SECONDS`` and still there) and ``ReplacementsRequested`` to CloudWatch
   (``NAMESPACE``, dimension ``Watcher`` = ``WATCHER``).

Every AWS call goes through the handlers' one runtime (``handler_runtime.py``, shipped beside this file):
botocore's adaptive retries, then up to five attempts with full jitter on throttling, server and
connection errors; when a call still fails the run fails (the function's error alarm), after doing and
publishing what it could for the other instances. Logs are the runtime's JSON lines.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError

try:  # Lambda imports index.py from the asset root, where the runtime's copy sits beside it
    import handler_runtime as runtime  # type: ignore[import-not-found,unused-ignore]
except ModuleNotFoundError:  # imported as part of the package (tests, tools)
    from . import handler_runtime as runtime

runtime.HANDLER = "tainted-hosts"

#: Who opened the first session on the host (the session's Owner, an IAM ARN).
TAG_BY = "immutable-constructs:tainted-by"
#: When the first session started (ISO 8601, UTC).
TAG_AT = "immutable-constructs:tainted-at"
TAINT_TAG_KEYS = (TAG_BY, TAG_AT)

#: Instance states in which a host can still serve; shutting-down and terminated ones are gone already.
SERVING_STATES = ("pending", "running", "stopping", "stopped")
METRICS = ("TaintedHosts", "OverdueTaintedHosts", "ReplacementsRequested")

_TAG_VALUE_MAX = 256
_ASG_BATCH = 50  # DescribeAutoScalingInstances takes at most 50 instance ids

#: Every AWS call: retried with full jitter on throttling, 5xx and connection errors (handler_runtime).
call = runtime.call


@dataclass(frozen=True)
class Config:
    """Which fleets are watched and how long a tainted host may stay after its last session."""

    fleet_tag_key: str
    fleet_tag_values: tuple[str, ...]
    grace_seconds: int = 3600
    margin_seconds: int = 1800
    namespace: str = "ImmutableConstructs/TaintedHosts"
    watcher: str = "default"
    #: Fleets whose tainted hosts are tagged and counted but never replaced (a value in both lists replaces).
    tag_only_values: tuple[str, ...] = ()
    #: Since the first session's start: after it the host is replaced even with sessions active.
    deadline_seconds: int = 8 * 3600

    @property
    def all_values(self) -> tuple[str, ...]:
        """Every watched fleet tag value: replaced ones, then tag-only ones."""
        return self.fleet_tag_values + tuple(v for v in self.tag_only_values if v not in self.fleet_tag_values)

    def replaces(self, fleet: str) -> bool:
        """Whether hosts of ``fleet`` are replaced (not only tagged)."""
        return fleet in self.fleet_tag_values

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Config:
        return cls(
            fleet_tag_key=env["FLEET_TAG_KEY"],
            fleet_tag_values=_values(env, "FLEET_TAG_VALUES"),
            tag_only_values=_values(env, "TAG_ONLY_FLEET_TAG_VALUES"),
            grace_seconds=int(env.get("GRACE_SECONDS", "3600")),
            margin_seconds=int(env.get("MARGIN_SECONDS", "1800")),
            deadline_seconds=int(env.get("DEADLINE_SECONDS", str(8 * 3600))),
            namespace=env.get("NAMESPACE", "ImmutableConstructs/TaintedHosts"),
            watcher=env.get("WATCHER", "default"),
        )


def _values(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A JSON list of strings from the environment (absent: empty)."""
    values = json.loads(env.get(name, "[]"))
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{name} must be a JSON list of strings, got {env[name]!r}")
    return tuple(values)


@dataclass
class Aws:
    """The four clients the function uses (injected in tests)."""

    ec2: Any
    ssm: Any
    autoscaling: Any
    cloudwatch: Any

    @classmethod
    def from_environment(cls) -> Aws:
        return cls(
            ec2=boto3.client("ec2", config=runtime.RETRY_CONFIG),
            ssm=boto3.client("ssm", config=runtime.RETRY_CONFIG),
            autoscaling=boto3.client("autoscaling", config=runtime.RETRY_CONFIG),
            cloudwatch=boto3.client("cloudwatch", config=runtime.RETRY_CONFIG),
        )


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _iso(value: datetime) -> str:
    return _utc(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return _utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


@dataclass
class Host:
    """One watched instance and what the sessions say about it."""

    instance_id: str
    fleet: str
    launched: datetime
    tags: dict[str, str]
    active: bool = False
    first_start: datetime | None = None
    first_owner: str = ""
    last_end: datetime | None = None
    sessions: int = 0

    @property
    def tainted(self) -> bool:
        return self.sessions > 0 or TAG_AT in self.tags

    def add_session(self, session: Mapping[str, Any], active: bool) -> None:
        self.sessions += 1
        start = session.get("StartDate")
        start = _utc(start) if isinstance(start, datetime) else None
        if start is not None and (self.first_start is None or start < self.first_start):
            self.first_start = start
            self.first_owner = str(session.get("Owner", ""))
        elif self.first_start is None and not self.first_owner:
            self.first_owner = str(session.get("Owner", ""))
        if active:
            self.active = True
            return
        end = session.get("EndDate")
        end = _utc(end) if isinstance(end, datetime) else start
        if end is not None and (self.last_end is None or end > self.last_end):
            self.last_end = end

    def tainted_since(self) -> datetime | None:
        """When the first session started: the earliest of the sessions listed and the taint tag."""
        starts = [t for t in (self.first_start, _parse_iso(self.tags.get(TAG_AT))) if t is not None]
        return min(starts) if starts else None

    def quiet_since(self) -> datetime | None:
        """When the last session ended (the taint tag's time when the sessions are no longer listed)."""
        return self.last_end or _parse_iso(self.tags.get(TAG_AT))


def watched_hosts(ec2: Any, config: Config) -> dict[str, Host]:
    """The watched fleets' instances that can still serve, by instance id (every page)."""
    hosts: dict[str, Host] = {}
    request: dict[str, Any] = {
        "Filters": [
            {"Name": f"tag:{config.fleet_tag_key}", "Values": list(config.all_values)},
            {"Name": "instance-state-name", "Values": list(SERVING_STATES)},
        ]
    }
    while True:
        page = call(ec2, "describe_instances", **request)
        for reservation in page.get("Reservations", []):
            for instance in reservation.get("Instances", []):
                tags = {t["Key"]: t.get("Value", "") for t in instance.get("Tags", [])}
                fleet = tags.get(config.fleet_tag_key)
                state = instance.get("State", {}).get("Name")
                if fleet not in config.all_values or state not in SERVING_STATES:
                    continue  # never act on a host the filter should not have returned
                hosts[instance["InstanceId"]] = Host(
                    instance_id=instance["InstanceId"],
                    fleet=fleet,
                    launched=_utc(instance["LaunchTime"]),
                    tags=tags,
                )
        token = page.get("NextToken")
        if not token:
            return hosts
        request["NextToken"] = token


def sessions(ssm: Any, state: str, invoked_after: datetime | None = None) -> Iterable[dict[str, Any]]:
    """Every session in ``state`` (Active or History), page after page."""
    request: dict[str, Any] = {"State": state}
    if invoked_after is not None:
        request["Filters"] = [{"key": "InvokedAfter", "value": _iso(invoked_after)}]
    while True:
        page = call(ssm, "describe_sessions", **request)
        yield from page.get("Sessions", [])
        token = page.get("NextToken")
        if not token:
            return
        request["NextToken"] = token


def group_states(autoscaling: Any, instance_ids: list[str]) -> dict[str, dict[str, Any]]:
    """What Auto Scaling knows of each instance (absent: in no group)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(instance_ids), _ASG_BATCH):
        request: dict[str, Any] = {"InstanceIds": instance_ids[start : start + _ASG_BATCH]}
        while True:
            page = call(autoscaling, "describe_auto_scaling_instances", **request)
            for item in page.get("AutoScalingInstances", []):
                found[item["InstanceId"]] = item
            token = page.get("NextToken")
            if not token:
                break
            request["NextToken"] = token
    return found


@dataclass
class Outcome:
    """What one run did, per instance, and the counts it published."""

    decisions: dict[str, str] = field(default_factory=dict)
    tainted: int = 0
    overdue: int = 0
    replaced: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "decisions": dict(sorted(self.decisions.items())),
            "TaintedHosts": self.tainted,
            "OverdueTaintedHosts": self.overdue,
            "ReplacementsRequested": self.replaced,
            "errors": list(self.errors),
        }


def _tag(aws: Aws, host: Host) -> None:
    """Tag a host tainted once; an already tagged host keeps its first who and when."""
    if TAG_AT in host.tags:
        return
    started = host.first_start or datetime.now(UTC)
    tags = {TAG_BY: (host.first_owner or "unknown")[:_TAG_VALUE_MAX], TAG_AT: _iso(started)}
    call(aws.ec2, "create_tags", Resources=[host.instance_id], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    host.tags.update(tags)
    runtime.log(
        "info",
        "tainted",
        "tagged a host someone opened a session on",
        instance=host.instance_id,
        fleet=host.fleet,
        by=tags[TAG_BY],
        at=tags[TAG_AT],
    )


def _replace(aws: Aws, host: Host, group: Mapping[str, Any] | None, outcome: Outcome) -> None:
    if group is None:
        outcome.decisions[host.instance_id] = "skipped: in no Auto Scaling group"
        return
    lifecycle = str(group.get("LifecycleState", ""))
    if lifecycle.startswith("Terminating") or lifecycle == "Terminated":
        outcome.decisions[host.instance_id] = f"skipped: {lifecycle}"
        return
    if str(group.get("HealthStatus", "")).upper() == "UNHEALTHY":
        outcome.decisions[host.instance_id] = "replacement pending: already unhealthy"
        return
    try:
        call(
            aws.autoscaling,
            "set_instance_health",
            InstanceId=host.instance_id,
            HealthStatus="Unhealthy",
            ShouldRespectGracePeriod=False,
        )
    except ClientError as error:
        # Auto Scaling answers ValidationError "Instance Id not found" for an instance that left its group.
        code = runtime.error_code(error)
        if code.startswith("InvalidInstanceID") or (code == "ValidationError" and "not found" in str(error).lower()):
            outcome.decisions[host.instance_id] = "skipped: gone"
            return
        raise
    outcome.replaced += 1
    outcome.decisions[host.instance_id] = "replacement requested"
    runtime.log(
        "info",
        "replace",
        "reported a tainted host unhealthy",
        instance=host.instance_id,
        fleet=host.fleet,
        group=group.get("AutoScalingGroupName"),
    )


def run(config: Config, aws: Aws, now: datetime | None = None) -> dict[str, Any]:
    """One pass over the watched fleets: tag, replace, publish. Raises when any host could not be handled."""
    now = _utc(now or datetime.now(UTC))
    hosts = watched_hosts(aws.ec2, config)
    outcome = Outcome()
    if hosts:
        oldest = min(h.launched for h in hosts.values()) - timedelta(minutes=5)
        for state, after in (("Active", None), ("History", oldest)):
            for session in sessions(aws.ssm, state, after):
                host = hosts.get(str(session.get("Target", "")))
                if host is not None:
                    host.add_session(session, active=state == "Active")
    tainted = [h for h in hosts.values() if h.tainted]
    grace = timedelta(seconds=config.grace_seconds)
    deadline = timedelta(seconds=config.deadline_seconds)
    due: list[Host] = []
    for host in tainted:
        try:
            _tag(aws, host)
        except ClientError as error:
            outcome.errors.append(f"{host.instance_id}: tagging failed: {error}")
        quiet = host.quiet_since()
        since = host.tainted_since()
        if not config.replaces(host.fleet):
            outcome.decisions[host.instance_id] = "tainted: replacement off for this fleet"
        elif since is not None and now - since >= deadline:
            runtime.log(
                "info",
                "deadline",
                "tainted past its deadline",
                instance=host.instance_id,
                fleet=host.fleet,
                since=_iso(since),
                active=host.active,
            )
            due.append(host)
        elif host.active:
            outcome.decisions[host.instance_id] = "tainted: a session is active"
        elif quiet is not None and now - quiet < grace:
            outcome.decisions[host.instance_id] = f"tainted: replaced after {_iso(quiet + grace)}"
        else:
            due.append(host)
    states: dict[str, dict[str, Any]] = {}
    if due:
        try:
            states = group_states(aws.autoscaling, [h.instance_id for h in due])
        except ClientError as error:
            outcome.errors.append(f"reading the Auto Scaling state failed: {error}")
            due = []
    margin = timedelta(seconds=config.grace_seconds + config.margin_seconds)
    due_ids = {h.instance_id for h in due}
    for host in tainted:
        if host.instance_id in due_ids:
            try:
                _replace(aws, host, states.get(host.instance_id), outcome)
            except ClientError as error:
                outcome.errors.append(f"{host.instance_id}: SetInstanceHealth failed: {error}")
        if outcome.decisions.get(host.instance_id, "").startswith("skipped"):
            continue  # on its way out, or not ours to replace
        outcome.tainted += 1
        quiet, since = host.quiet_since(), host.tainted_since()
        margin_only = timedelta(seconds=config.margin_seconds)
        quiet_overdue = not host.active and (quiet is None or now - quiet >= margin)
        deadline_overdue = since is not None and now - since >= deadline + margin_only
        if config.replaces(host.fleet) and (quiet_overdue or deadline_overdue):
            outcome.overdue += 1
    publish(aws.cloudwatch, config, outcome, now)
    result = outcome.as_dict()
    runtime.log("info", "run", "run finished", **result)
    if outcome.errors:
        raise RuntimeError(f"{len(outcome.errors)} host(s) could not be handled: " + "; ".join(outcome.errors))
    return result


def publish(cloudwatch: Any, config: Config, outcome: Outcome, now: datetime) -> None:
    values = {"TaintedHosts": outcome.tainted, "OverdueTaintedHosts": outcome.overdue}
    values["ReplacementsRequested"] = outcome.replaced
    call(
        cloudwatch,
        "put_metric_data",
        Namespace=config.namespace,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": "Watcher", "Value": config.watcher}],
                "Timestamp": now,
                "Value": float(values[name]),
                "Unit": "Count",
            }
            for name in METRICS
        ],
    )


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point (the EventBridge schedule's event is not used)."""
    return run(Config.from_environment(os.environ), Aws.from_environment())
