"""Faults at every AWS call of every lifecycle of the blue/green handler, under the real Provider
framework (tests/faults).

For each lifecycle (create, unchanged update, release, failed release, rollback, scale change, delete)
the fault-free run gives the reference end state. Then faults are injected at the N-th AWS call of the
lifecycle, with botocore's retry of a lost response among the kinds. A failed operation is continued
the way CloudFormation continues it (rollback Delete or Update, continue-update-rollback, a retried
delete, then the user's deploy again), while the failed request's own deployment ends either way at
some poll of the recovery. The invariants hold after every step and the run ends in the reference end
state.

``make test`` runs a fixed sample (per lifecycle two single faults and one pair, rotating over every
kind, lifecycle and recovery variant); ``make fuzz-handlers`` (HANDLER_FAULTS=all) runs every kind at
every call, and pairs of faults one to four calls apart from every call on.
"""

from __future__ import annotations

import os
import traceback
from functools import cache
from typing import Any

import pytest

from ..conftest import Synthesized
from ..faults import BOTOCORE_KINDS, Fault, FaultPlan
from ..faults.blue_green import LIFECYCLES, Recovery, event, operate, run, version, world

EXHAUSTIVE = os.environ.get("HANDLER_FAULTS", "sample") == "all"
RECOVERIES = (Recovery("succeed", 0), Recovery("fail", 0), Recovery("succeed", 2), Recovery("fail", 3),
              Recovery("stop", 1))  # fmt: skip
KINDS = BOTOCORE_KINDS


@cache
def reference(lifecycle: str) -> tuple[tuple[str, ...], dict[str, Any], int]:
    plan = FaultPlan()
    outcomes, signature, _ = run(LIFECYCLES[lifecycle], plan)
    CALLS[lifecycle] = tuple(plan.calls)
    return tuple(outcomes), signature, len(plan.calls)


CALLS: dict[str, tuple[tuple[str, str], ...]] = {}


def index_of(lifecycle: str, operation: str, occurrence: int = 1) -> int:
    """The 1-based index of the ``occurrence``-th call of ``operation`` in the fault-free lifecycle."""
    reference(lifecycle)
    found = [i for i, (_, op) in enumerate(CALLS[lifecycle], 1) if op == operation]
    return found[occurrence - 1]


def combinations(lifecycle: str, calls: int) -> list[tuple[tuple[Fault, ...], Recovery]]:
    if EXHAUSTIVE:
        # Every kind at every call (the recovery variant rotates), then pairs: a crash, a botocore-retried
        # response or a 5xx at every call, followed by a second fault one to four calls later (often in the
        # recovery: the rollback, the Delete, the retried deploy).
        singles = [((Fault(kind, at),), RECOVERIES[(at + k) % len(RECOVERIES)])
                   for at in range(1, calls + 1) for k, kind in enumerate(KINDS)]  # fmt: skip
        firsts = ("crash", "retried", "server", "lost")
        pairs = [((Fault(firsts[(a + gap) % len(firsts)], a), Fault(KINDS[(a * gap) % len(KINDS)], a + gap)),
                  RECOVERIES[(a + gap) % len(RECOVERIES)])
                 for a in range(1, calls + 1) for gap in range(1, 5)]  # fmt: skip
        return singles + pairs
    # The sample: per lifecycle two single faults and one pair (its second fault often lands in the
    # recovery); kinds, call indices and recoveries rotate over the lifecycles so every kind runs.
    offset = sorted(LIFECYCLES).index(lifecycle)
    singles = [
        ((Fault(KINDS[(2 * offset + i) % len(KINDS)], 1 + (5 * offset + 7 * i) % calls),),
         RECOVERIES[(offset + i) % len(RECOVERIES)])
        for i in range(2)
    ]  # fmt: skip
    first = 1 + (3 * offset) % calls
    pair = ((Fault("crash", first), Fault(KINDS[offset % len(KINDS)], first + 4)), RECOVERIES[offset % len(RECOVERIES)])
    return [*singles, pair]


def check_combination(lifecycle: str, faults: tuple[Fault, ...], how: Recovery) -> str | None:
    _, want, _ = reference(lifecycle)
    plan = FaultPlan(faults[0], more=faults[1:])
    label = f"{lifecycle} {'+'.join(map(str, faults))} ({plan.fired_all}) recovery {how}"
    try:
        outcomes, got, w = run(LIFECYCLES[lifecycle], plan, how)
    except AssertionError as error:
        return f"{label}: {error}"
    except BaseException as error:
        return f"{label}: {type(error).__name__}: {error}\n{traceback.format_exc()}"
    assert plan.fired is not None, f"{faults[0]} never fired: the lifecycle made {len(plan.calls)} calls"
    if got != want:
        return f"{label}: end state {got} != fault-free {want}; {outcomes}; {w.log[-8:]}"
    SEEN.append((lifecycle, len(plan.fired_all), tuple(outcomes)))
    return None


