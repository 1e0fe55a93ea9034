"""Deprecating a public name (CONTRIBUTING.md, "Deprecating a name").

A renamed factory, class or prop keeps its old name for at least one minor release. The old
name warns with a ``DeprecationWarning`` that names the replacement and the version that
removes it, and it points at the caller's line::

    class ImageComponent:
        @staticmethod
        def from_file(path: str) -> ImageComponent: ...

        # the old name of from_file
        load = deprecated_alias(from_file, old_name="ImageComponent.load",
                                replacement="ImageComponent.from_file", removed_in="0.4.0")

A module-level rename uses :func:`module_getattr` as the module's ``__getattr__``.

Removal is enforced: a deprecation whose ``removed_in`` is not newer than the package version
raises at import time, so the release that should drop the name cannot ship with it.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from .._version import __version__

F = TypeVar("F", bound=Callable[..., Any])

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def _parse(version: str) -> tuple[int, int, int]:
    match = _VERSION.match(version)
    if not match:
        raise ValueError(f"removed_in must be a release version X.Y.Z, got {version!r}")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def deprecation_message(old_name: str, *, replacement: str, removed_in: str) -> str:
    """The one wording every deprecation uses."""
    return (
        f"{old_name} is deprecated and will be removed in immutable-constructs {removed_in}; use {replacement} instead."
    )


def check_removal_version(old_name: str, removed_in: str, current: str = __version__) -> None:
    """Fail when a deprecated name outlived the release that was to remove it."""
    if _parse(removed_in) <= _parse(current):
        raise RuntimeError(
            f"{old_name} was to be removed in {removed_in} and this is {current}: delete it "
            f"(and say so under 'Removed' in CHANGELOG.md)"
        )


def warn_deprecated(old_name: str, *, replacement: str, removed_in: str, stacklevel: int = 2) -> None:
    """Emit the DeprecationWarning for ``old_name``; ``stacklevel`` counts from the caller of this function."""
    warnings.warn(
        deprecation_message(old_name, replacement=replacement, removed_in=removed_in),
        DeprecationWarning,
        stacklevel=stacklevel + 1,
    )


def deprecated_alias(target: F, *, old_name: str, replacement: str, removed_in: str) -> F:
    """``target`` under its old name: same behaviour, plus the warning at each call.

    Works for functions, and inside a class body for a ``staticmethod`` or ``classmethod``
    (the alias is one too).
    """
    check_removal_version(old_name, removed_in)
    # In a class body a factory is still a staticmethod/classmethod object (not a callable to mypy).
    descriptor: object = target
    func: Callable[..., Any] = descriptor.__func__ if isinstance(descriptor, staticmethod | classmethod) else target

    @functools.wraps(func)
    def alias(*args: Any, **kwargs: Any) -> Any:
        warn_deprecated(old_name, replacement=replacement, removed_in=removed_in, stacklevel=2)
        return func(*args, **kwargs)

    note = f"Deprecated: {deprecation_message(old_name, replacement=replacement, removed_in=removed_in)}"
    alias.__doc__ = note
    alias.__name__ = old_name.rsplit(".", 1)[-1]
    alias.__qualname__ = old_name
    wrapped: object = alias
    if isinstance(descriptor, staticmethod):
        wrapped = staticmethod(alias)
    elif isinstance(descriptor, classmethod):
        wrapped = classmethod(alias)
    return cast(F, wrapped)


def module_getattr(module_name: str, renamed: Mapping[str, tuple[Callable[[], Any], str, str]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for renamed module-level names.

    ``renamed`` maps each old name to ``(get_replacement, replacement_name, removed_in)``;
    ``get_replacement`` is called lazily so the module can define the new name later.
    """
    for old, (_, _, removed_in) in renamed.items():
        check_removal_version(f"{module_name}.{old}", removed_in)

    def __getattr__(name: str) -> Any:
        if name not in renamed:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        get_replacement, replacement, removed_in = renamed[name]
        warn_deprecated(f"{module_name}.{name}", replacement=replacement, removed_in=removed_in, stacklevel=2)
        return get_replacement()

    return __getattr__
