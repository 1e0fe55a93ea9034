"""The deprecation helper (immutable_constructs/_private/deprecation.py): what a user of a renamed name sees."""

from __future__ import annotations

import types
import warnings

import pytest

from immutable_constructs import __version__
from immutable_constructs._private.deprecation import (
    check_removal_version,
    deprecated_alias,
    module_getattr,
)

FUTURE = "99.0.0"


class _Images:
    """A stand-in for a construct class with a renamed factory."""

    @staticmethod
    def from_name(name: str, *, version: int = 1) -> str:
        """Resolve an image."""
        return f"{name}:{version}"

    @classmethod
    def from_parts(cls, line: str, channel: str) -> str:
        return f"{cls.__name__}:{line}/{channel}"

    from_pieces = deprecated_alias(
        from_parts, old_name="_Images.from_pieces", replacement="_Images.from_parts", removed_in=FUTURE
    )

    by_name = deprecated_alias(
        from_name, old_name="_Images.by_name", replacement="_Images.from_name", removed_in=FUTURE
    )


def test_old_factory_warns_naming_replacement_and_removal_version_and_still_works() -> None:
    with pytest.warns(DeprecationWarning) as caught:
        result = _Images.by_name("web", version=3)
    assert result == _Images.from_name("web", version=3) == "web:3"
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "_Images.by_name is deprecated" in message
    assert "use _Images.from_name instead" in message
    assert f"removed in immutable-constructs {FUTURE}" in message
    # The warning points at the user's line, not at the helper.
    assert caught[0].filename == __file__


def test_old_classmethod_factory_keeps_its_class() -> None:
    with pytest.warns(DeprecationWarning, match=r"use _Images\.from_parts instead"):
        assert _Images.from_pieces("web", "stable") == "_Images:web/stable"


def test_new_name_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _Images.from_name("api") == "api:1"


def test_alias_documents_itself() -> None:
    assert _Images.by_name.__doc__ is not None
    assert _Images.by_name.__doc__.startswith("Deprecated: _Images.by_name is deprecated")
    assert _Images.by_name.__name__ == "by_name"


def test_module_level_rename_warns_and_returns_the_new_object() -> None:
    module = types.ModuleType("fake_module")
    module.NewName = object()  # type: ignore[attr-defined]
    module.__getattr__ = module_getattr(  # type: ignore[method-assign]
        "fake_module", {"OldName": (lambda: module.NewName, "fake_module.NewName", FUTURE)}
    )
    with pytest.warns(DeprecationWarning, match=r"fake_module\.OldName is deprecated .* use fake_module\.NewName"):
        assert module.OldName is module.NewName
    with pytest.raises(AttributeError, match="has no attribute 'Missing'"):
        _ = module.Missing


@pytest.mark.parametrize("removed_in", ["0.0.1", __version__])
def test_deprecation_past_its_removal_version_fails_at_import(removed_in: str) -> None:
    with pytest.raises(RuntimeError, match=f"was to be removed in {removed_in} and this is {__version__}: delete it"):
        deprecated_alias(lambda: None, old_name="gone", replacement="new", removed_in=removed_in)


def test_removal_version_must_be_a_release() -> None:
    with pytest.raises(ValueError, match=r"X\.Y\.Z"):
        check_removal_version("x", "next")
    check_removal_version("x", "0.3.0", current="0.2.9")
