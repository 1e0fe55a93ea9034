"""The pack on templates nobody meant to write (Hypothesis): never an exception from inside a rule.

The pack judges whatever a user's app synthesizes, escape hatches and hand-written L1 values included,
and a rule that raises fails the user's whole synth with a traceback from inside the library. Every
template of the rule matrix (a bad and a good case of every rule) is mutated: one value anywhere under a
resource (its properties, its update policy, its type) becomes a value of another shape (None, a number,
a string, an empty or odd list or map, an intrinsic function with arguments of the wrong shape, NaN),
and ``check_template`` and ``check_app`` must still return findings. ``make test`` runs a small
derandomized profile; ``make fuzz`` (``HYPOTHESIS_PROFILE=fuzz``) many more random examples.
"""

from __future__ import annotations

import copy
import functools
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from immutable_constructs.nag import ImmutableInfrastructureChecks

from ..test_fuzz import profile
from .test_rules import build_matrix

PACK = ImmutableInfrastructureChecks()
INTRINSICS = ("Ref", "Fn::GetAtt", "Fn::Join", "Fn::Sub", "Fn::If", "Fn::Select", "Fn::Split", "Fn::ImportValue",
              "Fn::Base64", "Fn::FindInMap", "Fn::GetAZs", "Fn::Equals")  # fmt: skip


@functools.cache
def matrix() -> dict[str, dict[str, Any]]:
    """The rule matrix's templates, built once per process."""
    return build_matrix()


def places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``value`` (map keys and list indexes)."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(places(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(places(item, (*path, index)))
    return found


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.just(math.nan), st.text(max_size=12),
    st.sampled_from(["", " ", "*", "$LATEST", ":", "{{resolve:ssm:/x}}", "arn:aws:lambda:::function:f:$LATEST",
                     "AWS::NoValue", "true", "FALSE", "\x00"]),
)  # fmt: skip
odd = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(INTRINSICS) | st.text(max_size=6), inner, max_size=2),
        st.builds(lambda name, argument: {name: argument}, st.sampled_from(INTRINSICS), inner),
    ),
    max_leaves=6,
)


#: Shapes no rule may trip over, each put at every path of every resource by the sweep below.
HOSTILE = [None, math.nan, True, "", [], {}, [{}], {"Fn::Sub": None}, {"Fn::GetAtt": {}}, {"Ref": []},
           {"Fn::Join": ["", None]}]  # fmt: skip


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_each_value_of_every_resource_replaced_by_an_odd_shape_is_judged_without_an_exception(value: Any) -> None:
    """A sweep, not a sample: pass i puts ``value`` at the i-th path of every resource of both stacks at once
    (the i-th modulo the resource's number of paths), until every path of every resource had it."""
    templates = matrix()
    paths = {(stack, logical_id): places(resource)[1:] for stack, t in templates.items()
             for logical_id, resource in t["Resources"].items()}  # fmt: skip
    for index in range(max(len(p) for p in paths.values())):
        changed = {stack: {**t, "Resources": dict(t["Resources"])} for stack, t in templates.items()}
        for (stack, logical_id), resource_paths in paths.items():
            if resource_paths:
                path = resource_paths[index % len(resource_paths)]
                resource = mutated(templates, stack, logical_id, path, value)[stack]["Resources"][logical_id]
                changed[stack]["Resources"][logical_id] = resource
        for template in changed.values():
            PACK.check_template(template)


def mutated(
    templates: dict[str, dict[str, Any]], stack: str, logical_id: str, path: tuple[Any, ...], value: Any
) -> dict[str, dict[str, Any]]:
    """The templates with ``value`` at ``path`` in one resource (only that resource is copied)."""
    resource = copy.deepcopy(templates[stack]["Resources"][logical_id])
    node: Any = resource
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    resources = {**templates[stack]["Resources"], logical_id: resource}
    return {**templates, stack: {**templates[stack], "Resources": resources}}


@profile(300)
@given(data=st.data(), value=odd)
def test_a_template_with_any_value_anywhere_in_a_resource_is_judged_without_an_exception(
    data: st.DataObject, value: Any
) -> None:
    templates = matrix()
    stack = data.draw(st.sampled_from(sorted(templates)), label="stack")
    logical_id = data.draw(st.sampled_from(sorted(templates[stack]["Resources"])), label="resource")
    paths = places(templates[stack]["Resources"][logical_id])[1:]
    path = data.draw(st.sampled_from(paths), label="path")
    changed = mutated(templates, stack, logical_id, path, value)
    PACK.check_template(changed[stack])
    PACK.check_app(changed)


@profile(60)
@given(data=st.data(), value=odd)
def test_a_template_whose_sections_have_any_shape_is_judged_without_an_exception(
    data: st.DataObject, value: Any
) -> None:
    template = dict(matrix()["Bad"])
    section = data.draw(st.sampled_from(["Parameters", "Outputs", "Conditions", "Mappings", "Resources"]))
    if section == "Resources":
        logical_id = data.draw(st.sampled_from(sorted(template["Resources"])))
        template["Resources"] = {**template["Resources"], logical_id: value}
    else:
        template[section] = value
    PACK.check_template(template)
    PACK.check_app({"Bad": template, "Good": matrix()["Good"]})
