"""The blue/green handler under the CDK Provider framework as it really runs.

The framework's runtime is the one shipped in the installed aws-cdk-lib, run in Node
(tests/faults/framework.py); only its three network calls come back to Python. These tests pin the
framework behaviours the handler must live with, then play CloudFormation's real sequences against
the handler: a failed Create (marker and swallowed Delete), isComplete polling and the total timeout,
a cancelled update whose waiter keeps polling next to the rollback's (aws/aws-cdk#31541), a rollback
that starts while the release's deployment still runs, a serving group deleted by hand, and a delete
after UPDATE_ROLLBACK_FAILED.
"""

from __future__ import annotations

import contextlib
import json
import tarfile
from collections.abc import Iterator
from typing import Any

import pytest

from immutable_constructs.fleet.blue_green_handler import index

from ..conftest import Synthesized
from ..faults import LambdaDied
from ..faults.blue_green import (
    APP,
    GROUP,
    PHYSICAL_ID,
    SESSION,
    UNOWNED,
    World,
    cancel_update,
    event,
    finish,
    operate,
    owned_leftovers,
    poll,
    send,
    shared_framework,
    version,
    world,
)
from ..faults.framework import (
    CREATE_FAILED_MARKER,
    IS_COMPLETE_ARN,
    ON_EVENT_ARN,
    RUNTIME_FILES,
    RUNTIME_IN_TARBALL,
    WAITER_BACKOFF_RATE,
    WAITER_INTERVAL_SECONDS,
    WAITER_MAX_ATTEMPTS,
    CloudFormation,
    LambdaService,
    jsii_tarball,
    runtime_dir,
)

# -- the framework itself, with a toy handler ------------------------------------------------------


def test_the_runtime_is_the_one_shipped_in_aws_cdk_lib() -> None:
    with tarfile.open(jsii_tarball()) as archive:
        for name in RUNTIME_FILES:
            shipped = archive.extractfile(RUNTIME_IN_TARBALL + name)
            assert shipped is not None
            assert (runtime_dir() / name).read_bytes() == shipped.read(), name
    source = (runtime_dir() / "cfn-response.js").read_text()
    assert f'CREATE_FAILED_PHYSICAL_ID_MARKER="{CREATE_FAILED_MARKER}"' in source


def toy(on_event: Any, is_complete: Any = None) -> tuple[CloudFormation, list[str]]:
    calls: list[str] = []

    def record(name: str, fn: Any) -> Any:
        def run(payload: dict[str, Any]) -> Any:
            calls.append(f"{name} {payload['RequestType']}")
            return fn(payload)

        return run

    lambdas = LambdaService(record("onEvent", on_event), record("isComplete", is_complete or (lambda e: {})))
    return CloudFormation(shared_framework(), lambdas), calls


def test_a_create_that_fails_in_on_event_gets_the_marker_and_its_delete_never_reaches_the_handler() -> None:
    def on_event(e: dict[str, Any]) -> Any:
        if e["RequestType"] == "Create":
            raise RuntimeError("made an Auto Scaling group, then failed")
        return {"PhysicalResourceId": e["PhysicalResourceId"]}

    cfn, calls = toy(on_event)
    created = cfn.send("Create", {"A": "1"})
    assert created.status == "FAILED"
    assert created.physical_id == CREATE_FAILED_MARKER
    assert "made an Auto Scaling group, then failed" in created.response["Reason"]  # type: ignore[index]
    deleted = cfn.send("Delete", {"A": "1"}, physical_id=created.physical_id)
    assert deleted.status == "SUCCESS"
    assert calls == ["onEvent Create"], "the framework answered CloudFormation's Delete itself"


