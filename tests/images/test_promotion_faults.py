"""The promotion function under single faults at every AWS call, and under duplicate, out-of-order and
late Image Builder events (tests/faults). It never promotes an image that did not pass, and never
promotes the same image twice as two versions of the channel parameter.

EventBridge invokes the function asynchronously: a failed invocation is retried with the same event,
and an event can arrive twice. So every faulted run is followed by a re-delivery of the same event.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from immutable_constructs.images.promotion_handler import handler_runtime as runtime

from ..faults import KINDS, SURFACING, Fault, FaultPlan, LambdaDied
from ..faults.promotion import REGIONS, TARGET, Images, images

LONG = os.environ.get("HANDLER_FAULTS", "sample") == "all"


def seed_stable(w: Images) -> dict[str, str]:
    """Stable already holds an earlier image in both regions."""
    w.plan.armed = False
    w.add_image("old")
    for region, ami in w.images["old"].items():
        w.ssm[region].put_parameter(Name=TARGET, Value=ami, Type="String", DataType="aws:ec2:image")
    return w.images["old"]


def no_image_twice(w: Images) -> None:
    for region in REGIONS:
        history = w.stable(region)
        assert len(history) == len(set(history)), f"{region}: an image was promoted twice: {history}"


def promote_calls() -> int:
    plan = FaultPlan()
    with images(plan) as w:
        seed_stable(w)
        arn = w.add_image("new")
        plan.armed = True
        assert w.promote(arn)["promoted"] is True
        return len(plan.calls)


CALLS = promote_calls()


@pytest.mark.parametrize("kind", KINDS)
def test_any_single_fault_then_redelivery_promotes_once(kind: str) -> None:
    # Every call index in the long profile; in make test one per kind, spread over the calls.
    offset = KINDS.index(kind)
    indices = range(1, CALLS + 1) if LONG else (1 + (4 * offset + 2) % CALLS,)
    for at in indices:
        plan = FaultPlan(Fault(kind, at))
        with images(plan) as w:
            old = seed_stable(w)
            arn = w.add_image("new")
            new = w.images["new"]
            plan.armed = True
            try:
                w.promote(arn)
            except (Exception, LambdaDied) as error:
                assert str(error), f"{kind}@{at}: a failure must say why"
            plan.armed = False
            assert plan.fired is not None
            for region in REGIONS:  # in between: stable is the old or the new image, nothing else
                assert w.stable(region)[-1] in (old[region], new[region]), (kind, at, plan.fired)
            assert w.promote(arn)["promoted"] is True, f"{kind}@{at} ({plan.fired}): the re-delivery did not promote"
            for region in REGIONS:
                assert w.stable(region) == [old[region], new[region]], (kind, at, plan.fired, w.stable(region))
                assert new[region] in w.kept(region)
    assert CALLS >= 10


def test_duplicate_events_promote_once() -> None:
    with images() as w:
        arn = w.add_image("a")
        assert w.promote(arn)["promoted"] is True
        assert w.promote(arn)["promoted"] is True
        assert w.stable(REGIONS[0]) == [w.images["a"][REGIONS[0]]]


@pytest.mark.parametrize("kind", ["lost", "server", "connection", "throttle"])
def test_an_overwrite_whose_answer_is_lost_is_not_written_twice(kind: str) -> None:
    """Stable already holds an image: the new one is an overwrite (PutParameter with Overwrite), which is not
    idempotent. Found by the model test below (events a then b, b's overwrite response lost): the runtime's
    retry wrote b a second time, two versions of the same AMI."""
    clean = FaultPlan()
    with images(clean) as w:
        seed_stable(w)
        arn = w.add_image("new")
        clean.armed = True
        w.promote(arn)
    overwrite = 1 + clean.calls.index((f"ssm:{REGIONS[0]}", "put_parameter"))
    plan = FaultPlan(Fault(kind, overwrite))
    with images(plan) as w:
        old = seed_stable(w)
        arn = w.add_image("new")
        plan.armed = True
        try:
            w.promote(arn)
        except Exception as error:  # the invocation fails: EventBridge delivers the event again
            assert str(error)
        plan.armed = False
        assert plan.fired == (f"ssm:{REGIONS[0]}", "put_parameter")
        assert w.promote(arn)["promoted"] is True
        for region in REGIONS:
            assert w.stable(region) == [old[region], w.images["new"][region]], (kind, w.stable(region))


def test_a_late_duplicate_after_a_newer_image_does_not_promote_the_older_image_again() -> None:
    """Events a, b, a (EventBridge delivers at least once, in any order): before the fix the late duplicate
    made image a versions 1 and 3 of stable and undid b's promotion (the model test below finds it too)."""
    with images() as w:
        a, b = w.add_image("a"), w.add_image("b")
        w.promote(a)
        w.promote(b)
        late = w.promote(a)
        assert late["promoted"] is False and "promoted" in late["reason"]
        assert w.stable(REGIONS[0]) == [w.images["a"][REGIONS[0]], w.images["b"][REGIONS[0]]]


def test_stable_changed_by_hand_is_not_overwritten_by_a_redelivered_event() -> None:
    with images() as w:
        hand = seed_stable(w)
        a = w.add_image("a")
        w.promote(a)
        for region, ami in hand.items():  # an operator pins the earlier image again
            w.ssm[region].put_parameter(Name=TARGET, Value=ami, Type="String", DataType="aws:ec2:image", Overwrite=True)
        assert w.promote(a)["promoted"] is False
        assert w.stable(REGIONS[0])[-1] == hand[REGIONS[0]]


def test_a_late_scan_is_refused_then_promoted_once_when_it_completes() -> None:
    with images() as w:
        arn = w.add_image("a", scan="SCANNING")
        assert w.promote(arn) == {
            "promoted": False,
            "image": arn,
            "reason": "image scan state is SCANNING, not COMPLETED",
        }
        assert w.stable(REGIONS[0]) == []
        w.imagebuilder.images[arn]["scanState"]["status"] = "COMPLETED"
        assert w.promote(arn)["promoted"] is True
        assert w.promote(arn)["promoted"] is True
        assert w.stable(REGIONS[0]) == [w.images["a"][REGIONS[0]]]


def put_parameter_calls() -> list[int]:
    """The call indices of PutParameter in a first promotion (one per region)."""
    plan = FaultPlan()
    with images(plan) as w:
        arn = w.add_image("a")
        plan.armed = True
        w.promote(arn)
        return [i for i, (s, op) in enumerate(plan.calls, 1) if op == "put_parameter"]


def test_a_failed_put_parameter_after_the_first_region_was_tagged_converges_on_redelivery() -> None:
    second_put = put_parameter_calls()[1]
    # A storm of 500s that outlasts the handler runtime's five attempts (each retry is the next call).
    storm = [Fault("server", second_put + n) for n in range(runtime.ATTEMPTS)]
    plan = FaultPlan(storm[0], more=tuple(storm[1:]))
    with images(plan) as w:
        arn = w.add_image("a")
        plan.armed = True
        with pytest.raises(Exception, match="InternalFailure"):
            w.promote(arn)
        assert plan.fired == (f"ssm:{REGIONS[1]}", "put_parameter")
        assert len(w.backoffs) == runtime.ATTEMPTS - 1
        assert w.images["a"][REGIONS[0]] in w.kept(REGIONS[0]), "the first region was done, tag included"
        plan.armed = False
        assert w.promote(arn)["promoted"] is True
        assert [w.stable(r) for r in REGIONS] == [[w.images["a"][r]] for r in REGIONS]


# -- the model: random event sequences, hand changes and faults ------------------------------------------

events = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "bad", "late", "hand"]),
        st.none() | st.builds(Fault, st.sampled_from(SURFACING), st.integers(1, 14)),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=300 if LONG else 4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events)
