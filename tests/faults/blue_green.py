"""The blue/green handler under fault injection: a world (moto + the CodeDeploy fake), a driver that
plays the CDK Provider framework, CloudFormation and CodeDeploy, the invariants, and the lifecycles.

The driver invokes ``on_event`` once and ``is_complete`` until it answers complete, letting CodeDeploy
progress a running deployment between polls. After every handler invocation and every CodeDeploy step
it checks the invariants (``check``). A fault that surfaces as an error is continued one of two ways:

* ``retry``: the same event is handed to the handler again (CloudFormation re-delivers a request, the
  Provider framework polls again, or the invocation is repeated after the Lambda died);
* ``fail``: the operation fails, as the Provider framework reports any handler error to CloudFormation;
  CloudFormation then recovers (a Delete after a failed create, the rollback Update after a failed
  update, a retried delete), and the user deploys again.
"""

from __future__ import annotations

import contextlib
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
from . import FaultPlan, FaultyClient, LambdaDied

REGION = "us-east-1"
APP = "app"
GROUP = "Stack-Api-0123ABCD"
PHYSICAL_ID = f"{APP}/{GROUP}"
INITIAL = f"{GROUP}-{hashlib.sha256(PHYSICAL_ID.encode()).hexdigest()[:8]}"
#: Groups that are not this resource's: an unrelated one, and another application's green group of the same name.
UNOWNED = ("someone-elses-group", f"CodeDeploy_{GROUP}_d-OTHERAPP1")
MUTATING = {"create_auto_scaling_group", "update_auto_scaling_group", "delete_auto_scaling_group",
            "create_or_update_tags", "enable_metrics_collection"}  # fmt: skip
MAX_STEPS = 25
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
        if service == "autoscaling" and operation in MUTATING:
            names = {kwargs.get("AutoScalingGroupName")} | {t.get("ResourceId") for t in kwargs.get("Tags", [])}
            if names & set(UNOWNED):
                raise InvariantBroken(f"{operation} touched an unowned group: {kwargs}")

    # -- CodeDeploy's side -----------------------------------------------------------

    def advance(self, mode: str) -> None:
        """One step of CodeDeploy: a running deployment succeeds (or fails and rolls back, ``mode='fail'``)."""
        for deployment_id in self.active():
            record = self.codedeploy.deployments[deployment_id]
            if any(d.get("rollbackInfo", {}).get("rollbackDeploymentId") == deployment_id
                   for d in self.codedeploy.deployments.values()):  # fmt: skip
                record["status"] = "Succeeded"  # CodeDeploy's own rollback: blue serves again
            elif mode == "fail":
                self.codedeploy.fail(deployment_id)
            elif mode == "stop":  # stopped by hand (or an alarm without rollback): blue keeps serving
                record["status"] = "Stopped"
                record["errorInformation"] = {"code": "DEPLOYMENT_STOPPED", "message": "stopped by a user"}
            else:
                self.codedeploy.succeed(deployment_id)
            self.check(f"CodeDeploy {mode} {deployment_id}")


def _shape(group: dict[str, Any] | None) -> Any:
    if group is None:
        return None
    instances = sorted(i["InstanceId"] for i in group["Instances"])
    tags = sorted((t["Key"], t["Value"]) for t in group["Tags"])
    return (group["LaunchTemplate"]["Version"], group["MinSize"], group["MaxSize"], instances, tags)


