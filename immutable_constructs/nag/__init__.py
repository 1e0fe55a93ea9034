"""The immutable-infrastructure rule pack: ``Validations.of(app).add_plugins(ImmutableInfrastructureChecks())``.

The plugin (and with it aws_cdk and the jsii runtime) is imported on first use, so the
catalog and the ``immutable-constructs`` command line work without Node.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._finding import Finding
from ._model import Compliance, Offence, Resource, Result, Template
from .catalog import DOCS_PATH, PLUGIN_NAME, RULES, Rule, Severity

if TYPE_CHECKING:
    from .pack import STRICT_CONTEXT_KEY, ImmutableInfrastructureChecks

_FROM_PACK = frozenset({"STRICT_CONTEXT_KEY", "ImmutableInfrastructureChecks"})

__all__ = [
    "DOCS_PATH",
    "PLUGIN_NAME",
    "RULES",
    "STRICT_CONTEXT_KEY",
    "Compliance",
    "Finding",
    "ImmutableInfrastructureChecks",
    "Offence",
    "Resource",
    "Result",
    "Rule",
    "Severity",
    "Template",
]


def __getattr__(name: str) -> Any:
    if name not in _FROM_PACK:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(".pack", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
