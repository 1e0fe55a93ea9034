"""Every single fault at every AWS call of every lifecycle of the blue/green handler (tests/faults).

For each lifecycle (create, unchanged update, release, failed release, rollback, scale change,
delete), the fault-free run gives the reference end state. Then one fault is injected at the N-th
AWS call of the lifecycle and the run is continued by re-delivering the same event (``retry``) or by
failing the operation and letting CloudFormation recover (``fail``). Either way the invariants hold
after every step and the run ends in the reference end state.

``make test`` runs a fixed sample (two combinations per lifecycle, every fault kind and continuation);
``make fuzz-handlers`` (HANDLER_FAULTS=all) runs every combination.
"""

from __future__ import annotations

import os
import traceback
from functools import cache
from typing import Any

import pytest

from .faults import KINDS, Fault, FaultPlan
from .faults.blue_green import LIFECYCLES, event, operate, run, version, world

EXHAUSTIVE = os.environ.get("HANDLER_FAULTS", "sample") == "all"


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


def combinations(lifecycle: str, calls: int) -> list[tuple[Fault, str]]:
    if EXHAUSTIVE:
        return [(Fault(kind, at), on_fault) for at in range(1, calls + 1) for kind in KINDS
                for on_fault in (("retry", "fail") if kind != "throttle" else ("retry",))]  # fmt: skip
    # The sample: two combinations per lifecycle; fault kinds, call indices and continuations rotate over the
    # lifecycles so that every kind and both continuations run.
    offset = sorted(LIFECYCLES).index(lifecycle)
    return [
        (
            Fault(KINDS[(2 * offset + i) % len(KINDS)], 1 + (5 * offset + 7 * i) % calls),
            ("retry", "fail")[(offset + i) % 2],
        )
        for i in range(2)
    ]


def check_combination(lifecycle: str, fault: Fault, on_fault: str) -> str | None:
    _, want, _ = reference(lifecycle)
    plan = FaultPlan(fault)
    try:
        outcomes, got, _ = run(LIFECYCLES[lifecycle], plan, on_fault=on_fault)
    except AssertionError as error:
        return f"{lifecycle} {fault} ({plan.fired}) {on_fault}: {error}"
    except BaseException as error:
        return (
            f"{lifecycle} {fault} ({plan.fired}) {on_fault}: {type(error).__name__}: {error}\n{traceback.format_exc()}"
        )
    assert plan.fired is not None, f"{fault} never fired: the lifecycle made {len(plan.calls)} calls"
    if got != want:
        return f"{lifecycle} {fault} ({plan.fired}) {on_fault}: end state {got} != fault-free {want}; {outcomes}"
    return None


def test_the_fault_free_lifecycles_make_the_expected_calls() -> None:
    """The reference runs themselves: a release deploys once, a failed release fails then rolls back."""
    assert reference("release")[1]["groups"] == [("serving", "2", ("2",), 2, 4, 2, True)]
    assert reference("failed-release")[0] == ("failed as expected", "ok")
    assert reference("failed-release")[1]["groups"] == [("serving", "1", ("1",), 2, 4, 2, True)]
    assert reference("delete")[1] == {"deployment_group": None, "groups": [], "active_deployments": 0}
    assert reference("scale")[1]["groups"] == [("serving", "1", ("1",), 3, 5, 3, True)]


@pytest.mark.parametrize("lifecycle", sorted(LIFECYCLES))
def test_any_single_fault_converges(lifecycle: str) -> None:
    _, _, calls = reference(lifecycle)
    findings = [
        f for f in (check_combination(lifecycle, fault, on) for fault, on in combinations(lifecycle, calls)) if f
    ]
    assert not findings, "\n\n".join(findings)


# -- the combinations that found bugs, kept as regular tests ----------------------------------------------


@pytest.mark.parametrize(
    ("lifecycle", "kind", "operation", "occurrence", "on_fault"),
    [
        # A lost CreateDeploymentGroup response: create's clean-up deleted the group but left the deployment
        # group it did not know it had made, pointing at a group that no longer existed.
        ("create", "lost", "create_deployment_group", 1, "retry"),
        ("create", "lost", "create_deployment_group", 1, "fail"),
    ],
)
def test_found_by_the_harness(lifecycle: str, kind: str, operation: str, occurrence: int, on_fault: str) -> None:
    fault = Fault(kind, index_of(lifecycle, operation, occurrence))
    assert check_combination(lifecycle, fault, on_fault) is None


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