def test_a_failure_in_is_complete_keeps_the_physical_id_so_the_delete_reaches_the_handler() -> None:
    def is_complete(e: dict[str, Any]) -> Any:
        raise RuntimeError("the fleet never became healthy")

    cfn, calls = toy(lambda e: {"PhysicalResourceId": "app/group"}, is_complete)
    created = cfn.send("Create", {"A": "1"})
    assert created.waiter is not None
    created.waiter.poll()
    assert (created.waiter.response or {})["Status"] == "FAILED"
    assert (created.waiter.response or {})["PhysicalResourceId"] == "app/group"
    cfn.send("Delete", {"A": "1"}, physical_id="app/group")
    assert calls == ["onEvent Create", "isComplete Create", "onEvent Delete"]


def test_is_complete_is_polled_until_complete_and_times_out_after_max_attempts() -> None:
    polls: list[int] = []

    def never(e: dict[str, Any]) -> Any:
        polls.append(1)
        return {"IsComplete": False}

    cfn, _ = toy(lambda e: {"PhysicalResourceId": "app/group", "Data": {"Since": "1"}}, never)
    request = cfn.send("Create", {"A": "1"})
    assert request.waiter is not None
    while request.waiter.running:
        request.waiter.poll()
    assert len(polls) == WAITER_MAX_ATTEMPTS + 1, "the first attempt and MaxAttempts retries"
    response = request.waiter.response or {}
    assert (response["Status"], response["Reason"]) == ("FAILED", "Operation timed out")
    assert response["PhysicalResourceId"] == "app/group", "onTimeout answers with the isComplete request's id"


def test_the_waiter_model_matches_the_state_machine_the_fleet_synthesizes(reference_app: Synthesized) -> None:
    machines = reference_app.resources("AWS::StepFunctions::StateMachine")
    definitions = []
    for machine in machines.values():
        parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
        text = "".join(p if isinstance(p, str) else "ARN" for p in parts)
        definition = json.loads(text)
        # The blue/green fleet's waiter (FirstImage's polls once a minute for 50 minutes: tested in
        # tests/test_deploy_readiness_contracts.py).
        if "framework-isComplete-task" in definition["States"] and "FirstImages" not in json.dumps(parts):
            definitions.append(definition)
    assert definitions, "the reference app has a blue/green fleet with a waiter"
    for definition in definitions:
        task = definition["States"]["framework-isComplete-task"]
        assert task["Retry"] == [
            {
                "ErrorEquals": ["States.ALL"],
                "IntervalSeconds": WAITER_INTERVAL_SECONDS,
                "MaxAttempts": WAITER_MAX_ATTEMPTS,
                "BackoffRate": WAITER_BACKOFF_RATE,
            }
        ]
        assert task["Catch"] == [{"ErrorEquals": ["States.ALL"], "Next": "framework-onTimeout-task"}]


def test_the_user_functions_are_invoked_with_the_event_and_the_response_url() -> None:
    seen: list[dict[str, Any]] = []
    cfn, _ = toy(lambda e: seen.append(e) or {"PhysicalResourceId": "p", "Data": {"K": "v"}},
                 lambda e: seen.append(e) or {"IsComplete": True})  # fmt: skip
    request = cfn.send("Create", {"A": "1"})
    assert request.waiter is not None
    request.waiter.poll()
    on_event, is_complete = seen
    assert on_event["ResponseURL"] == request.event["ResponseURL"]
    assert is_complete["Data"] == {"K": "v"} and is_complete["PhysicalResourceId"] == "p"
    assert is_complete["RequestId"] == request.event["RequestId"], "the token the handler checks on every poll"
    assert [
        name for name, _ in request.waiter.framework.call("isComplete", request.waiter.input, cfn.lambdas).invoked
    ] == [IS_COMPLETE_ARN]
    assert ON_EVENT_ARN.endswith(":OnEvent")


# -- the handler, in CloudFormation's sequences ------------------------------------------------------


@contextlib.contextmanager
def dies_after(module: Any, name: str) -> Iterator[None]:
    """The Lambda dies (out of memory) right after ``module.name`` returned: no except clause runs."""
    original = getattr(module, name)

    def dies(*args: Any, **kwargs: Any) -> Any:
        original(*args, **kwargs)
        raise LambdaDied(f"the Lambda ran out of memory right after {name}")

    setattr(module, name, dies)
    try:
        yield
    finally:
        setattr(module, name, original)


