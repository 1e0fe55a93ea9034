"""SessionManagerAccess watches every fleet added for tainted hosts: on by default, a grace
period prop, a per-fleet opt-out that still tags and counts, and targets that are not our fleets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Duration, Names, Stack
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match
from constructs import Construct

from immutable_constructs import SessionManagerAccess, ValidationError
from immutable_constructs.drift import TaintedHostReplacement

from ..conftest import only, template_json
from ..drift.test_tainted_hosts import fleets


def variables(template: dict[str, Any]) -> dict[str, Any]:
    function = only(template, "AWS::Lambda::Function", "SessionsTaintedHostsFunction")
    found: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    return found


def test_every_fleet_added_is_watched_by_one_construct_with_a_one_hour_grace() -> None:
    stack = Stack(App(), "Watched")
    web, api, _ = fleets(stack)
    access = SessionManagerAccess(stack, "Sessions")
    assert access.tainted_hosts is None, "nothing to watch before the first fleet"
    access.add_fleet(web)
    access.add_fleet(api)
    access.grant_start_session(iam.Role(stack, "Ops", assumed_by=iam.AccountRootPrincipal()), fleet=api)
    taint = access.tainted_hosts
    assert isinstance(taint, TaintedHostReplacement)
    assert taint.node.path == "Watched/Sessions/TaintedHosts"
    assert taint.fleets == [web, api] and taint.tag_only_fleets == []
    template = template_json(stack)
    env = variables(template)
    assert json.loads(env["FLEET_TAG_VALUES"]) == sorted([web.instance_tag[1], api.instance_tag[1]])
    assert json.loads(env["TAG_ONLY_FLEET_TAG_VALUES"]) == []
    assert env["GRACE_SECONDS"] == "3600"


def test_the_grace_period_is_a_prop() -> None:
    stack = Stack(App(), "Grace")
    web, _, _ = fleets(stack)
    access = SessionManagerAccess(stack, "Sessions", tainted_host_grace_period=Duration.minutes(15))
    access.add_fleet(web)
    assert access.tainted_hosts is not None
    assert access.tainted_hosts.grace_period.to_minutes() == 15
    assert variables(template_json(stack))["GRACE_SECONDS"] == "900"


@pytest.mark.parametrize(
    ("grace", "expected"),
    [
        (3600, "tainted_host_grace_period=3600: must be a cdk.Duration"),
        (Duration.days(8), "tainted_host_grace_period='Duration 8 days': is 8 days, must be from 0 seconds to 7 days"),
    ],
)
def test_an_invalid_grace_period_is_reported_at_construction(grace: Any, expected: str) -> None:
    with pytest.raises(ValidationError, match=r"Bad/Sessions: 1 invalid prop problem") as raised:
        SessionManagerAccess(Stack(App(), "Bad"), "Sessions", tainted_host_grace_period=grace)
    assert expected in str(raised.value)


def test_an_opted_out_fleet_is_tagged_and_counted_but_never_replaced() -> None:
    stack = Stack(App(), "OptOut")
    web, api, _ = fleets(stack)
    access = SessionManagerAccess(stack, "Sessions")
    access.add_fleet(api, replace_tainted_hosts=False)  # the first fleet: the construct starts tag-only
    access.add_fleet(web)
    # grant_start_session(fleet=...) adds the fleet again: the opt-out stays.
    access.grant_start_session(iam.Role(stack, "Ops", assumed_by=iam.AccountRootPrincipal()), fleet=api)
    access.add_fleet(api)
    taint = access.tainted_hosts
    assert taint is not None
    assert (taint.fleets, taint.tag_only_fleets) == ([web], [api])
    template = template_json(stack)
    env = variables(template)
    assert json.loads(env["FLEET_TAG_VALUES"]) == [web.instance_tag[1]]
    assert json.loads(env["TAG_ONLY_FLEET_TAG_VALUES"]) == [api.instance_tag[1]]
    policy = only(template, "AWS::IAM::Policy", "SessionsTaintedHostsPolicy")
    by_sid = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert by_sid["ReplaceTaintedHosts"]["Condition"]["StringEquals"] == {
        "autoscaling:ResourceTag/immutable-constructs:fleet": [web.instance_tag[1]]
    }


def test_turning_replacement_off_after_the_fleet_was_added_is_refused() -> None:
    stack = Stack(App(), "Late")
    web, _, _ = fleets(stack)
    access = SessionManagerAccess(stack, "Sessions")
    access.grant_start_session(iam.Role(stack, "Ops", assumed_by=iam.AccountRootPrincipal()), fleet=web)
    with pytest.raises(ValidationError, match=r"(?s)Late/Sessions.*replace_tainted_hosts=False: Late/Web was already"):
        access.add_fleet(web, replace_tainted_hosts=False)
    with pytest.raises(ValidationError, match=r"add_fleet\(replace_tainted_hosts\)='no': must be True or False"):
        access.add_fleet(web, replace_tainted_hosts="no")  # type: ignore[arg-type]


class TeamFleet(Construct):
    """A SessionTarget of the user's own: its instances carry a tag of theirs, not the fleet tag."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self.role

    @property
    def instance_tag(self) -> tuple[str, str]:
        return ("team", Names.unique_id(self))


def test_a_target_that_is_not_our_fleet_is_not_watched_and_a_warning_says_so() -> None:
    stack = Stack(App(), "Team")
    access = SessionManagerAccess(stack, "Sessions")
    access.add_fleet(TeamFleet(stack, "Servers"))
    assert access.tainted_hosts is None
    Annotations.from_stack(stack).has_warning(
        "/Team/Sessions", Match.string_like_regexp("Team/Servers is not an ImmutableFleet or BlueGreenFleet.*NOT")
    )