SEEN: list[tuple[str, int, tuple[str, ...]]] = []


def test_the_fault_free_lifecycles_make_the_expected_calls() -> None:
    """The reference runs themselves: a release deploys once, a failed release fails then rolls back."""
    assert reference("release")[1]["groups"] == [("serving", "2", ("2",), 2, 4, 2, True)]
    assert reference("failed-release")[0] == ("failed (expected), UPDATE_ROLLBACK_COMPLETE",)
    assert reference("failed-release")[1]["groups"] == [("serving", "1", ("1",), 2, 4, 2, True)]
    assert reference("delete")[1] == {"deployment_group": None, "groups": [], "active_deployments": 0}
    assert reference("scale")[1]["groups"] == [("serving", "1", ("1",), 3, 5, 3, True)]


@pytest.mark.parametrize("lifecycle", sorted(LIFECYCLES))
def test_faults_converge(lifecycle: str) -> None:
    _, _, calls = reference(lifecycle)
    findings = [
        f for f in (check_combination(lifecycle, faults, how) for faults, how in combinations(lifecycle, calls)) if f
    ]
    assert not findings, "\n\n".join(findings)


# -- the combinations that found bugs, kept as regular tests ----------------------------------------------


@pytest.mark.parametrize(
    ("lifecycle", "kind", "operation", "occurrence", "how"),
    [
        # A lost CreateDeploymentGroup response: create's clean-up deleted the group but left the deployment
        # group it did not know it had made, pointing at a group that no longer existed.
        ("create", "lost", "create_deployment_group", 1, Recovery()),
        # Issue 20: a failure right after CreateAutoScalingGroup (its second call) left the group running.
        ("create", "server", "enable_metrics_collection", 1, Recovery()),
        # Issue 20: botocore retried a lost CreateDeploymentGroup: DeploymentGroupAlreadyExistsException.
        ("create", "retried", "create_deployment_group", 1, Recovery()),
        # Issue 20: botocore retried a lost CreateDeployment: DeploymentLimitExceededException for the
        # release's own deployment.
        ("release", "retried", "create_deployment", 1, Recovery()),
        # Issue 20: the Lambda died right after CreateDeployment; the rollback began while the release ran,
        # and the release failed (or succeeded) later: the rollback blamed it on itself.
        ("release", "crash", "create_deployment", 1, Recovery("fail", 2)),
        ("release", "crash", "create_deployment", 1, Recovery("succeed", 2)),
        ("release", "crash", "create_deployment", 1, Recovery("stop", 0)),
    ],
)
def test_found_by_the_harness(lifecycle: str, kind: str, operation: str, occurrence: int, how: Recovery) -> None:
    fault = Fault(kind, index_of(lifecycle, operation, occurrence))
    assert check_combination(lifecycle, (fault,), how) is None


def test_a_release_with_a_scale_up_launches_no_new_version_into_the_serving_fleet() -> None:
    """Found by the invariant check (the serving group ran versions 1 and 2): converge() gave the blue group the
    new version and the new capacity at once, so Auto Scaling launched an untested version-2 instance into the
    fleet that serves, before CodeDeploy's checks. Now the capacity follows on the green group."""
    with world() as w:
        assert operate(w, event("Create", w.props)).ok
        evt = event("Update", version(w, 2, MinSize="3"), old=w.props)
        assert operate(w, evt).ok  # the invariants are checked after every step
        serving = w.groups()[w.serving() or ""]
        assert serving["MinSize"] == 3
        assert sorted(str(i["LaunchTemplate"]["Version"]) for i in serving["Instances"]) == ["2", "2", "2"]


def test_every_call_the_handler_makes_is_allowed_by_its_policy(reference_app: Synthesized) -> None:
    """Every AWS API the handler calls in the lifecycles (and their recovery) has its action in the handler's
    policy: a call added to the handler without its permission fails here, not in the first real deploy."""
    prefixes = {"autoscaling": "autoscaling", "codedeploy": "codedeploy", "elbv2": "elasticloadbalancing"}
    called: set[str] = set()
    for lifecycle in LIFECYCLES:
        reference(lifecycle)
        called |= {
            f"{prefixes[service]}:{''.join(w.title() for w in op.split('_'))}" for service, op in CALLS[lifecycle]
        }
    allowed: set[str] = set()
    for policy in reference_app.resources("AWS::IAM::Policy").values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        if any(s.get("Sid") == "OwnTheDeploymentGroup" for s in statements):
            for statement in statements:
                actions = statement["Action"]
                allowed |= {actions} if isinstance(actions, str) else set(actions)
    assert allowed, "the reference app has a blue/green fleet"
    assert "codedeploy:TagResource" in called and "codedeploy:ListTagsForResource" in called
    assert called <= allowed, sorted(called - allowed)