def created(w: World) -> None:
    assert operate(w, event("Create", w.props)).ok


def test_a_create_that_fails_leaves_nothing_after_cloudformations_delete() -> None:
    """The create failed in on_event after making the group; the framework answered with
    its marker and swallowed the Delete, so the group kept running. Now the failure is reported from
    is_complete under the resource's physical id, and CloudFormation's Delete reaches the handler."""
    with world() as w:
        w.codedeploy.fail_next["CreateDeploymentGroup"] = ("InvalidRoleException", "CodeDeploy cannot assume it")
        original = index.delete_group

        def cannot(*args: Any) -> None:  # the in-process clean-up fails too: only CloudFormation's Delete is left
            raise RuntimeError("the clean-up was throttled away")

        index.delete_group = cannot  # type: ignore[assignment]
        try:
            outcome = operate(w, event("Create", w.props))
        finally:
            index.delete_group = original  # type: ignore[assignment]
        assert not outcome.ok and "InvalidRoleException" in outcome.reason
        assert w.physical_id == PHYSICAL_ID, "not the framework's marker"
        assert owned_leftovers(w), "the group is still there before CloudFormation's Delete"
        assert operate(w, event("Delete", w.props)).ok
        assert owned_leftovers(w) == []


@pytest.mark.parametrize("application", ["regenerated", "kept"])
def test_a_create_whose_lambda_died_after_making_the_group_is_cleaned_by_the_next_create(application: str) -> None:
    """The Lambda dies inside the create's on_event right after CreateAutoScalingGroup: nothing can report, so
    the framework answers FAILED with its CREATE_FAILED marker and answers CloudFormation's rollback Delete
    itself; the group keeps running. The rollback deletes the stack's CodeDeploy application, so the next
    deploy (after the user deletes the ROLLBACK_COMPLETE stack) is a Create under a new application name
    (``regenerated``, the default: CloudFormation names the application) or the same one (``kept``: an
    application passed in). Either way that Create leaves only its own fleet, and the stack's Delete nothing."""
    with world() as w:
        first = {**w.props, "ApplicationName": "app-first-deploy"} if application == "regenerated" else w.props
        with dies_after(index, "create_group"):
            died = operate(w, event("Create", first))
        assert not died.ok and w.physical_id == CREATE_FAILED_MARKER
        rollback = send(w, event("Delete", first))
        assert rollback.status == "SUCCESS" and rollback.waiter is None, "answered by the framework itself"
        leftover = [n for n, g in w.groups().items() if index.CREATE_TAG in {t["Key"] for t in g["Tags"]}]
        assert len(leftover) == 1 and w.groups()[leftover[0]]["DesiredCapacity"] == 2, "it keeps running"
        w.physical_id = None  # ROLLBACK_COMPLETE, deleted by the user; the next deploy creates the resource anew
        assert operate(w, event("Create", w.props)).ok
        assert sorted(w.owned()) == [w.serving()], "the next create left only its own fleet"
        tags = {t["Key"]: t["Value"] for t in w.groups()[w.serving() or ""]["Tags"]}
        assert tags[index.CREATE_TAG] == index.CREATE_DONE, "its create reported: not an abandoned create's group"
        assert operate(w, event("Delete", w.props)).ok
        assert owned_leftovers(w) == [] and sorted(w.groups()) == sorted(UNOWNED)


def test_a_rollback_converges_whatever_the_release_deployment_does_later() -> None:
    """The release's Lambda died right after CreateDeployment; CloudFormation rolled back
    while that deployment ran; it failed later and the rollback blamed it on itself (UPDATE_ROLLBACK_FAILED)."""
    for later in ("fail", "succeed", "stop"):
        with world() as w:
            created(w)
            release = event("Update", version(w, 2), old=version(w, 1))
            with dies_after(index, "start_release"):
                failed = operate(w, release)
            assert not failed.ok and len(w.active()) == 1
            rollback = event("Update", version(w, 1), old=version(w, 2))
            back = operate(w, rollback, foreign=later, foreign_after=2)
            assert back.ok, f"{later}: {back}"
            serving = w.groups()[w.serving() or ""]
            assert {str(i["LaunchTemplate"]["Version"]) for i in serving["Instances"]} == {"1"}, later


