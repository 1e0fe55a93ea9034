"""Stateful model test of the blue/green handler under the real Provider framework: random sequences of
create, release, failed release, stopped release, rollback, scale, keep-old-fleet changes, cancelled
updates and delete, with faults (tests/faults, botocore's retried responses included) sprinkled in and
CloudFormation's recovery after any failure, checked against the invariants after every step and against
a model of what the stack declares after every operation.

``make test`` runs a short profile; ``make fuzz-handlers`` (HANDLER_FAULTS=all) a long one.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ..faults import BOTOCORE_KINDS, Fault, FaultPlan
from ..faults.blue_green import Recovery, World, cancel_update, event, operate, recover, world

LONG = os.environ.get("HANDLER_FAULTS", "sample") == "all"
faults = st.none() | st.builds(Fault, st.sampled_from(BOTOCORE_KINDS), st.integers(1, 30))
recoveries = st.builds(Recovery, st.sampled_from(["succeed", "fail", "stop"]), st.integers(0, 3))


class BlueGreenMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.plan = FaultPlan()
        self.stack = contextlib.ExitStack()
        self.w: World = self.stack.enter_context(world(self.plan))
        self.declared: dict[str, Any] | None = None  # what the stack declares (None: no resource)
        self.keep_blue = "false"

    def teardown(self) -> None:
        self.stack.close()

    # -- helpers -----------------------------------------------------------------------

    def _apply(self, evt: dict[str, Any], mode: str, fault: Fault | None, how: Recovery | None = None) -> bool:
        """One operation with an optional fault; on failure, CloudFormation's recovery (the fault may fire there).
        Returns True when the change is in effect, False when it was rolled back."""
        self.plan.fault, self.plan.fired, self.plan.calls, self.plan.fired_all = fault, None, [], []
        self.plan.armed = True
        outcome = operate(self.w, evt, codedeploy=mode)
        try:
            if outcome.ok:
                return True
            if self.plan.fired is None:  # no fault: only a failed or stopped deployment may fail an operation
                assert "CodeDeploy deployment" in outcome.reason, outcome.reason
            assert outcome.reason.strip(), "a failure must say why"
            recover(self.w, evt, outcome, how or Recovery())
            return evt["RequestType"] == "Delete"
        finally:
            self.plan.armed = False

    def _props(self, **changes: Any) -> dict[str, Any]:
        assert self.declared is not None
        return {**self.declared, **changes}

    # -- rules ---------------------------------------------------------------------------

    @precondition(lambda self: self.declared is None)
    @rule(fault=faults)
    def create(self, fault: Fault | None) -> None:
        props = {**self.w.props, "KeepBlue": self.keep_blue}
        if self._apply(event("Create", props), "succeed", fault):
            self.declared = props

    @precondition(lambda self: self.declared is not None)
    @rule(version=st.sampled_from(["1", "2", "3"]), mode=st.sampled_from(["succeed", "succeed", "fail", "stop"]),
          min_size=st.sampled_from([None, "1", "3"]), fault=faults, how=recoveries)  # fmt: skip
    def release(self, version: str, mode: str, min_size: str | None, fault: Fault | None, how: Recovery) -> None:
        """A release (or a rollback to an earlier version, or an unchanged update), maybe with a scale change."""
        changes: dict[str, Any] = {"LaunchTemplateVersion": version}
        if min_size is not None:
            changes["MinSize"] = min_size
        new = self._props(**changes)
        assert self.declared is not None
        if self._apply(event("Update", new, old=self.declared), mode, fault, how):
            self.declared = new

    @precondition(lambda self: self.declared is not None)
    @rule(version=st.sampled_from(["1", "2", "3"]), polls_before=st.integers(0, 2), stale_polls=st.integers(0, 6),
          release=st.sampled_from(["succeed", "fail"]))  # fmt: skip
    def cancelled_update(self, version: str, polls_before: int, stale_polls: int, release: str) -> None:
        """cancel-update-stack: the rollback runs while the cancelled request's waiter keeps polling."""
        assert self.declared is not None
        new = self._props(LaunchTemplateVersion=version)
        back, _ = cancel_update(self.w, event("Update", new, old=self.declared), polls_before=polls_before,
                                stale_polls=stale_polls, release=release)  # fmt: skip
        assert back.ok, f"the rollback of a cancelled update failed: {back}"

    @precondition(lambda self: self.declared is not None)
    @rule(keep=st.sampled_from(["true", "false"]), fault=faults)
    def keep_old_fleet(self, keep: str, fault: Fault | None) -> None:
        new = self._props(KeepBlue=keep)
        assert self.declared is not None
        if self._apply(event("Update", new, old=self.declared), "succeed", fault):
            self.declared = new

    @precondition(lambda self: self.declared is not None)
    @rule(fault=faults)
    def delete(self, fault: Fault | None) -> None:
        assert self.declared is not None
        self._apply(event("Delete", self.declared), "succeed", fault)
        self.w.check_deleted("the delete rule")
        self.keep_blue = self.declared["KeepBlue"]
        self.declared = None

    # -- the model -----------------------------------------------------------------------

    @invariant()
    def matches_the_declaration(self) -> None:
        self.w.check("the rule")
        if self.declared is None:
            if not self.w.leaked:  # what a create whose Lambda died in on_event made waits for the next create
                self.w.check_deleted("the rule")
            return
        serving = self.w.serving()
        assert serving is not None
        group = self.w.groups()[serving]
        versions = {str(i["LaunchTemplate"]["Version"]) for i in group["Instances"]}
        assert versions == {self.declared["LaunchTemplateVersion"]}, (
            serving,
            versions,
            self.declared["LaunchTemplateVersion"],
        )
        assert (group["MinSize"], group["MaxSize"]) == (int(self.declared["MinSize"]), int(self.declared["MaxSize"]))
        assert not self.w.active(), "no deployment runs between operations"
        kept = [n for n in self.w.owned() if n != serving]
        assert len(kept) <= 1, f"more than one old fleet kept: {kept}"


BlueGreenMachine.TestCase.settings = settings(
    max_examples=200 if LONG else 3,
    stateful_step_count=25 if LONG else 5,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestBlueGreenModel = BlueGreenMachine.TestCase
