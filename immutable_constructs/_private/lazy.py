"""PEP 562 lazy exports, one implementation for the package and each of its subpackages.

``import immutable_constructs`` (and the command line) must not start the jsii runtime, and an app that
uses only ``ImmutableFleet`` must not import Image Builder, CodeDeploy or cdk-nag: a package lists
``public name -> module`` and gets a module ``__getattr__`` that imports the module on first use.
Construct classes also get their real keyword signature (``_private/signatures.py``) on the way out,
so ``help()`` and IDEs show the props whichever package they were imported from.

The table is the one list of public names: a package's ``__all__`` is :func:`public_names` of it, and
the top level's table is :func:`merged` from its subpackages' tables, so a public name is added by one
entry in its subpackage's table (plus the ``if TYPE_CHECKING:`` import type checkers read; a test
checks the two agree).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any


def public_names(modules: Mapping[str, str], *extra: str) -> list[str]:
    """A package's ``__all__``: every name of its table (and ``extra`` names defined in the package itself)."""
    return sorted({*modules, *extra})


def merged(*tables: tuple[str, Mapping[str, str]], own: Mapping[str, str] | None = None) -> dict[str, str]:
    """One table from subpackages' tables: ``("fleet", {"ImmutableFleet": ".immutable_fleet"})`` gives
    ``{"ImmutableFleet": ".fleet.immutable_fleet"}``; ``own`` holds names of the package's own modules.

    A name exported by two subpackages is a mistake (which one would the top level mean?): it raises.
    """
    table: dict[str, str] = dict(own or {})
    for subpackage, modules in tables:
        for name, module in modules.items():
            if name in table:
                raise RuntimeError(f"public name {name!r} is exported twice ({table[name]}, .{subpackage}{module})")
            table[name] = f".{subpackage}{module}"
    return dict(sorted(table.items()))


def lazy_exports(
    namespace: MutableMapping[str, Any], modules: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the package whose ``globals()`` is ``namespace``.

    ``modules`` maps each public name to the module (relative to the package) that defines it.
    """
    package = str(namespace["__name__"])

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        from constructs import Construct  # loaded already: the module above imported it

        if isinstance(value, type) and issubclass(value, Construct):
            from .signatures import real_signature

            real_signature(value)  # help() and IDEs show the keyword arguments, not jsii's (*args, **kwargs)
        namespace[name] = value  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(namespace.get("__all__", ())) | set(modules))

    return __getattr__, __dir__
