"""IDEs, inspect.signature and help() show each construct's real arguments and escape hatches."""

from __future__ import annotations

import inspect
import pydoc

import pytest

import immutable_constructs

CONSTRUCTS = ["AmiCatalog", "BlueGreenFleet", "GoldenImagePipeline", "ImmutableFleet", "SessionManagerAccess"]


@pytest.mark.parametrize("name", CONSTRUCTS)
def test_signature_is_the_real_keyword_arguments(name: str) -> None:
    cls = getattr(immutable_constructs, name)
    parameters = inspect.signature(cls).parameters
    assert list(parameters)[:2] == ["scope", "id"], name
    assert "args" not in parameters and "kwargs" not in parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in list(parameters.values())[2:])
    assert parameters.keys() - {"scope", "id"}, f"{name} has keyword arguments"


def test_fleet_signature_and_escape_hatches_in_help() -> None:
    fleet = immutable_constructs.ImmutableFleet
    parameters = inspect.signature(fleet).parameters
    assert {"vpc", "machine_image", "instance_type"} <= set(parameters)
    text = pydoc.render_doc(fleet)
    for attribute in ("launch_template", "auto_scaling_group", "security_group", "role", "log_group", "user_data"):
        assert f"    {attribute}" in text, attribute


@pytest.mark.parametrize("name", CONSTRUCTS)
def test_every_public_attribute_is_listed_in_help(name: str) -> None:
    from immutable_constructs._private.signatures import public_attributes

    cls = getattr(immutable_constructs, name)
    attributes = public_attributes(cls)
    assert attributes, name
    text = pydoc.render_doc(cls)
    assert all(attribute in text for attribute in attributes)
