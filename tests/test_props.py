"""Bad input generated from the declared props specs (``_private/props.py``).

For every field of every callable with a spec, values of the wrong kind are generated from the field's
type: wrong types, booleans for numbers, NaN and infinity, negative, zero and huge numbers, blank strings
and trailing newlines, fractions of a second, objects of another App and of another region. Each must end in one
ValidationError naming the prop, or in a construct: never in another exception. An object of another region must
end in one where the field's rule says AWS requires the same region, and a field that takes a regional resource
must say which (``Rule(same_region=True)`` or ``Rule(any_region="why")``).
"""

from __future__ import annotations

import collections.abc
import inspect
import math
import re
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aws_cdk import Duration

import immutable_constructs
from immutable_constructs import Problem, ValidationError
from immutable_constructs._private.props import SPECS, Rule, check_value, conforms, spec_of
from immutable_constructs._private.validation import Problems

from .props_builders import BUILDERS, HOLDERS, OTHER_ACCOUNT, OTHER_REGION, World, load_specs

load_specs()


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def bad_values(kind: Any, world: World | None, rule: Rule | None = None) -> Iterator[tuple[str, Any]]:
    """Values that do not belong in a field of type ``kind``, or that only deploy time knows (tokens), by name
    (without a world: only their names)."""
    yield "object()", object()
    yield "an object of another App", world and world.other_app_vpc
    text = {"": "", "blank": "  ", "newline": "x\n"}
    members = typing.get_args(kind) or (kind,)
    if any(m in (int, float) for m in members):
        yield from [("True", True), ("nan", math.nan), ("inf", math.inf), ("-1", -1), ("0", 0), ("huge", 10**12)]
        yield "1.5", 1.5
        yield "a number token", world and world.number_token
    if Duration in members:
        yield from [("1500 ms", Duration.millis(1500)), ("2999.5 s", Duration.seconds(2999.5)), ("900", 900)]
        yield "0 s", Duration.seconds(0)
        yield "10 years", Duration.days(3650)
        yield "a duration token", world and Duration.seconds(world.number_token)
    if str in members:
        yield from text.items()
        yield "70,000 characters", "x" * 70_000
        yield "a string token", world and world.text_token
    if any(typing.get_origin(m) is not None and "Sequence" in str(typing.get_origin(m)) for m in members):
        yield "a string for a list", "abc"
        yield "[None]", [None]
        yield "[]", []
    regional = [(m, many) for m, many in _object_types(kind) if m in OTHER_REGION]
    if regional:
        member, many = regional[0]
        value = world and world.other_region_object(member)
        yield OTHER_REGION_CASE, [value] if many else value
    if rule is not None and rule.same_account:
        accounts = [(m, many) for m, many in _object_types(kind) if m in OTHER_ACCOUNT]
        if accounts:
            member, many = accounts[0]
            value = world and world.other_account_object(member)
            yield OTHER_ACCOUNT_CASE, [value] if many else value


OTHER_REGION_CASE = "an object of another region"
OTHER_ACCOUNT_CASE = "an object of another account"


def _object_types(kind: Any, many: bool = False) -> Iterator[tuple[Any, bool]]:
    """The types a field's value or its items may have, each with whether it comes in a sequence."""
    for member in typing.get_args(kind) if typing.get_origin(kind) in (typing.Union, types.UnionType) else (kind,):
        origin = typing.get_origin(member)
        if origin is None:
            yield member, many
        elif origin in (tuple, collections.abc.Sequence, list):
            for item in typing.get_args(member):
                if item is not Ellipsis:
                    yield from _object_types(item, True)


#: Generated cases that fail today (another exception, or no ValidationError naming the prop), by test id, with
#: the reason. Shrink-only: they run as strict xfails, so a fix makes them fail until removed from here.
KNOWN_FAILURES: dict[str, str] = {}


def cases() -> Iterator[Any]:
    for owner in sorted(SPECS):
        if owner not in BUILDERS:
            continue  # test_every_spec_has_a_builder says so
        for field in spec_of(SPECS[owner]).fields:
            for name, _ in bad_values(field.type, None, field.rule):
                case = f"{owner.removesuffix('.__init__')}-{field.name}-{name}"
                known = KNOWN_FAILURES.get(case)
                marks = [pytest.mark.xfail(strict=True, reason=known)] if known else []
                yield pytest.param(owner, field.name, name, id=case, marks=marks)