CANCELLED = [(0, 8, "succeed"), (1, 8, "succeed"), (0, 8, "fail"), (0, 2, "stop")]


@pytest.mark.parametrize(("polls_before", "stale_polls", "release"), CANCELLED)
def test_a_cancelled_update_s_waiter_never_changes_the_fleet(polls_before: int, stale_polls: int, release: str) -> None:
    """The cancelled request's waiter kept converging the fleet to the new version next to the
    rollback's waiter. Every mutating call of the stale waiter raises in the harness (World.watch_mutations)."""
    with world() as w:
        created(w)
        intent = event("Update", version(w, 2), old=version(w, 1))
        back, cancelled = cancel_update(w, intent, polls_before=polls_before, stale_polls=stale_polls, release=release)
        assert back.ok, back
        serving = w.groups()[w.serving() or ""]
        assert str(serving["LaunchTemplate"]["Version"]) == "1"
        assert {str(i["LaunchTemplate"]["Version"]) for i in serving["Instances"]} == {"1"}
        if cancelled.response is not None:
            assert cancelled.status == "FAILED" and "superseded" in cancelled.response["Reason"]
        for _ in range(3):  # the stale waiter polls on after the rollback finished: still nothing changes
            if cancelled.response is None:
                poll(w, cancelled, stale=True)
        assert cancelled.status == "FAILED" and "superseded" in (cancelled.response or {})["Reason"]
        assert w.signature()["active_deployments"] == 0


@pytest.mark.parametrize("then", ["release", "settings", "rollback"])
def test_a_serving_group_deleted_by_hand_is_repaired(then: str) -> None:
    """Every update and its rollback failed with "Auto Scaling group ... does not exist"."""
    with world() as w:
        created(w)
        want = "1"
        if then == "rollback":  # a release that fails, then the group goes missing before the rollback
            assert not operate(w, event("Update", version(w, 2), old=version(w, 1)), codedeploy="fail").ok
        w.autoscaling.delete_auto_scaling_group(AutoScalingGroupName=w.serving(), ForceDelete=True)
        if then == "release":
            outcome = operate(w, event("Update", version(w, 2), old=version(w, 1)))
            want = "2"
        elif then == "settings":
            outcome = operate(w, event("Update", version(w, 1, MaxSize="5"), old=version(w, 1)))
        else:
            outcome = operate(w, event("Update", version(w, 1), old=version(w, 2)))
        assert outcome.ok, outcome
        serving = w.groups()[w.serving() or ""]
        assert {str(i["LaunchTemplate"]["Version"]) for i in serving["Instances"]} == {want}
        assert len(serving["Instances"]) == 2


@pytest.mark.parametrize("keep_blue", ["false", "true"])
def test_a_deployment_group_deleted_by_hand_is_made_again_for_the_group_that_served(keep_blue: str) -> None:
    """After releases, the serving group is CodeDeploy's green group. The deployment group is deleted by hand, then
    an update comes: before the fix it made a new first group and a deployment group for it, and the old green
    group kept running, registered in the target group beside it (with a kept blue group too). Now the deployment
    group is made for the group that served last, and once the fleet is healthy no other group of it is left."""
    with world() as w:
        w.props["KeepBlue"] = keep_blue
        created(w)
        assert operate(w, event("Update", version(w, 2), old=version(w, 1))).ok
        green = w.serving()
        assert green is not None and green.startswith(f"CodeDeploy_{GROUP}_")
        w.aws.codedeploy.delete_deployment_group(applicationName=APP, deploymentGroupName=GROUP)
        outcome = operate(w, event("Update", version(w, 2, MaxSize="5"), old=version(w, 2)))
        assert outcome.ok, outcome
        assert w.serving() == green, "the deployment group is made again for the group that served"
        assert sorted(w.owned()) == [green], "no other group of the fleet is left running or registered"
        groups = w.groups()
        assert groups[green]["MaxSize"] == 5
        assert {str(i["LaunchTemplate"]["Version"]) for i in groups[green]["Instances"]} == {"2"}
        health = w.elbv2.describe_target_health(TargetGroupArn=w.props["TargetGroupArn"])["TargetHealthDescriptions"]
        running = {  # moto leaves terminated instances registered; AWS deregisters them
            i["InstanceId"]
            for r in SESSION.client("ec2").describe_instances(
                Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}]
            )["Reservations"]
            for i in r["Instances"]
        }
        registered = {d["Target"]["Id"] for d in health} & running
        assert registered == {i["InstanceId"] for i in groups[green]["Instances"]}, "only the serving group's"
        assert operate(w, event("Delete", version(w, 2, MaxSize="5"))).ok
        assert owned_leftovers(w) == []