def test_random_event_sequences_never_promote_a_bad_image_or_one_image_twice(sequence: list) -> None:  # type: ignore[type-arg]
    plan = FaultPlan()
    with images(plan) as w:
        arns = {n: w.add_image(n) for n in ("a", "b", "c")}
        arns["bad"] = w.add_image("bad", severities=("CRITICAL",))
        arns["late"] = w.add_image("late", scan="SCANNING")
        passing = {ami for n in ("a", "b", "c") for ami in w.images[n].values()}
        hand_values: set[str] = set()
        for name, fault in sequence:
            if name == "hand":  # an operator sets stable by hand to an image of their choice
                for region in REGIONS:
                    ami = w.images["c"][region]
                    if w.stable(region)[-1:] != [ami]:
                        w.ssm[region].put_parameter(Name=TARGET, Value=ami, Type="String", DataType="aws:ec2:image",
                                                    Overwrite=True)  # fmt: skip
                        hand_values.add(ami)
                continue
            plan.fault, plan.fired, plan.calls, plan.armed = fault, None, [], True
            try:
                w.promote(arns[name])
            except (Exception, LambdaDied):
                plan.armed = False
                w.promote(arns[name])  # EventBridge retries the same event
            plan.armed = False
            for region in REGIONS:
                history = w.stable(region)
                assert set(history) <= passing | hand_values, f"an image that did not pass was promoted: {history}"
                promoted = [v for v in history if v not in hand_values]
                assert len(promoted) == len(set(promoted)), f"an image was promoted twice: {history}"


@pytest.mark.parametrize("kind", ["lost", "retried"])
def test_a_created_channel_whose_response_was_lost_is_promoted_in_one_run(kind: str) -> None:
    """PutParameter created the channel, then its response was lost: the retry (the runtime's, after a
    ReadTimeoutError; or botocore's own, ``retried``) answers ParameterAlreadyExists. The parameter holds
    this image's AMI, so the run promotes, with one version, instead of failing until the re-delivery."""
    first_put = put_parameter_calls()[0]
    plan = FaultPlan(Fault(kind, first_put))
    with images(plan) as w:
        arn = w.add_image("a")
        plan.armed = True
        result = w.promote(arn)
        assert plan.fired == (f"ssm:{REGIONS[0]}", "put_parameter")
        assert result["promoted"] is True and set(result["changes"].values()) == {"created"}
        plan.armed = False
        assert [w.stable(r) for r in REGIONS] == [[w.images["a"][r]] for r in REGIONS]