@contextlib.contextmanager
def world(plan: FaultPlan | None = None) -> Iterator[World]:
    plan = plan or FaultPlan()
    env = {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    with (
        mock.patch.dict("os.environ", env),
        mock.patch.object(index, "sleep", lambda seconds: None),
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
        groups = w.groups()
        w.unowned = {name: _shape(groups[name]) for name in UNOWNED}
        plan.observers.append(w.watch_mutations)
        yield w


# -- the driver -----------------------------------------------------------------------


def event(request: str, props: dict[str, Any], old: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"RequestType": request, "ResourceProperties": props, "RequestId": "r-1"}
    if request != "Create":
        body["PhysicalResourceId"] = PHYSICAL_ID
    if old is not None:
        body["OldResourceProperties"] = old
    return body


@dataclass
class Outcome:
    ok: bool
    error: BaseException | None = None

    def __str__(self) -> str:
        return "ok" if self.ok else f"failed: {type(self.error).__name__}: {self.error}"


def operate(w: World, evt: dict[str, Any], *, codedeploy: str = "succeed", on_fault: str = "retry") -> Outcome:
    """One CloudFormation operation through the Provider framework. Returns how it ended."""
    request = evt["RequestType"]
    if request == "Delete":
        w.exists = False
    started: dict[str, Any] | None = None
    retried = False
    for step in range(MAX_STEPS):
        where = f"{request} step {step}"
        fired_before = w.plan.fired
        try:
            if started is None:
                started = index.on_event(evt, None, w.aws)
                w.log.append(f"{where}: on_event")
            else:
                result = index.is_complete({**evt, **started}, None, w.aws)
                w.log.append(f"{where}: is_complete {result['IsComplete']}")
                if result["IsComplete"]:
                    if request == "Create" or (request == "Update" and not w.exists):
                        w.exists = True
                    w.check(where)
                    if request == "Delete":
                        w.check_deleted(where)
                    return Outcome(True)
        except (Exception, LambdaDied) as error:
            w.log.append(f"{where}: raised {type(error).__name__}: {error}")
            w.check(f"{where} ({type(error).__name__})")
            injected_now = w.plan.fired is not None and fired_before is None
            if injected_now and on_fault == "retry" and not retried:
                retried = True
                continue  # the same event again
            return Outcome(False, error)
        w.check(where)
        if started is not None and step > 0:
            w.advance(codedeploy)
    raise AssertionError(f"{request} did not complete in {MAX_STEPS} steps: {w.log[-6:]}")


# -- the lifecycles ---------------------------------------------------------------------


def version(w: World, v: int, **changes: Any) -> dict[str, Any]:
    return {**w.props, "LaunchTemplateVersion": str(v), **changes}


@dataclass
class Op:
    """One operation of a lifecycle and how CloudFormation recovers when it fails."""

    evt: Callable[[World], dict[str, Any]]
    codedeploy: str = "succeed"
    expect_ok: bool = True
    recovery: str = "rollback"  # "delete" (a failed create), "rollback" (a failed update), "retry" (delete, a rollback)


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


CREATE = Op(_create, recovery="delete")
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
            [Op(_release(1, 2), codedeploy="fail", expect_ok=False), Op(_release(2, 1), recovery="retry")],
        ),
        Lifecycle("rollback", [CREATE, Op(_release(1, 2))], [Op(_release(2, 1))]),
        Lifecycle("scale", [CREATE], [Op(_release(1, 1, MinSize="3", MaxSize="5"))]),
        Lifecycle(
            "delete",
            [CREATE, Op(_release(1, 2))],
            [Op(lambda w: event("Delete", version(w, 2)), recovery="retry")],
            keep_blue=True,
        ),
    )
}


def _recover(w: World, op: Op, evt: dict[str, Any], failure: Outcome) -> None:
    """CloudFormation's answer to a failed operation, then the user's next deploy; both fault-free."""
    w.plan.armed = False
    if op.recovery == "retry":
        again = operate(w, evt)
        assert again.ok, f"retrying {evt['RequestType']} after {failure} did not converge: {again}"
        return
    if op.recovery == "delete":  # the create failed: CloudFormation deletes the resource ...
        deleted = operate(w, event("Delete", evt["ResourceProperties"]))
        assert deleted.ok, f"CloudFormation's delete after the failed create did not converge: {deleted}"
    else:  # the update failed: CloudFormation rolls back to the old properties ...
        back = operate(w, event("Update", evt["OldResourceProperties"], old=evt["ResourceProperties"]))
        assert back.ok, f"CloudFormation's rollback after {failure} did not converge: {back}"
    again = operate(w, evt)  # ... and the user deploys the change again
    assert again.ok, f"deploying again after {failure} and recovery did not converge: {again}"


def run(
    lc: Lifecycle, plan: FaultPlan | None = None, on_fault: str = "retry"
) -> tuple[list[str], dict[str, Any], World]:
    """Run a lifecycle, the fault plan armed for its operations only.

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
            evt = op.evt(w)
            outcome = operate(w, evt, codedeploy=op.codedeploy, on_fault=on_fault)
            if not outcome.ok:
                assert str(outcome.error).strip(), f"{type(outcome.error).__name__} with no message"
                if plan.fired is None:  # without a fault only a failed or stopped deployment fails an operation
                    assert isinstance(outcome.error, index.DeploymentFailed), f"unexpected failure: {outcome}"
            if op.expect_ok and not outcome.ok:
                _recover(w, op, evt, outcome)
                outcomes.append("recovered")
            elif not op.expect_ok:
                # The operation must fail (a fault may make it fail earlier); CloudFormation's rollback is the next op.
                assert not outcome.ok, f"{evt['RequestType']} should have failed"
                outcomes.append("failed as expected")
            else:
                outcomes.append("ok")
        plan.armed = False
        return outcomes, w.signature(), w
