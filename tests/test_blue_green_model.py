"""Stateful model test of the blue/green handler: random sequences of create, release, failed release,
stopped release, rollback, scale, keep-old-fleet changes and delete, with single faults (tests/faults)
sprinkled in, checked against the invariants after every step and against a model of what the stack
declares after every operation.

``make test`` runs a short profile; ``make fuzz-handlers`` (HANDLER_FAULTS=all) a long one.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from immutable_constructs.fleet.blue_green_handler import index

from .faults import KINDS, Fault, FaultPlan
from .faults.blue_green import World, event, operate, world

LONG = os.environ.get("HANDLER_FAULTS", "sample") == "all"
faults = st.none() | st.tuples(st.builds(Fault, st.sampled_from(KINDS), st.integers(1, 30)),
                               st.sampled_from(["retry", "fail"]))  # fmt: skip


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

    def _apply(self, evt: dict[str, Any], mode: str, fault: tuple[Fault, str] | None) -> bool:
        """One operation with an optional fault; on failure, CloudFormation's recovery (fault-free).
        Returns True when the change is in effect, False when it was rolled back."""
        self.plan.fault, self.plan.fired, self.plan.calls = (fault[0] if fault else None), None, []
        self.plan.armed = True
        outcome = operate(self.w, evt, codedeploy=mode, on_fault=fault[1] if fault else "retry")
        self.plan.armed = False
        if outcome.ok:
            assert mode == "succeed" or not self.w.codedeploy.started() or True
            return True
        error = outcome.error
        if self.plan.fired is None:  # no fault: only a failed or stopped deployment may fail an operation
            assert isinstance(error, index.DeploymentFailed), f"{type(error).__name__}: {error}"
        assert str(error).strip(), "a failure must say why"
        request = evt["RequestType"]
        if request == "Create":
            assert operate(self.w, event("Delete", evt["ResourceProperties"])).ok, "CloudFormation's delete"
        elif request == "Update":
            back = operate(self.w, event("Update", evt["OldResourceProperties"], old=evt["ResourceProperties"]))
            assert back.ok, f"CloudFormation's rollback after {outcome} did not converge: {back}"
        else:
            assert operate(self.w, evt).ok, "the retried delete did not converge"
            return True
        return False

    def _props(self, **changes: Any) -> dict[str, Any]:
        assert self.declared is not None
        return {**self.declared, **changes}

    # -- rules ---------------------------------------------------------------------------

    @precondition(lambda self: self.declared is None)
    @rule(fault=faults)
    def create(self, fault: tuple[Fault, str] | None) -> None:
        props = {**self.w.props, "KeepBlue": self.keep_blue}
        if self._apply(event("Create", props), "succeed", fault):
            self.declared = props

    @precondition(lambda self: self.declared is not None)
    @rule(version=st.sampled_from(["1", "2", "3"]), mode=st.sampled_from(["succeed", "succeed", "fail", "stop"]),
          min_size=st.sampled_from([None, "1", "3"]), fault=faults)  # fmt: skip
    def release(self, version: str, mode: str, min_size: str | None, fault: tuple[Fault, str] | None) -> None:
        """A release (or a rollback to an earlier version, or an unchanged update), maybe with a scale change."""
        changes: dict[str, Any] = {"LaunchTemplateVersion": version}
        if min_size is not None:
            changes["MinSize"] = min_size
        new = self._props(**changes)
        assert self.declared is not None
        if self._apply(event("Update", new, old=self.declared), mode, fault):
            self.declared = new

    @precondition(lambda self: self.declared is not None)
    @rule(keep=st.sampled_from(["true", "false"]), fault=faults)
    def keep_old_fleet(self, keep: str, fault: tuple[Fault, str] | None) -> None:
        new = self._props(KeepBlue=keep)
        assert self.declared is not None
        if self._apply(event("Update", new, old=self.declared), "succeed", fault):
            self.declared = new

    @precondition(lambda self: self.declared is not None)
    @rule(fault=faults)
    def delete(self, fault: tuple[Fault, str] | None) -> None:
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
