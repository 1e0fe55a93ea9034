"""The immutable-infrastructure rule pack: ``Validations.of(app).add_plugins(ImmutableInfrastructureChecks())``."""

from ._model import Compliance, Offence, Resource, Result, Template
from .catalog import DOCS_PATH, RULES, Rule, Severity
from .pack import PLUGIN_NAME, STRICT_CONTEXT_KEY, Finding, ImmutableInfrastructureChecks

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
