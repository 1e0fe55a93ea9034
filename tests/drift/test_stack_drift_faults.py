"""The stack drift function under a single fault at every AWS call (tests/faults), and over random
sequences of stack changes: it never publishes a wrong verdict, a fault it cannot absorb fails the run
loudly (the CheckFailed alarm), and the next scheduled run publishes the truth.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..faults import KINDS, SURFACING, Fault, FaultPlan, LambdaDied
from ..faults.stack_drift import Stacks, stacks

LONG = os.environ.get("HANDLER_FAULTS", "sample") == "all"
TRUTH = {"network": 0, "shop": 2, "dns": 0}


def seed(w: Stacks) -> None:
    for name, drifted in TRUTH.items():
        w.add(name, drifted)


def truth_of(name: str) -> float:
    return 1.0 if TRUTH[name] else 0.0


def check_calls() -> int:
    plan = FaultPlan()
    with stacks(plan) as w:
        seed(w)
        plan.armed = True
        w.run(*TRUTH)
        return len(plan.calls)


CALLS = check_calls()


@pytest.mark.parametrize("kind", KINDS)
def test_any_single_fault_never_publishes_a_wrong_verdict_and_the_next_run_heals(kind: str) -> None:
    offset = KINDS.index(kind)
    indices = range(1, CALLS + 1) if LONG else (1 + (3 * offset + 1) % CALLS,)
    for at in indices:
        plan = FaultPlan(Fault(kind, at))
        with stacks(plan) as w:
            seed(w)
            plan.armed = True
            try:
                w.run(*TRUTH)
                failed = False
            except (Exception, LambdaDied) as error:
                assert str(error), f"{kind}@{at}: a failure must say why"
                failed = True
            assert plan.fired is not None
            if kind == "throttle":
                assert not failed, f"throttle@{at} ({plan.fired}) was not absorbed by the back-off"
            for name, value in w.cloudwatch.verdicts().items():
                assert value == truth_of(name), (kind, at, plan.fired, name)
            plan.armed = False
            w.run(*TRUTH)  # the next scheduled run: no fault
            assert w.cloudwatch.verdicts() == {n: truth_of(n) for n in TRUTH}, (kind, at, plan.fired)
    assert CALLS >= 10


def test_every_call_is_counted_once_per_stack_and_poll() -> None:
    # 3 x (DescribeStacks, DetectStackDrift), 2 polls per detection, one PutMetricData
    assert CALLS == 3 * 2 + 3 * 2 + 1


# -- the model: random changes, updates and faults between scheduled runs ----------------------------

changes = st.lists(
    st.tuples(
        st.sampled_from(["drift", "fix", "update", "settle", "run"]),
        st.sampled_from(sorted(TRUTH)),
        st.none() | st.builds(Fault, st.sampled_from(SURFACING), st.integers(1, 13)),
    ),
    min_size=1,
    max_size=10,
)


@settings(max_examples=200 if LONG else 10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes)
def test_random_changes_never_publish_a_verdict_that_was_not_true(sequence: list) -> None:  # type: ignore[type-arg]
    plan = FaultPlan()
    with stacks(plan) as w:
        seed(w)
        cfn = w.cloudformation
        for action, name, fault in sequence:
            if action == "drift":
                cfn.truth[name] += 1
            elif action == "fix":
                cfn.truth[name] = 0
            elif action == "update":  # a deploy starts: drift detection is refused, the alarm must not move
                cfn.status[name] = "UPDATE_IN_PROGRESS"
            elif action == "settle":
                cfn.status[name] = "UPDATE_COMPLETE"
            else:
                before = len(w.cloudwatch.published)
                plan.fault, plan.fired, plan.calls, plan.armed = fault, None, [], True
                try:
                    result = w.run(*sorted(TRUTH))
                except (Exception, LambdaDied):
                    result = None
                plan.armed = False
                for stack, metric, value in w.cloudwatch.published[before:]:
                    if metric == "StackDrifted":
                        assert value == (1.0 if cfn.truth[stack] else 0.0), (stack, value, cfn.truth)
                        assert not cfn.status[stack].endswith("_IN_PROGRESS"), "published for a stack being updated"
                if result is not None:
                    for stack in TRUTH:
                        busy = cfn.status[stack].endswith("_IN_PROGRESS")
                        assert result[stack]["result"] in (("busy",) if busy else ("drifted", "in_sync", "in_progress"))
