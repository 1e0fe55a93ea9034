"""The tainted-host function: what an operator relies on after opening a shell on a host.

EC2, Auto Scaling and CloudWatch run against moto. Session Manager's DescribeSessions, which moto
does not implement, is answered on a real botocore client (requests validated against the API
model) from a list of sessions, two per page, so every run pages.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from moto import mock_aws

from immutable_constructs.drift.tainted_hosts_handler import index

from ..faults import KINDS, Fault, FaultPlan, FaultyClient, LambdaDied

REGION = "us-east-1"
KEY = "immutable-constructs:fleet"
OPERATOR = "arn:aws:sts::123456789012:assumed-role/Operators/alice"
CONFIG = index.Config(fleet_tag_key=KEY, fleet_tag_values=("web", "api"), grace_seconds=3600, margin_seconds=1800)
ACTIVE = ("Connected", "Connecting", "Disconnected", "Terminating")
PAGE = 2
LONG = os.environ.get("HANDLER_FAULTS", "sample") == "all"


class FakeSessions:
    """DescribeSessions over ``sessions``, honouring State, InvokedAfter/Target filters and NextToken."""

    def __init__(self, client: Any) -> None:
        self.sessions: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._params: dict[str, Any] = {}
        client.meta.events.register_first("before-parameter-build.ssm", self._capture)
        client.meta.events.register_first("before-call.ssm", self._answer)

    def _capture(self, params: dict[str, Any], **_: Any) -> None:
        self._params = copy.deepcopy(params)

    def _answer(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        assert model.name == "DescribeSessions", f"unexpected SSM call {model.name}"
        params = self._params
        self.requests.append(params)
        active = params["State"] == "Active"
        found = [s for s in self.sessions if (s["Status"] in ACTIVE) == active]
        for item in params.get("Filters", []):
            if item["key"] == "InvokedAfter":
                after = datetime.fromisoformat(item["value"].replace("Z", "+00:00"))
                found = [s for s in found if s["StartDate"] >= after]
            elif item["key"] == "Target":
                found = [s for s in found if s["Target"] == item["value"]]
        start = int(params.get("NextToken", "0"))
        body: dict[str, Any] = {"Sessions": copy.deepcopy(found[start : start + PAGE])}
        if start + PAGE < len(found):
            body["NextToken"] = str(start + PAGE)
        body["ResponseMetadata"] = {"HTTPStatusCode": 200}
        return AWSResponse("", 200, {}, None), body


@dataclass
class World:
    ec2: Any
    autoscaling: Any
    cloudwatch: Any
    ssm: Any
    fake: FakeSessions
    fleets: dict[str, list[str]] = field(default_factory=dict)  # fleet tag value -> instance ids
    t0: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def aws(self) -> index.Aws:
        return index.Aws(ec2=self.ec2, ssm=self.ssm, autoscaling=self.autoscaling, cloudwatch=self.cloudwatch)

    def session(self, target: str, *, started: int, ended: int | None, owner: str = OPERATOR) -> None:
        """A session on ``target`` that started/ended that many minutes after t0 (ended None: still active)."""
        record: dict[str, Any] = {
            "SessionId": f"alice-{len(self.fake.sessions):017x}",
            "Target": target,
            "Status": "Connected" if ended is None else "Terminated",
            "StartDate": self.t0 + timedelta(minutes=started),
            "DocumentName": "ImmutableSessions",
            "Owner": owner,
        }
        if ended is not None:
            record["EndDate"] = self.t0 + timedelta(minutes=ended)
        self.fake.sessions.append(record)

    def run(self, minutes: int) -> dict[str, Any]:
        return index.run(CONFIG, self.aws, now=self.t0 + timedelta(minutes=minutes))

    def tags(self, instance_id: str) -> dict[str, str]:
        described = self.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
        return {t["Key"]: t["Value"] for t in described.get("Tags", [])}

    def health(self, instance_id: str) -> str:
        found = self.autoscaling.describe_auto_scaling_instances(InstanceIds=[instance_id])["AutoScalingInstances"]
        return str(found[0]["HealthStatus"]) if found else "gone"

    def metrics(self) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for name in index.METRICS:
            stats = self.cloudwatch.get_metric_statistics(
                Namespace=CONFIG.namespace,
                MetricName=name,
                Dimensions=[{"Name": "Watcher", "Value": CONFIG.watcher}],
                StartTime=self.t0 - timedelta(days=1),
                EndTime=self.t0 + timedelta(days=2),
                Period=60,
                Statistics=["Maximum"],
            )["Datapoints"]
            found[name] = [p["Maximum"] for p in sorted(stats, key=lambda p: p["Timestamp"])]
        return found


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    slept: list[float] = []
    monkeypatch.setattr(index.runtime, "sleep", slept.append)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        autoscaling = boto3.client("autoscaling", region_name=REGION)
        ssm = boto3.client("ssm", region_name=REGION)
        w = World(
            ec2=ec2,
            autoscaling=autoscaling,
            cloudwatch=boto3.client("cloudwatch", region_name=REGION),
            ssm=ssm,
            fake=FakeSessions(ssm),
        )
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        for fleet in ("web", "api", "other"):
            template = f"{fleet}-template"
            ec2.create_launch_template(
                LaunchTemplateName=template, LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"}
            )
            autoscaling.create_auto_scaling_group(
                AutoScalingGroupName=f"{fleet}-group",
                LaunchTemplate={"LaunchTemplateName": template, "Version": "$Latest"},
                MinSize=2,
                MaxSize=4,
                DesiredCapacity=2,
                VPCZoneIdentifier=subnet["SubnetId"],
                Tags=[
                    {
                        "Key": KEY,
                        "Value": fleet,
                        "PropagateAtLaunch": True,
                        "ResourceId": f"{fleet}-group",
                        "ResourceType": "auto-scaling-group",
                    }
                ],
            )
            group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[f"{fleet}-group"])
            w.fleets[fleet] = sorted(i["InstanceId"] for i in group["AutoScalingGroups"][0]["Instances"])
        yield w


def test_an_active_session_taints_but_does_not_replace(world: World) -> None:
    host = world.fleets["web"][0]
    world.session(host, started=1, ended=None)
    result = world.run(minutes=300)
    assert world.tags(host)[index.TAG_BY] == OPERATOR
    assert world.tags(host)[index.TAG_AT] == index._iso(world.t0 + timedelta(minutes=1))
    assert world.health(host) == "Healthy", "a host is never pulled from under an open session"
    assert result["decisions"] == {host: "tainted: a session is active"}
    assert (result["TaintedHosts"], result["OverdueTaintedHosts"], result["ReplacementsRequested"]) == (1, 0, 0)


def test_an_ended_session_past_the_grace_period_replaces_the_host(world: World) -> None:
    host, untouched = world.fleets["web"]
    world.session(host, started=1, ended=10)
    world.session(host, started=20, ended=30, owner="arn:aws:sts::123456789012:assumed-role/Operators/bob")
    result = world.run(minutes=30 + 61)
    assert world.health(host) == "Unhealthy"
    assert world.health(untouched) == "Healthy"
    assert world.tags(host)[index.TAG_BY] == OPERATOR, "who: the first session's owner"
    assert index.TAG_AT not in world.tags(untouched)
    assert result["decisions"] == {host: "replacement requested"}
    assert result["ReplacementsRequested"] == 1
    assert world.metrics()["ReplacementsRequested"] == [1.0]


def test_within_the_grace_period_the_host_is_only_tagged(world: World) -> None:
    host = world.fleets["api"][1]
    world.session(host, started=1, ended=10)
    result = world.run(minutes=10 + 59)
    assert index.TAG_AT in world.tags(host)
    assert world.health(host) == "Healthy"
    assert result["decisions"][host].startswith("tainted: replaced after ")
    # The grace period runs from the end of the LAST session: a new session restarts it.
    world.session(host, started=70, ended=75)
    assert world.run(minutes=10 + 61)["ReplacementsRequested"] == 0
    assert world.run(minutes=75 + 60)["ReplacementsRequested"] == 1
    assert world.health(host) == "Unhealthy"


def test_an_instance_already_gone_or_terminating_is_skipped(world: World) -> None:
    gone, terminating = world.fleets["web"]
    world.session(gone, started=1, ended=2)
    world.session(terminating, started=1, ended=2)
    world.ec2.terminate_instances(InstanceIds=[gone])
    real = world.autoscaling

    class Terminating:
        """Auto Scaling reports the second host as on its way out (a scale-in or an earlier replacement)."""

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def describe_auto_scaling_instances(self, **kwargs: Any) -> Any:
            answer = real.describe_auto_scaling_instances(**kwargs)
            for item in answer["AutoScalingInstances"]:
                item["LifecycleState"] = "Terminating:Wait"
            return answer

        def set_instance_health(self, **kwargs: Any) -> Any:
            raise AssertionError(f"no host on its way out is reported unhealthy: {kwargs}")

    world.autoscaling = Terminating()  # type: ignore[assignment]
    result = world.run(minutes=200)
    assert result["decisions"] == {terminating: "skipped: Terminating:Wait"}
    assert gone not in result["decisions"], "a terminated instance is not even looked at"
    assert result["TaintedHosts"] == 0


def test_a_host_that_left_its_group_between_listing_and_replacement_is_skipped(world: World) -> None:
    host = world.fleets["web"][0]
    world.session(host, started=1, ended=2)
    real = world.autoscaling

    class Left:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def set_instance_health(self, **kwargs: Any) -> Any:
            raise ClientError(
                {"Error": {"Code": "ValidationError", "Message": f"Instance Id not found - {kwargs['InstanceId']}"}},
                "SetInstanceHealth",
            )

    world.autoscaling = Left()  # type: ignore[assignment]
    assert world.run(minutes=200)["decisions"] == {host: "skipped: gone"}


def test_a_host_of_another_fleet_is_left_alone(world: World) -> None:
    stranger = world.fleets["other"][0]
    world.session(stranger, started=1, ended=2)
    world.session("mi-0123456789abcdef0", started=1, ended=2)  # an on-premises node: not an instance of ours
    result = world.run(minutes=200)
    assert index.TAG_AT not in world.tags(stranger)
    assert world.health(stranger) == "Healthy"
    assert result["decisions"] == {}
    assert result["TaintedHosts"] == 0
    assert world.metrics()["TaintedHosts"] == [0.0], "a zero is published too, so the alarm sees data"


def test_every_page_of_sessions_is_read(world: World) -> None:
    hosts = world.fleets["web"] + world.fleets["api"]
    for n, host in enumerate(hosts):  # 4 hosts, 3 sessions each: 6 pages of history
        for k in range(3):
            world.session(host, started=1 + 10 * k + n, ended=5 + 10 * k + n)
    result = world.run(minutes=300)
    history = [r for r in world.fake.requests if r["State"] == "History"]
    assert len(history) == 6 and history[-1].get("NextToken") == "10"
    assert sorted(result["decisions"]) == sorted(hosts)
    assert result["ReplacementsRequested"] == 4
    assert all(world.health(h) == "Unhealthy" for h in hosts)


def test_instances_are_read_page_by_page(world: World) -> None:
    host = world.fleets["api"][1]
    world.session(host, started=1, ended=2)
    real = world.ec2
    tokens: list[str | None] = []

    class OnePerPage:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def describe_instances(self, **kwargs: Any) -> Any:
            everything = [  # one instance per reservation, one reservation per page
                {"Instances": [instance]}
                for reservation in real.describe_instances(Filters=kwargs["Filters"])["Reservations"]
                for instance in reservation["Instances"]
            ]
            start = int(kwargs.get("NextToken", "0"))
            tokens.append(kwargs.get("NextToken"))
            page: dict[str, Any] = {"Reservations": everything[start : start + 1]}
            if start + 1 < len(everything):
                page["NextToken"] = str(start + 1)
            return page

    world.ec2 = OnePerPage()  # type: ignore[assignment]
    result = world.run(minutes=200)
    assert tokens == [None, "1", "2", "3"], "4 watched instances, one page each"
    assert result["decisions"] == {host: "replacement requested"}


def test_throttling_is_retried_with_backoff(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    host = world.fleets["web"][0]
    world.session(host, started=1, ended=2)
    slept: list[float] = []
    monkeypatch.setattr(index.runtime, "sleep", slept.append)
    real = world.ssm
    failures = [2]

    class Throttled:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def describe_sessions(self, **kwargs: Any) -> Any:
            if failures[0]:
                failures[0] -= 1
                raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "x")
            return real.describe_sessions(**kwargs)

    world.ssm = Throttled()  # type: ignore[assignment]
    assert world.run(minutes=200)["decisions"] == {host: "replacement requested"}
    assert len(slept) == 2 and 0 <= slept[0] <= 1.0 and 0 <= slept[1] <= 2.0, "full jitter under a doubling bound"


def test_throttling_that_does_not_stop_fails_loudly_and_changes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = world.fleets["web"][0]
    world.session(host, started=1, ended=2)
    slept: list[float] = []
    monkeypatch.setattr(index.runtime, "sleep", slept.append)
    real = world.ssm

    class Storm:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def describe_sessions(self, **kwargs: Any) -> Any:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "x")

    world.ssm = Storm()  # type: ignore[assignment]
    with pytest.raises(ClientError, match="ThrottlingException"):
        world.run(minutes=200)
    assert len(slept) == 4, "five attempts, four back-offs, then the run fails (the function's error alarm)"
    assert index.TAG_AT not in world.tags(host)
    assert world.health(host) == "Healthy"


def test_a_failure_on_one_host_does_not_stop_the_others_but_fails_the_run(world: World) -> None:
    broken, fine = world.fleets["web"]
    world.session(broken, started=1, ended=2)
    world.session(fine, started=1, ended=2)
    real = world.autoscaling

    class Denied:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def set_instance_health(self, **kwargs: Any) -> Any:
            if kwargs["InstanceId"] == broken:
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "SetInstanceHealth")
            return real.set_instance_health(**kwargs)

    world.autoscaling = Denied()  # type: ignore[assignment]
    with pytest.raises(RuntimeError, match=rf"{broken}: SetInstanceHealth failed.*AccessDenied"):
        world.run(minutes=200)
    assert world.health(fine) == "Unhealthy"
    assert world.metrics()["OverdueTaintedHosts"] == [2.0], "both are past grace + margin; metrics still published"


def test_a_second_run_changes_nothing(world: World) -> None:
    host = world.fleets["web"][0]
    world.session(host, started=1, ended=2)
    first = world.run(minutes=200)
    tags = world.tags(host)
    calls: list[str] = []
    real_ec2, real_asg = world.ec2, world.autoscaling

    class Watch:
        def __init__(self, client: Any) -> None:
            self._client = client

        def __getattr__(self, name: str) -> Any:
            if name in ("create_tags", "set_instance_health"):
                calls.append(name)
            return getattr(self._client, name)

    world.ec2, world.autoscaling = Watch(real_ec2), Watch(real_asg)  # type: ignore[assignment]
    second = world.run(minutes=205)
    assert first["decisions"] == {host: "replacement requested"}
    assert second["decisions"] == {host: "replacement pending: already unhealthy"}
    assert calls == [], "nothing is tagged or reported twice"
    assert world.tags(host) == tags


def test_an_overdue_host_is_counted(world: World) -> None:
    host = world.fleets["web"][0]
    world.session(host, started=1, ended=2)
    world.run(minutes=2 + 61)  # replacement requested; the group has not replaced it yet
    assert world.run(minutes=2 + 60 + 29)["OverdueTaintedHosts"] == 0
    assert world.run(minutes=2 + 60 + 31)["OverdueTaintedHosts"] == 1
    assert world.metrics()["TaintedHosts"] == [1.0, 1.0, 1.0]


def test_an_endless_chain_of_sessions_is_replaced_at_the_deadline(world: World) -> None:
    """An operator who keeps a session open at all times cannot keep a touched host in service."""
    host, untouched = world.fleets["web"]
    deadline = CONFIG.deadline_seconds // 60
    assert deadline == 8 * 60  # the documented default
    for start in range(1, deadline + 60, 50):  # each session opens a minute before the previous one ends
        world.session(host, started=start, ended=start + 51 if start + 51 < deadline + 60 else None)
    before = world.run(minutes=deadline)  # 1 minute short: the first session started at minute 1
    assert before["decisions"] == {host: "tainted: a session is active"}
    assert world.health(host) == "Healthy"
    at = world.run(minutes=deadline + 1)
    assert at["decisions"] == {host: "replacement requested"}
    assert world.health(host) == "Unhealthy" and world.health(untouched) == "Healthy"
    assert at["OverdueTaintedHosts"] == 0
    # the group has not replaced it (moto does not): overdue once the margin has passed, sessions or not
    assert world.run(minutes=deadline + 1 + 29)["OverdueTaintedHosts"] == 0
    assert world.run(minutes=deadline + 1 + 30)["OverdueTaintedHosts"] == 1


def test_the_deadline_counts_from_the_taint_tag_when_old_sessions_are_no_longer_listed(world: World) -> None:
    host = world.fleets["web"][0]
    world.ec2.create_tags(
        Resources=[host],
        Tags=[
            {"Key": index.TAG_AT, "Value": index._iso(world.t0 - timedelta(hours=9))},
            {"Key": index.TAG_BY, "Value": OPERATOR},
        ],
    )
    world.session(host, started=1, ended=None)
    assert world.run(minutes=2)["decisions"] == {host: "replacement requested"}


TAG_ONLY = index.Config(
    fleet_tag_key=KEY, fleet_tag_values=("web",), tag_only_values=("other",), grace_seconds=3600, margin_seconds=1800
)


def test_a_tag_only_fleet_is_tagged_and_counted_but_never_replaced(world: World) -> None:
    break_glass, idle = world.fleets["other"]
    replaced = world.fleets["web"][0]
    world.session(break_glass, started=1, ended=2)
    world.session(replaced, started=1, ended=2)
    real = world.autoscaling
    reported: list[str] = []

    class Watch:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def set_instance_health(self, **kwargs: Any) -> Any:
            reported.append(kwargs["InstanceId"])
            return real.set_instance_health(**kwargs)

    world.autoscaling = Watch()  # type: ignore[assignment]
    now = world.t0 + timedelta(minutes=2 + 61)  # past the grace period
    result = index.run(TAG_ONLY, world.aws, now=now)
    assert world.tags(break_glass)[index.TAG_BY] == OPERATOR, "who and when are recorded all the same"
    assert world.tags(break_glass)[index.TAG_AT] == index._iso(world.t0 + timedelta(minutes=1))
    assert index.TAG_AT not in world.tags(idle)
    assert world.health(break_glass) == "Healthy"
    assert reported == [replaced], "only the host of the replaced fleet is reported unhealthy"
    assert result["decisions"] == {
        break_glass: "tainted: replacement off for this fleet",
        replaced: "replacement requested",
    }
    assert (result["TaintedHosts"], result["OverdueTaintedHosts"], result["ReplacementsRequested"]) == (2, 0, 1)
    # Days later it is still counted, never overdue: the overdue alarm is for hosts that should be gone
    # (the replaced host is, as moto's group does not replace it).
    later = index.run(TAG_ONLY, world.aws, now=now + timedelta(days=3))
    assert later["decisions"] == {
        break_glass: "tainted: replacement off for this fleet",
        replaced: "replacement pending: already unhealthy",
    }
    assert (later["TaintedHosts"], later["OverdueTaintedHosts"]) == (2, 1)
    assert reported == [replaced]


def test_a_fleet_in_both_lists_is_replaced(world: World) -> None:
    host = world.fleets["web"][0]
    world.session(host, started=1, ended=2)
    both = index.Config(fleet_tag_key=KEY, fleet_tag_values=("web",), tag_only_values=("web",))
    assert both.all_values == ("web",)
    assert index.run(both, world.aws, now=world.t0 + timedelta(minutes=200))["decisions"] == {
        host: "replacement requested"
    }


def test_only_tag_only_fleets(world: World) -> None:
    host = world.fleets["api"][0]
    world.session(host, started=1, ended=None)
    only = index.Config(fleet_tag_key=KEY, fleet_tag_values=(), tag_only_values=("api",))
    result = index.run(only, world.aws, now=world.t0 + timedelta(minutes=200))
    assert result["decisions"] == {host: "tainted: replacement off for this fleet"}
    assert world.health(host) == "Healthy" and index.TAG_AT in world.tags(host)


def test_configuration_from_the_environment() -> None:
    config = index.Config.from_environment(
        {
            "FLEET_TAG_KEY": KEY,
            "FLEET_TAG_VALUES": '["a", "b"]',
            "GRACE_SECONDS": "600",
            "MARGIN_SECONDS": "900",
            "NAMESPACE": "N",
            "WATCHER": "W",
            "DEADLINE_SECONDS": "7200",
        }
    )
    assert config == index.Config(KEY, ("a", "b"), 600, 900, "N", "W", deadline_seconds=7200)
    tag_only = index.Config.from_environment(
        {"FLEET_TAG_KEY": KEY, "FLEET_TAG_VALUES": '["a"]', "TAG_ONLY_FLEET_TAG_VALUES": '["b", "c"]'}
    )
    assert (tag_only.fleet_tag_values, tag_only.tag_only_values, tag_only.all_values) == (
        ("a",),
        ("b", "c"),
        ("a", "b", "c"),
    )
    with pytest.raises(ValueError, match="TAG_ONLY_FLEET_TAG_VALUES must be a JSON list"):
        index.Config.from_environment(
            {"FLEET_TAG_KEY": KEY, "FLEET_TAG_VALUES": "[]", "TAG_ONLY_FLEET_TAG_VALUES": "{}"}
        )
    with pytest.raises(ValueError, match="FLEET_TAG_VALUES must be a JSON list"):
        index.Config.from_environment({"FLEET_TAG_KEY": KEY, "FLEET_TAG_VALUES": '"a"'})


# -- single faults (tests/faults): a failed run, then the next scheduled run, converge ---------------------

CALLS_PER_RUN = 7  # DescribeInstances, DescribeSessions x2, CreateTags, DescribeAutoScalingInstances,
# SetInstanceHealth, PutMetricData, with one tainted host due for replacement


def fault_cases() -> list[tuple[str, int]]:
    """Every call index of a run for every kind in the long profile (HANDLER_FAULTS=all); in make test one
    index per kind, spread over the run."""
    if LONG:
        return [(kind, at) for kind in KINDS for at in range(1, CALLS_PER_RUN + 1)]
    return [(kind, 1 + (3 * n + 1) % CALLS_PER_RUN) for n, kind in enumerate(KINDS)]


def faulty(world: World, plan: FaultPlan) -> index.Aws:
    real = world.aws
    return index.Aws(
        ec2=FaultyClient(real.ec2, "ec2", plan),
        ssm=FaultyClient(real.ssm, "ssm", plan),
        autoscaling=FaultyClient(real.autoscaling, "autoscaling", plan),
        cloudwatch=FaultyClient(real.cloudwatch, "cloudwatch", plan),
    )


@pytest.mark.parametrize(("kind", "at"), fault_cases())
def test_any_single_fault_then_the_next_run_replaces_the_host_once(world: World, kind: str, at: int) -> None:
    host, other = world.fleets["web"]
    world.session(host, started=1, ended=2)
    plan = FaultPlan(Fault(kind, at))
    plan.armed = True
    try:
        index.run(CONFIG, faulty(world, plan), now=world.t0 + timedelta(minutes=200))
    except (Exception, LambdaDied) as error:
        assert str(error), f"{kind}@{at}: a failure must say why"
    plan.armed = False
    assert plan.fired is not None, f"{kind}@{at}: the run made fewer calls than expected"
    second = world.run(minutes=205)  # the next scheduled run
    assert world.health(host) == "Unhealthy", (kind, at, plan.fired)
    assert second["decisions"] == {host: "replacement pending: already unhealthy"} or second["decisions"] == {
        host: "replacement requested"
    }
    assert world.tags(host)[index.TAG_BY] == OPERATOR
    assert world.tags(host)[index.TAG_AT] == index._iso(world.t0 + timedelta(minutes=1))
    assert world.health(other) == "Healthy" and index.TAG_AT not in world.tags(other), "no other host is touched"
    third = world.run(minutes=210)
    assert third["decisions"] == {host: "replacement pending: already unhealthy"}, "then nothing changes"


def test_the_run_makes_the_calls_the_fault_tests_count(world: World) -> None:
    host = world.fleets["web"][0]
    world.session(host, started=1, ended=2)
    plan = FaultPlan()
    plan.armed = True
    index.run(CONFIG, faulty(world, plan), now=world.t0 + timedelta(minutes=200))
    assert [op for _, op in plan.calls] == [
        "describe_instances",
        "describe_sessions",
        "describe_sessions",
        "create_tags",
        "describe_auto_scaling_instances",
        "set_instance_health",
        "put_metric_data",
    ]
    assert len(plan.calls) == CALLS_PER_RUN
