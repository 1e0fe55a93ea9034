"""The blue/green handler under fault injection: a world (moto + the CodeDeploy fake), the real CDK
Provider framework around the handler (tests/faults/framework.py: aws-cdk-lib's own framework.js in
Node; Step Functions' waiter and CloudFormation played in Python), the invariants, and the lifecycles.

CloudFormation sends each request through the framework's onEvent; the waiter polls isComplete every
interval (CodeDeploy progresses a running deployment between polls) until the framework answers
CloudFormation. After every handler invocation and every CodeDeploy step the invariants are checked
(``check``). A failed operation is continued the way CloudFormation continues it (``recover``): a failed
Create is rolled back with a Delete carrying the physical id the framework answered (its CREATE_FAILED
marker is answered by the framework itself, never reaching the handler); a failed Update is rolled back
with an Update to the old properties, while the failed request's own deployment may still run and end
either way at any poll; a failed rollback is UPDATE_ROLLBACK_FAILED, left by continue-update-rollback
(the rollback Update sent again) or by deleting the stack; a failed Delete is retried. Then the user
deploys the change again.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3
from moto import mock_aws
from moto.autoscaling import models as autoscaling_models

from immutable_constructs.fleet.blue_green_handler import index

from ..codedeploy_fake import ACTIVE, FakeCodeDeploy
from . import FaultPlan, FaultyClient
from .framework import CREATE_FAILED_MARKER, CloudFormation, LambdaService, ProviderFramework, Request

REGION = "us-east-1"
APP = "app"
GROUP = "Stack-Api-0123ABCD"
PHYSICAL_ID = f"{APP}/{GROUP}"
INITIAL = f"{GROUP}-{hashlib.sha256(PHYSICAL_ID.encode()).hexdigest()[:8]}"
#: Groups that are not this resource's: an unrelated one, and another application's green group of the same name.
UNOWNED = ("someone-elses-group", f"CodeDeploy_{GROUP}_d-OTHERAPP1")
MUTATING = {"create_auto_scaling_group", "update_auto_scaling_group", "delete_auto_scaling_group",
            "create_or_update_tags", "enable_metrics_collection"}  # fmt: skip
#: Mutating CodeDeploy calls: none may come from a request that another request superseded.
CODEDEPLOY_MUTATING = {"create_deployment_group", "update_deployment_group", "delete_deployment_group",
                       "create_deployment", "stop_deployment", "tag_resource"}  # fmt: skip
MAX_POLLS = 40  # the fleet's waiter allows 100; every lifecycle here converges in far fewer
#: One session for every world: it caches the API models, which boto3.client() would parse again each time.
SESSION = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")


class InvariantBroken(AssertionError):
    pass


def _instances_report_their_launch_version() -> contextlib.ExitStack:
    """moto reports the launch template's default version for every instance; AWS reports the version each
    instance was launched from (what the handler compares). Record it at launch (as in test_blue_green_handler)."""
    state = autoscaling_models.InstanceState
    original_init = state.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.launched_version = str(self.auto_scaling_group.launch_template_version)

    def launch_template(self: Any) -> dict[str, Any]:
        template = self.auto_scaling_group.ec2_launch_template
        return {"LaunchTemplateId": template.id, "LaunchTemplateName": template.name, "Version": self.launched_version}

    stack = contextlib.ExitStack()
    stack.enter_context(mock.patch.object(state, "__init__", init))
    stack.enter_context(mock.patch.object(state, "launch_template", property(launch_template)))
    return stack


@dataclass
class World:
    autoscaling: Any
    elbv2: Any
    codedeploy: FakeCodeDeploy
    props: dict[str, Any]
    plan: FaultPlan
    aws: index.Aws  # the handler's clients, through the fault plan
    exists: bool = False  # the resource was created and not yet deleted: a fleet must serve
    unowned: dict[str, Any] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    cfn: CloudFormation | None = None
    physical_id: str | None = None  # what CloudFormation holds for the resource
    stale: bool = False  # a superseded request's waiter is polling: it must change nothing
    leaked: bool = False  # a create died inside on_event: what it made is left until the next create adopts it

    # -- observation ---------------------------------------------------------------

    def groups(self) -> dict[str, dict[str, Any]]:
        found = self.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
        return {g["AutoScalingGroupName"]: g for g in found}

    def owned(self, groups: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
        groups = self.groups() if groups is None else groups
        return {n: g for n, g in groups.items() if n not in UNOWNED}

    def serving(self) -> str | None:
        dg = self.codedeploy.groups.get((APP, GROUP))
        return dg["autoScalingGroups"][0]["name"] if dg else None

    def active(self) -> list[str]:
        return [d for d, v in self.codedeploy.deployments.items() if v["status"] in ACTIVE]

    def healthy(self) -> set[str]:
        health = self.elbv2.describe_target_health(TargetGroupArn=self.props["TargetGroupArn"])
        return {
            d["Target"]["Id"] for d in health["TargetHealthDescriptions"] if d["TargetHealth"]["State"] == "healthy"
        }

    def signature(self) -> dict[str, Any]:
        """The end state, without group names: CodeDeploy makes them up (a deployment id is in every green group's
        name), and a fault can make the same end state come from one more deployment (e.g. a failed release whose
        orphaned deployment succeeded, then was rolled back by a second one)."""
        groups = self.groups()
        serving = self.serving()

        def describe(name: str) -> tuple[Any, ...]:
            g = groups[name]
            return (
                "serving" if name == serving else "kept",
                str(g["LaunchTemplate"]["Version"]),
                tuple(sorted({str(i["LaunchTemplate"]["Version"]) for i in g["Instances"]})),
                g["MinSize"],
                g["MaxSize"],
                len(g["Instances"]),
                any(t["Key"] == index.OWNER_TAG and t["Value"] == PHYSICAL_ID for t in g.get("Tags", [])),
            )

        dg = self.codedeploy.groups.get((APP, GROUP))
        settings = None
        if dg is not None:
            settings = (
                dg["blueGreenDeploymentConfiguration"]["terminateBlueInstancesOnDeploymentSuccess"]["action"],
                tuple(a["name"] for a in dg["alarmConfiguration"]["alarms"]),
                dg["deploymentConfigName"],
            )
        return {
            "deployment_group": settings,
            "groups": sorted(describe(n) for n in self.owned(groups)),
            "active_deployments": len(self.active()),
        }

    # -- invariants ------------------------------------------------------------------

    def check(self, where: str) -> None:
        def broken(message: str) -> None:
            raise InvariantBroken(f"after {where}: {message}")

        groups = self.groups()
        for name, snapshot in self.unowned.items():
            if _shape(groups.get(name)) != snapshot:
                broken(f"the unowned group {name} was changed")
        if len(self.active()) > 1:
            broken(f"two active deployments: {self.active()}")
        serving = self.serving()
        if serving is not None and serving not in groups:
            broken(f"the deployment group points at {serving}, which does not exist")
        if not self.exists:
            return
        if serving is None:
            broken("the resource exists but its deployment group does not")
        instances = [i for i in groups[serving]["Instances"] if i["LifecycleState"] == "InService"]
        versions = {str(i["LaunchTemplate"]["Version"]) for i in instances}
        if len(versions) != 1:
            broken(f"the serving group {serving} runs launch template versions {sorted(versions)}")
        if not self.healthy() & {i["InstanceId"] for i in instances}:
            broken(f"no instance of the serving group {serving} is healthy in the target group")

    def check_deleted(self, where: str) -> None:
        left = [n for n, g in self.owned().items()
                if any(t["Key"] == index.OWNER_TAG for t in g.get("Tags", [])) or n.startswith(f"CodeDeploy_{GROUP}_")
                or n == INITIAL]  # fmt: skip
        if left or (APP, GROUP) in self.codedeploy.groups:
            raise InvariantBroken(f"after {where}: delete left {left} and deployment group {self.serving()}")

    def watch_mutations(self, service: str, operation: str, kwargs: dict[str, Any]) -> None:
        if self.stale and (
            (service == "autoscaling" and operation in MUTATING)
            or (service == "codedeploy" and operation in CODEDEPLOY_MUTATING)
        ):
            raise InvariantBroken(f"a superseded request's waiter called {service}.{operation}: {kwargs}")
        if service == "autoscaling" and operation in MUTATING:
            names = {kwargs.get("AutoScalingGroupName")} | {t.get("ResourceId") for t in kwargs.get("Tags", [])}
            if names & set(UNOWNED):
                raise InvariantBroken(f"{operation} touched an unowned group: {kwargs}")

    # -- CodeDeploy's side -----------------------------------------------------------

    def advance(self, mode: str, *, token: str = "", foreign: str | None = None) -> None:
        """One step of CodeDeploy: a running deployment succeeds (or fails and rolls back, ``mode='fail'``).

        A deployment the request ``token`` did not start (an earlier request's release, still running) ends
        as ``foreign`` says: ``succeed``, ``fail``, ``stop``, or ``None``: keep running for now."""
        for deployment_id in self.active():
            record = self.codedeploy.deployments[deployment_id]
            mine = not token or index.release_tag(token) in record.get("description", "")
            if any(d.get("rollbackInfo", {}).get("rollbackDeploymentId") == deployment_id
                   for d in self.codedeploy.deployments.values()):  # fmt: skip
                record["status"] = "Succeeded"  # CodeDeploy's own rollback: blue serves again
                self.check(f"CodeDeploy rollback {deployment_id}")
                continue
            outcome = mode if mine else foreign
            if outcome is None:
                continue
            if outcome == "fail":
                self.codedeploy.fail(deployment_id)
            elif outcome == "stop":  # stopped by hand (or an alarm without rollback): blue keeps serving
                record["status"] = "Stopped"
                record["errorInformation"] = {"code": "DEPLOYMENT_STOPPED", "message": "stopped by a user"}
            else:
                self.codedeploy.succeed(deployment_id)
            self.check(f"CodeDeploy {outcome} {deployment_id}")


def _shape(group: dict[str, Any] | None) -> Any:
    if group is None:
        return None
    instances = sorted(i["InstanceId"] for i in group["Instances"])
    tags = sorted((t["Key"], t["Value"]) for t in group["Tags"])
    return (group["LaunchTemplate"]["Version"], group["MinSize"], group["MaxSize"], instances, tags)


@functools.cache
def shared_framework() -> ProviderFramework:
    """One Node process for the whole test session: the framework keeps no state between calls."""
    framework = ProviderFramework()
    atexit.register(framework.close)
    return framework


@contextlib.contextmanager
def world(plan: FaultPlan | None = None) -> Iterator[World]:
    plan = plan or FaultPlan()
    env = {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    with (
        mock.patch.dict("os.environ", env),
        mock.patch.object(index.runtime, "sleep", lambda seconds: None),
        _instances_report_their_launch_version(),
        mock_aws(),
    ):
        ec2 = SESSION.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"][
                "SubnetId"
            ]
            for i, az in ((1, "a"), (2, "b"))
        ]
        data = {"ImageId": "ami-12c6146b", "InstanceType": "t3.small"}
        lt = ec2.create_launch_template(LaunchTemplateName="api", LaunchTemplateData=data)["LaunchTemplate"]
        for _ in range(2):
            ec2.create_launch_template_version(LaunchTemplateId=lt["LaunchTemplateId"], LaunchTemplateData=data)
        elbv2 = SESSION.client("elbv2")
        target_group = elbv2.create_target_group(
            Name="api", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="instance"
        )
        autoscaling = SESSION.client("autoscaling", config=index.RETRY_CONFIG)
        codedeploy = SESSION.client("codedeploy", config=index.RETRY_CONFIG)
        fake = FakeCodeDeploy(codedeploy, autoscaling, applications=(APP,))
        for name in UNOWNED:
            owner = [] if name == UNOWNED[0] else [{"ResourceId": name, "ResourceType": "auto-scaling-group",
                                                    "Key": index.OWNER_TAG, "Value": f"other-app/{GROUP}",
                                                    "PropagateAtLaunch": False}]  # fmt: skip
            autoscaling.create_auto_scaling_group(
                AutoScalingGroupName=name, LaunchTemplate={"LaunchTemplateId": lt["LaunchTemplateId"], "Version": "1"},
                MinSize=0, MaxSize=1, VPCZoneIdentifier=subnets[0], Tags=owner,
            )  # fmt: skip
        props = {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
            "ApplicationName": APP,
            "DeploymentGroupName": GROUP,
            "ServiceRoleArn": "arn:aws:iam::123456789012:role/codedeploy",
            "DeploymentConfigName": "CodeDeployDefault.OneAtATime",
            "LaunchTemplateId": lt["LaunchTemplateId"],
            "LaunchTemplateVersion": "1",
            "SubnetIds": subnets,
            "TargetGroupArn": target_group["TargetGroups"][0]["TargetGroupArn"],
            "TargetGroupName": "api",
            "MinSize": "2",
            "MaxSize": "4",
            "DesiredCapacity": "",
            "HealthCheckGracePeriod": "300",
            "MaxInstanceLifetime": "1209600",
            "FleetTagKey": "immutable-constructs:fleet",
            "FleetTagValue": "StackApi0123ABCD",
            "AlarmNames": ["api-unhealthy", "api-5xx"],
            "KeepBlue": "false",
            "TerminationWaitMinutes": "5",
            "ReadyWaitMinutes": "0",
            "RevisionBucket": "cdk-assets",
            "RevisionKey": "revision.zip",
        }
        aws = index.Aws(
            autoscaling=FaultyClient(autoscaling, "autoscaling", plan),
            codedeploy=FaultyClient(codedeploy, "codedeploy", plan),
            elbv2=FaultyClient(elbv2, "elbv2", plan),
        )
        w = World(autoscaling=autoscaling, elbv2=elbv2, codedeploy=fake, props=props, plan=plan, aws=aws)
        lambdas = LambdaService(lambda e: index.on_event(e, None, w.aws), lambda e: index.is_complete(e, None, w.aws))
        w.cfn = CloudFormation(shared_framework(), lambdas)
        groups = w.groups()
        w.unowned = {name: _shape(groups[name]) for name in UNOWNED}
        plan.observers.append(w.watch_mutations)
        yield w


# -- the driver -----------------------------------------------------------------------


def event(request: str, props: dict[str, Any], old: dict[str, Any] | None = None) -> dict[str, Any]:
    """What CloudFormation is asked to do; :func:`operate` sends it as a request (RequestId, ResponseURL, ...)."""
    body: dict[str, Any] = {"RequestType": request, "ResourceProperties": props}
    if old is not None:
        body["OldResourceProperties"] = old
    return body


@dataclass
class Outcome:
    ok: bool
    reason: str = ""
    request: Request | None = None

    def __str__(self) -> str:
        return "ok" if self.ok else f"failed: {self.reason.splitlines()[0] if self.reason else '?'}"

    @property
    def error(self) -> str:
        return self.reason


def send(w: World, intent: dict[str, Any]) -> Request:
    """CloudFormation sends the request; the framework's onEvent runs the handler's on_event."""
    assert w.cfn is not None
    request_type = intent["RequestType"]
    physical_id = None if request_type == "Create" else w.physical_id
    request = w.cfn.send(
        request_type, intent["ResourceProperties"], old=intent.get("OldResourceProperties"), physical_id=physical_id
    )
    w.log.append(f"{request_type} {request.event['RequestId'][:8]}: onEvent -> {request.status or 'waiter'}")
    w.check(f"{request_type} onEvent")
    return request


def poll(w: World, request: Request, *, stale: bool = False) -> None:
    """One attempt of the request's waiter (``stale``: CloudFormation no longer waits for this request)."""
    assert request.waiter is not None
    w.stale = stale
    try:
        request.waiter.poll()
    finally:
        w.stale = False
    request.response = request.waiter.response
    w.log.append(f"{request.event['RequestType']} {request.event['RequestId'][:8]}: isComplete -> {request.status}")
    w.check(f"{request.event['RequestType']} isComplete")


def finish(w: World, request: Request, *, codedeploy: str = "succeed", foreign: str | None = "succeed",
           foreign_after: int = 0) -> Outcome:  # fmt: skip
    """Poll the waiter until the framework answers, CodeDeploy progressing between polls.

    Deployments this request started end as ``codedeploy`` says; another request's (still running when this
    one started) as ``foreign`` says, after ``foreign_after`` polls."""
    token = request.event["RequestId"]
    polls = 0
    while request.response is None:
        assert request.waiter is not None
        poll(w, request)
        polls += 1
        if request.response is None:
            assert polls < MAX_POLLS, (
                f"{request.event['RequestType']} did not complete in {MAX_POLLS} polls: {w.log[-6:]}"
            )
            w.advance(codedeploy, token=token, foreign=foreign if polls > foreign_after else None)
    return conclude(w, request)


def conclude(w: World, request: Request) -> Outcome:
    """What CloudFormation makes of the answer: the physical id it now holds, and whether a fleet must serve."""
    assert request.response is not None
    request_type = request.event["RequestType"]
    ok = request.status == "SUCCESS"
    if request_type == "Create" or (request_type == "Update" and ok):
        w.physical_id = request.physical_id
    if ok and request_type in ("Create", "Update"):
        w.exists = True
        w.leaked = False
        w.check(f"{request_type} answered")
    if request_type == "Delete" and ok:
        w.exists = False
        if w.physical_id != CREATE_FAILED_MARKER and not w.leaked:
            w.check_deleted("Delete answered")
    return Outcome(ok, str(request.response.get("Reason", "")), request)


def operate(w: World, intent: dict[str, Any], *, codedeploy: str = "succeed", foreign: str | None = "succeed",
            foreign_after: int = 0) -> Outcome:  # fmt: skip
    """One CloudFormation operation through the Provider framework. Returns how CloudFormation saw it end."""
    if intent["RequestType"] == "Delete":
        w.exists = False
    request = send(w, intent)
    if request.response is not None:
        return conclude(w, request)
    return finish(w, request, codedeploy=codedeploy, foreign=foreign, foreign_after=foreign_after)


# -- CloudFormation's recovery ------------------------------------------------------------


@dataclass
class Recovery:
    """How the failed request's own deployment ends while CloudFormation recovers: ``succeed``/``fail``/``stop``
    after ``after`` polls of the recovering request."""

    foreign: str = "succeed"
    after: int = 0


def recover(w: World, intent: dict[str, Any], failure: Outcome, how: Recovery) -> str:
    """CloudFormation's answer to a failed operation. Returns the stack state it leaves."""
    request_type = intent["RequestType"]
    if request_type == "Create":  # ROLLBACK_IN_PROGRESS: a Delete with the physical id the framework answered
        marker = w.physical_id == CREATE_FAILED_MARKER
        delete = event("Delete", intent["ResourceProperties"])
        deleted = operate(w, delete, foreign=how.foreign, foreign_after=how.after)
        state = "ROLLBACK_COMPLETE"
        if not deleted.ok:  # ROLLBACK_FAILED: the user deletes the stack
            w.plan.armed = False
            assert operate(w, delete).ok, f"deleting the stack after ROLLBACK_FAILED failed: {deleted}"
            state = "ROLLBACK_FAILED, deleted"
        if marker:  # answered by the framework itself: the handler never ran
            leftovers = owned_leftovers(w)
            died = (
                failure.request is not None
                and failure.request.waiter is None
                and any(kind == "crash" for kind, _, _ in w.plan.fired_all)
            )
            # The one known gap: a Lambda that dies inside on_event's Create cannot report anything, so the
            # framework answers with its marker. What it made is adopted by the next create of the same
            # application (asserted by the deploy that follows), deleted by the next create under another
            # application name (tests/fleet/test_provider_framework.py), and deleted by hand if the user gives up
            # (docs/blue-green.md, "Known limits").
            assert not leftovers or died, f"the failed create left {leftovers} behind ({failure})"
            if leftovers:
                w.leaked = True
                state += f", left {len(leftovers)} until the next create"
        w.physical_id = None
        return state
    if request_type == "Delete":  # DELETE_FAILED: the user deletes again (and again, if a second fault hits it)
        again = operate(w, intent)
        if again.ok:
            return "DELETE_COMPLETE"
        w.plan.armed = False
        third = operate(w, intent)
        assert third.ok, f"the retried delete failed twice: {again}; {third}"
        return "DELETE_FAILED twice, DELETE_COMPLETE"
    # UPDATE_ROLLBACK_IN_PROGRESS: an Update back to the old properties, while the release may still run.
    rollback = event("Update", intent["OldResourceProperties"], old=intent["ResourceProperties"])
    back = operate(w, rollback, foreign=how.foreign, foreign_after=how.after)
    if back.ok:
        return "UPDATE_ROLLBACK_COMPLETE"
    w.log.append(f"UPDATE_ROLLBACK_FAILED: {back}")
    w.plan.armed = False  # the user fixes the cause, then runs continue-update-rollback: the rollback again
    again = operate(w, rollback)
    assert again.ok, f"continue-update-rollback after {back} did not converge: {again}"
    return "UPDATE_ROLLBACK_FAILED, continued"


def owned_leftovers(w: World) -> list[str]:
    return [n for n, g in w.owned().items()
            if any(t["Key"] == index.OWNER_TAG for t in g.get("Tags", [])) or n.startswith(f"CodeDeploy_{GROUP}_")
            or n.startswith(INITIAL)] + ([GROUP] if (APP, GROUP) in w.codedeploy.groups else [])  # fmt: skip


def cancel_update(w: World, intent: dict[str, Any], *, polls_before: int, stale_polls: int,
                  release: str = "succeed") -> tuple[Outcome, Request]:  # fmt: skip
    """cancel-update-stack while the update's waiter runs: CloudFormation rolls back at once, and the cancelled
    request's waiter keeps polling isComplete with the new properties (aws/aws-cdk#31541), interleaved with the
    rollback's. Returns the rollback's outcome and the cancelled request (its answer goes to nobody)."""
    cancelled = send(w, intent)
    for _ in range(polls_before):
        if cancelled.response is None:
            poll(w, cancelled)
            w.advance("succeed", token=cancelled.event["RequestId"], foreign=None)
    rollback = send(w, event("Update", intent["OldResourceProperties"], old=intent["ResourceProperties"]))
    polls = 0
    while rollback.response is None or (cancelled.response is None and polls < stale_polls):
        if cancelled.response is None and polls < stale_polls:
            poll(w, cancelled, stale=True)
        if rollback.response is None:
            poll(w, rollback)
        polls += 1
        assert polls < MAX_POLLS, f"the rollback of a cancelled update did not complete: {w.log[-6:]}"
        w.advance("succeed", token=rollback.event["RequestId"], foreign=release)
    return conclude(w, rollback), cancelled


# -- the lifecycles ---------------------------------------------------------------------


def version(w: World, v: int, **changes: Any) -> dict[str, Any]:
    return {**w.props, "LaunchTemplateVersion": str(v), **changes}


@dataclass
class Op:
    """One operation of a lifecycle."""

    evt: Callable[[World], dict[str, Any]]
    codedeploy: str = "succeed"
    expect_ok: bool = True


@dataclass
class Lifecycle:
    name: str
    preamble: list[Op]
    ops: list[Op]
    keep_blue: bool = False


def _create(w: World) -> dict[str, Any]:
    return event("Create", w.props)


def _release(v_from: int, v_to: int, **changes: Any) -> Callable[[World], dict[str, Any]]:
    return lambda w: event("Update", version(w, v_to, **changes), old=version(w, v_from))


CREATE = Op(_create)
LIFECYCLES = {
    lc.name: lc
    for lc in (
        Lifecycle("create", [], [CREATE]),
        Lifecycle("unchanged-update", [CREATE], [Op(_release(1, 1))]),
        Lifecycle("release", [CREATE], [Op(_release(1, 2))]),
        Lifecycle(
            "failed-release",
            [CREATE],
            # CodeDeploy fails the release and rolls back; the stack update fails; CloudFormation rolls back.
            [Op(_release(1, 2), codedeploy="fail", expect_ok=False)],
        ),
        Lifecycle("rollback", [CREATE, Op(_release(1, 2))], [Op(_release(2, 1))]),
        Lifecycle("scale", [CREATE], [Op(_release(1, 1, MinSize="3", MaxSize="5"))]),
        Lifecycle(
            "delete", [CREATE, Op(_release(1, 2))], [Op(lambda w: event("Delete", version(w, 2)))], keep_blue=True
        ),
    )
}


def apply(w: World, op: Op, how: Recovery, outcomes: list[str], depth: int = 0) -> None:
    """One operation; when it fails, CloudFormation's recovery, then (for a change the user wants) the deploy
    again, which may meet the plan's next fault."""
    intent = op.evt(w)
    outcome = operate(w, intent, codedeploy=op.codedeploy)
    if outcome.ok:
        assert op.expect_ok, f"{intent['RequestType']} should have failed"
        outcomes.append("ok")
        return
    assert outcome.reason.strip(), "a failure must say why"
    if w.plan.fired is None:  # without a fault only a failed or stopped deployment fails an operation
        assert "CodeDeploy deployment" in outcome.reason, f"unexpected failure: {outcome.reason}"
    state = recover(w, intent, outcome, how)
    outcomes.append(f"failed ({'expected' if not op.expect_ok else 'fault'}), {state}")
    if op.expect_ok and intent["RequestType"] != "Delete":
        if depth >= 2:
            w.plan.armed = False
        apply(w, op, how, outcomes, depth + 1)


def run(
    lc: Lifecycle, plan: FaultPlan | None = None, how: Recovery | None = None
) -> tuple[list[str], dict[str, Any], World]:
    """Run a lifecycle, the fault plan armed for its operations (and their recovery) only.

    Returns each operation's outcome, the end state and the world."""
    plan = plan or FaultPlan()
    outcomes: list[str] = []
    with world(plan) as w:
        if lc.keep_blue:
            w.props["KeepBlue"] = "true"
        for op in lc.preamble:
            assert operate(w, op.evt(w)).ok
        plan.armed = True
        for op in lc.ops:
            apply(w, op, how or Recovery(), outcomes)
        plan.armed = False
        return outcomes, w.signature(), w