def test_a_deployment_group_deleted_while_a_deployment_ran_is_made_again_for_the_group_that_serves() -> None:
    """Deleted mid-deployment, the deployment group leaves CodeDeploy's half-made green group, newer than the
    blue group that still serves: the deployment group is made again for blue (the most healthy instances in
    the target group), not for the newest group, and the half-made one goes once the fleet is healthy."""
    with world() as w:
        created(w)
        blue = w.serving()
        half_made = f"CodeDeploy_{GROUP}_d-HALFMADE1"
        w.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=half_made, LaunchTemplate={"LaunchTemplateId": w.props["LaunchTemplateId"],
            "Version": "2"}, MinSize=0, MaxSize=4, DesiredCapacity=0, VPCZoneIdentifier=w.props["SubnetIds"][0],
            Tags=[{"ResourceId": half_made, "ResourceType": "auto-scaling-group", "Key": index.OWNER_TAG,
                   "Value": PHYSICAL_ID, "PropagateAtLaunch": False}],
        )  # fmt: skip
        w.aws.codedeploy.delete_deployment_group(applicationName=APP, deploymentGroupName=GROUP)
        outcome = operate(w, event("Update", version(w, 1, MaxSize="5"), old=version(w, 1)))
        assert outcome.ok, outcome
        assert w.serving() == blue and sorted(w.owned()) == [blue]
        assert {str(i["LaunchTemplate"]["Version"]) for i in w.groups()[blue]["Instances"]} == {"1"}


def test_delete_after_update_rollback_failed_removes_everything() -> None:
    """UPDATE_ROLLBACK_FAILED (here: the rollback's Lambda died), then the stack is deleted."""
    with world() as w:
        created(w)
        release = event("Update", version(w, 2), old=version(w, 1))
        assert not operate(w, release, codedeploy="fail").ok
        rollback = event("Update", version(w, 1), old=version(w, 2))
        original = index.update

        def dies(*args: Any, **kwargs: Any) -> Any:
            raise LambdaDied("the rollback's Lambda died")

        index.update = dies  # type: ignore[assignment]
        try:
            assert not operate(w, rollback).ok  # UPDATE_ROLLBACK_FAILED
        finally:
            index.update = original  # type: ignore[assignment]
        assert operate(w, event("Delete", version(w, 1))).ok
        assert owned_leftovers(w) == [] and (APP, GROUP) not in w.codedeploy.groups


def test_continue_update_rollback_converges() -> None:
    with world() as w:
        created(w)
        assert not operate(w, event("Update", version(w, 2), old=version(w, 1)), codedeploy="fail").ok
        rollback = event("Update", version(w, 1), old=version(w, 2))
        first = send(w, rollback)
        assert first.waiter is not None
        w.codedeploy.fail_next["ListDeployments"] = ("AccessDeniedException", "the role lost a permission")
        poll(w, first)
        assert first.status == "FAILED"  # UPDATE_ROLLBACK_FAILED; the user fixes the role, then continues
        again = send(w, rollback)
        assert finish(w, again).ok