def test_known_failures_are_generated() -> None:
    generated = {param.id for param in cases()}
    assert not set(KNOWN_FAILURES) - generated, "KNOWN_FAILURES lists cases no longer generated: remove them"


def names_prop(problem: Problem, prop: str) -> bool:
    """Whether a problem is about ``prop``: ``prop``, ``prop[2]``, ``health_check.prop``, ``method(prop)``, or
    a check across props that names it in its reason (``max_healthy_percentage`` minus ``min_healthy_percentage``)."""
    names = {prop, *ALIASES.get(prop, ())}
    return bool(names & {*re.findall(r"\w+", problem.prop), *re.findall(r"\w+", problem.reason)})


#: Fields a problem names by the word the user wrote: FleetHealthCheck's ``target`` is its ``url`` or ``command``.
ALIASES = {"target": ("url", "command")}


@pytest.mark.parametrize(("owner", "prop", "value_name"), list(cases()))
def test_bad_input_is_one_validation_error_naming_the_prop(
    world: World, owner: str, prop: str, value_name: str
) -> None:
    field = next(f for f in spec_of(SPECS[owner]).fields if f.name == prop)
    value = dict(bad_values(field.type, world, field.rule))[value_name]
    if not conforms(value, field.type) and (prop, value_name) != END_TO_END[owner]:
        # A value of the wrong type never reaches the body: the spec records it, and the decorator turns a spec's
        # problem into one ValidationError (built end to end once per callable, below). Not built: keeps it fast.
        problems = Problems(owner)
        assert not check_value(problems, prop, value, field.type, field.rule, None)
        assert [p.prop for p in problems.problems] == [prop] and problems.problems[0].fix
        return
    if value_name == OTHER_REGION_CASE:
        assert field.rule.same_region or field.rule.any_region, (
            f"{owner}: {prop} takes a regional resource: declare Rule(same_region=True) where AWS requires the "
            "construct's region, or Rule(any_region='why') where another region is fine"
        )
    try:
        BUILDERS[owner](world, {prop: value})
    except ValidationError as error:
        holder = HOLDERS.get(owner)
        assert any(names_prop(p, prop) or (holder and names_prop(p, holder)) for p in error.problems), str(error)
        assert error.construct_path and all(p.reason and p.fix for p in error.problems), str(error)
    else:  # accepted, and built (the spec and the constructor's checks judged it deployable)
        assert not (value_name == OTHER_REGION_CASE and field.rule.same_region), (
            f"{owner}: {prop} of another region was accepted, though its rule says AWS requires the same region"
        )
        assert value_name != OTHER_ACCOUNT_CASE, f"{owner}: {prop} of another account was accepted (same_account)"


#: Per callable, the one wrong-type case that is built end to end: the first field's ``object()``.
END_TO_END = {
    owner: (spec_of(SPECS[owner]).fields[0].name, "object()") if spec_of(SPECS[owner]).fields else ("", "")
    for owner in SPECS
}


def test_every_spec_has_a_builder() -> None:
    missing = sorted(set(SPECS) - set(BUILDERS))
    assert not missing, f"specs without a builder in tests/props_builders.py (add one): {missing}"
    stale = sorted(set(BUILDERS) - set(SPECS))
    assert not stale, f"builders without a spec (remove them): {stale}"


def _public_callables() -> Iterator[tuple[str, Callable[..., Any]]]:
    for name in immutable_constructs.__all__:
        cls = getattr(immutable_constructs, name)
        if not inspect.isclass(cls) or issubclass(cls, Exception) or name == "Problem":
            continue
        if getattr(cls, "_is_protocol", False):  # SessionTarget: what others provide, checked where it is accepted
            continue
        for attribute, value in vars(cls).items():
            function = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
            if (attribute == "__init__" or not attribute.startswith("_")) and inspect.isfunction(function):
                yield f"{cls.__qualname__}.{attribute}", function


#: Public callables whose arguments are not declared in a spec yet. The list may only shrink: a new
#: constructor, prop or method must come with its spec (``@checked``) or this test fails.
NOT_YET: set[str] = set()


def test_every_public_callable_has_a_spec() -> None:
    missing = {name for name, function in _public_callables() if name not in SPECS and name not in NOT_YET}
    assert not missing, f"public callables without a props spec (decorate them with @checked): {sorted(missing)}"
    covered = {name for name, _ in _public_callables()} & set(NOT_YET) & set(SPECS)
    assert not covered, f"these have a spec now: remove them from NOT_YET: {sorted(covered)}"
