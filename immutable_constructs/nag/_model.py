"""What a rule sees (one resource and its template) and what it answers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

_T = TypeVar("_T")

__all__ = ["Compliance", "Offence", "Resource", "Result", "Template"]


class Compliance(Enum):
    """A rule's verdict on one resource."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non-compliant"
    NOT_APPLICABLE = "not-applicable"


@dataclass(frozen=True)
class Offence:
    """One offending property: its path relative to the resource (``Properties.KeyName``),
    the value found there, what is wrong with it and, when the rule can name the user's own
    thing (their parameter, their property), a fix for this case that replaces the rule's
    generic one."""

    path: str
    value: object
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Result:
    """A rule's verdict, with every offending property when it is non-compliant."""

    compliance: Compliance
    offences: tuple[Offence, ...] = ()

    @staticmethod
    def compliant() -> Result:
        return _COMPLIANT

    @staticmethod
    def not_applicable() -> Result:
        return _NOT_APPLICABLE

    @staticmethod
    def of(offences: list[Offence]) -> Result:
        """Non-compliant with ``offences``, or compliant when there are none."""
        if offences:
            return Result(Compliance.NON_COMPLIANT, tuple(offences))
        return _COMPLIANT


_COMPLIANT = Result(Compliance.COMPLIANT)
_NOT_APPLICABLE = Result(Compliance.NOT_APPLICABLE)


@dataclass(frozen=True)
class Template:
    """One synthesized CloudFormation template, as parsed JSON.

    ``assets``: the app's file assets as S3 object key -> local file (read from the cloud
    assembly's asset manifests), so a rule can read a document a resource names by ``Uri``.
    ``app``: every template of the cloud assembly, this one included, for the rules about
    pairs of resources that may sit in different stacks (empty: only this template).
    """

    body: Mapping[str, Any]
    assets: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    app: Sequence[Template] = field(default_factory=tuple, compare=False, repr=False)
    #: the stack (artifact id) the template belongs to, and every stack it is deployed after
    stack: str = ""
    after: frozenset[str] = frozenset()
    #: ``repository:tag`` of the app's container image assets (content-hash tags), read from the cloud assembly
    images: frozenset[str] = frozenset()
    _by_type: dict[str, list[tuple[str, Mapping[str, Any]]]] = field(default_factory=dict, compare=False, repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def assembly(self) -> Sequence[Template]:
        """Every template of the app (just this one when the pack judges a single template)."""
        return self.app or (self,)

    def app_memo(self, key: str, compute: Callable[[Sequence[Template]], _T]) -> _T:
        """``compute(self.assembly)``, computed once per app (memoized on its first template): for
        the rules about pairs of resources that may sit in different stacks."""
        memo = self.app[0]._memo if self.app else self._memo
        full_key = "app:" + key
        if full_key not in memo:
            memo[full_key] = compute(self.assembly)
        value: _T = memo[full_key]
        return value

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        """The template's resources that CloudFormation could read: each a map, its ``Properties`` a map."""
        return self.memo("model:resources", _readable_resources)

    @property
    def parameters(self) -> Mapping[str, Mapping[str, Any]]:
        return self.memo("model:parameters", lambda t: _section(t.body, "Parameters"))

    @property
    def outputs(self) -> Mapping[str, Mapping[str, Any]]:
        return self.memo("model:outputs", lambda t: _section(t.body, "Outputs"))

    def resource(self, logical_id: object) -> Mapping[str, Any] | None:
        """The resource named by ``logical_id`` (a string, ``{"Ref": id}`` or ``{"Fn::GetAtt": [id, ...]}``)."""
        if isinstance(logical_id, dict):
            if "Ref" in logical_id:
                logical_id = logical_id["Ref"]
            elif "Fn::GetAtt" in logical_id and isinstance(logical_id["Fn::GetAtt"], list) and logical_id["Fn::GetAtt"]:
                logical_id = logical_id["Fn::GetAtt"][0]
        if not isinstance(logical_id, str):
            return None
        return self.resources.get(logical_id)

    def of_type(self, type_name: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        if not self._by_type:
            for logical_id, resource in self.resources.items():
                self._by_type.setdefault(str(resource.get("Type")), []).append((logical_id, resource))
        yield from self._by_type.get(type_name, [])

    def memo(self, key: str, compute: Callable[[Template], _T]) -> _T:
        """``compute(self)``, computed once per template: for facts that rules about single
        resources need from the whole template (which key encrypts what, which parameters
        the stack writes), so a pass over N resources stays O(N)."""
        if key not in self._memo:
            self._memo[key] = compute(self)
        value: _T = self._memo[key]
        return value


def _section(body: Any, name: str) -> dict[str, Mapping[str, Any]]:
    """A section of the template as CloudFormation takes it, a map of maps; entries of another shape (which
    CloudFormation refuses) are left out, so no rule meets a shape it cannot read."""
    section = body.get(name) if isinstance(body, dict) else None
    if not isinstance(section, dict):
        return {}
    return {key: value for key, value in section.items() if isinstance(key, str) and isinstance(value, dict)}


def _readable_resources(template: Template) -> dict[str, Mapping[str, Any]]:
    resources = _section(template.body, "Resources")
    for logical_id, resource in resources.items():
        if "Properties" in resource and not isinstance(resource["Properties"], dict):
            resources[logical_id] = {**resource, "Properties": {}}
    return resources


@dataclass(frozen=True)
class Resource:
    """One resource of a template: its logical id, type and properties."""

    logical_id: str
    body: Mapping[str, Any]

    @property
    def type(self) -> str:
        return str(self.body.get("Type", ""))

    @property
    def properties(self) -> Mapping[str, Any]:
        properties = self.body.get("Properties")
        return properties if isinstance(properties, dict) else {}
