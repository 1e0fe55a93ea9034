"""Public names: each package's lazy-export table is the one list; ``__all__`` and the top level follow it."""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest

import immutable_constructs
from immutable_constructs._private.lazy import merged, public_names

SUBPACKAGES = ("access", "containers", "drift", "fleet", "functions", "images", "release")


def _type_checking_names(module: object) -> set[str]:
    """The names a package's ``if TYPE_CHECKING:`` block imports (what type checkers see)."""
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom), ast.dump(statement)
                for alias in statement.names:
                    assert alias.asname == alias.name, f"{alias.name}: write 'import X as X' (an explicit re-export)"
                    names.add(alias.name)
    return names


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_a_subpackages_all_is_its_table(name: str) -> None:
    package = importlib.import_module(f"immutable_constructs.{name}")
    assert package.__all__ == sorted(package._MODULES)
    assert _type_checking_names(package) == set(package._MODULES), "the TYPE_CHECKING imports and the table differ"
    for public in package.__all__:
        value = getattr(package, public)
        assert value.__module__ == f"immutable_constructs.{name}{package._MODULES[public]}", public


def test_the_top_level_is_every_subpackages_table_and_the_errors() -> None:
    expected = {"AlarmTopic", "Problem", "ValidationError", "__version__"}  # AlarmTopic: spans the packages
    for name in SUBPACKAGES:
        expected |= set(importlib.import_module(f"immutable_constructs.{name}").__all__)
    assert set(immutable_constructs.__all__) == expected
    assert _type_checking_names(immutable_constructs) == expected - {"__version__"}
    for public in immutable_constructs.__all__:
        assert getattr(immutable_constructs, public) is not None, public


def test_one_table_entry_adds_a_public_name() -> None:
    """What a new entry in a subpackage's table gives: the name in that package's and the top level's ``__all__``."""
    fleet = {"ImmutableFleet": ".immutable_fleet", "NewThing": ".new_thing"}
    top = merged(("fleet", fleet), own={"ValidationError": ".errors"})
    assert top["NewThing"] == ".fleet.new_thing"
    assert "NewThing" in public_names(fleet) and "NewThing" in public_names(top)


def test_a_name_exported_by_two_subpackages_is_refused() -> None:
    with pytest.raises(RuntimeError, match="'Thing' is exported twice"):
        merged(("fleet", {"Thing": ".a"}), ("images", {"Thing": ".b"}))
