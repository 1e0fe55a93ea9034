"""Declared props specs: one validation path for every constructor's props and every public method's arguments.

A public callable is decorated with :func:`checked`. Its spec is its signature (each parameter's type,
written once, in the annotation) plus the :class:`Rule` the decorator declares for a parameter whose
type alone does not say enough (a range and unit, an AWS length limit, whole minutes, the same region
as the construct...). Before the body runs, every argument is checked against its field, and all
problems are raised together as one :class:`~immutable_constructs.ValidationError` naming the
construct path and each prop; the body never sees a wrong type, a NaN, a fraction of a second or an
object of another ``App``.

What every field gets from its type alone:

* ``int``: an int, not a bool; a number token passes (it is rendered, never ``int()``-converted).
* ``float``: a finite int or float, not a bool.
* ``Duration``: a whole number of seconds (``Rule(whole="minutes")`` where the service counts minutes).
* a ``Sequence``: a list or tuple (never one string), each item of the item type, no item twice.
* a jsii interface (``ec2.IVpc``...): an object implementing it, from the same ``App`` as the construct.
* an enum or class: an instance of it.

Checks across props (min <= desired <= max...) stay in each construct's ``_checks`` module. :data:`SPECS`
lists every decorated callable; ``tests/test_props.py`` generates bad input for their fields.
"""

from __future__ import annotations

import enum
import functools
import inspect
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aws_cdk import Duration, Stack, Token
from constructs import Construct

from ..errors import Problem, ValidationError
from .props_text import describe
from .props_types import conforms, evaluate
from .validation import Problems, is_unresolved

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

_PLAIN = (str, int, float, bool, tuple, enum.Enum, Path)  # compared by value; other objects by identity
_WHOLE = {"milliseconds": 0.001, "seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


@dataclass(frozen=True)
class Rule:
    """What a prop's type does not say. Numbers: ``low``/``high`` in ``unit``; durations: ``whole``
    (the unit the service counts in) and ``low``/``high`` in seconds; strings: ``max_length`` (an AWS
    limit, in UTF-8 bytes or, with ``unit="characters"``, in characters), ``pattern`` (matched in full),
    ``blank`` (whether empty or whitespace-only text is allowed);
    sequences: ``unique``, ``max_items``; objects: ``same_region``/``same_account`` where AWS requires it, or
    ``any_region`` saying why an object of another region is fine (IAM is global...); ``token=False`` where the
    value must be known at synth time (a duration token too). ``fix`` is said when the rule is broken."""

    low: float | None = None
    high: float | None = None
    unit: str = ""
    whole: str | None = "seconds"
    max_length: int | None = None
    pattern: str | None = None
    blank: bool = True
    unique: bool = True
    max_items: int | None = None
    same_region: bool = False
    same_account: bool = False
    any_region: str = ""
    token: bool = True
    fix: str = ""


@dataclass(frozen=True)
class Field:
    """One parameter of a spec: its name, its type (from the annotation) and its rule."""

    name: str
    type: Any
    required: bool
    rule: Rule


@dataclass(frozen=True)
class Spec:
    """The declared props of one public callable (``ImmutableFleet.__init__``, ``SessionManagerAccess.add_fleet``)."""

    owner: str
    fields: tuple[Field, ...]
    signature: inspect.Signature = field(repr=False, compare=False)
    types_only: bool = False


#: qualified name -> the decorated function (its spec is ``spec_of(function)``)
SPECS: dict[str, Callable[..., Any]] = {}


def checked(**rules: Rule) -> Callable[[F], F]:
    """Decorator: check the arguments against the callable's spec before its body runs."""
    return _checked(rules, types_only=False)


def checked_types(**rules: Rule) -> Callable[[F], F]:
    """Decorator for a value object's factory (``FleetHealthCheck.http``...): wrong types, and tokens where a
    rule says ``token=False``, are refused at once; its values are checked by the construct it is given to,
    which names its path (``health_check.interval``)."""
    return _checked(rules, types_only=True)


#: ``defer(arguments, problems)``: a value object that carries the problems to the construct it is given to.
Defer = Callable[[Mapping[str, Any], list[Problem]], Any]


def checked_factory(defer: Defer, **rules: Rule) -> Callable[[F], F]:
    """Decorator for a factory documented never to raise (``ImageComponent.from_file``...): types and rules are
    checked, and the problems are not raised but given to ``defer``, whose value object carries them to the
    construct it is given to; that construct reports them in its one ValidationError, naming its path."""
    return _checked(rules, types_only=False, defer=defer)


def _checked(rules: Mapping[str, Rule], *, types_only: bool, defer: Defer | None = None) -> Callable[[F], F]:

    def decorate(func: F) -> F:
        unknown = set(rules) - set(inspect.signature(func).parameters)
        if unknown:
            raise TypeError(f"{func.__qualname__}: rules for unknown parameters {sorted(unknown)}")

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            spec = spec_of(run)
            try:
                bound = spec.signature.bind(*args, **kwargs)
            except TypeError as error:  # a missing or unknown keyword: say which construct
                raise TypeError(f"{spec.owner}: {error}") from None
            path, problems = check_arguments(spec, bound.arguments, raise_now=defer is None)
            if not problems:
                return func(*args, **kwargs)
            if path is None and defer is not None:  # a factory that never raises
                return defer(bound.arguments, problems)
            if path is None:  # a method or a factory: nothing else would check its arguments
                raise ValidationError(spec.owner, problems)
            # A constructor's own checks report together with the spec's; whatever it does, the spec's are raised.
            try:
                func(*args, **kwargs)
            except ValidationError as error:
                said = [p.prop for p in error.problems]  # the body's word wins for a prop (and its items)
                unsaid = [
                    p
                    for p in problems
                    if not any(s == p.prop or s.startswith((p.prop + "[", p.prop + ".")) for s in said)
                ]
                raise ValidationError(error.construct_path, [*error.problems, *unsaid]) from None
            except Exception as error:
                raise ValidationError(path, problems) from error
            raise ValidationError(path, problems)

        run.__props_rules__ = rules  # type: ignore[attr-defined]
        run.__props_types_only__ = types_only  # type: ignore[attr-defined]
        SPECS[func.__qualname__] = run
        return run  # type: ignore[return-value]

    return decorate


def checked_class(**rules: Rule) -> Callable[[type[T]], type[T]]:
    """Class decorator for value objects whose ``__init__`` is generated (dataclasses): :func:`checked` on it."""

    def decorate(cls: type[T]) -> type[T]:
        init = _checked(rules, types_only=True)(vars(cls)["__init__"])
        SPECS[f"{cls.__qualname__}.__init__"] = init
        setattr(cls, "__init__", init)  # noqa: B010 (mypy refuses assigning a method)
        return cls

    return decorate


@functools.cache
def spec_of(func: Callable[..., Any]) -> Spec:
    """The spec of a :func:`checked` callable: its annotated parameters and declared rules."""
    target = inspect.unwrap(func)
    rules: Mapping[str, Rule] = getattr(func, "__props_rules__", {})
    signature = inspect.signature(target)
    module = sys.modules.get(target.__module__)
    namespace = dict(vars(module)) if module else {}
    fields = []
    for name, parameter in signature.parameters.items():
        if name in ("self", "cls", "scope", "id") or parameter.kind is parameter.VAR_KEYWORD:
            continue
        kind = evaluate(parameter.annotation, namespace)
        if parameter.kind is parameter.VAR_POSITIONAL:  # *actions: each one of the annotated type
            kind = tuple[kind, ...]  # type: ignore[valid-type]
        fields.append(
            Field(
                name=name,
                type=kind,
                required=parameter.default is inspect.Parameter.empty,
                rule=rules.get(name, Rule()),
            )
        )
    return Spec(
        owner=target.__qualname__,
        fields=tuple(fields),
        signature=signature,
        types_only=getattr(func, "__props_types_only__", False),
    )


def check_arguments(
    spec: Spec, arguments: Mapping[str, Any], *, raise_now: bool = True
) -> tuple[str | None, list[Problem]]:
    """The problems of bound arguments against ``spec``, and the construct path when they are a
    constructor's (a method's problems raise at once, naming the construct's path, unless not ``raise_now``)."""
    method = spec.owner.rsplit(".", 1)[-1]
    scope, path = _where(spec, arguments)
    problems = Problems(path)
    if "scope" in arguments and not isinstance(arguments["scope"], Construct):
        problems.add("scope", arguments["scope"], "is not a construct", "pass a Stack or a construct in one")
    if "id" in arguments and (not isinstance(arguments["id"], str) or not arguments["id"].strip()):
        problems.add("id", arguments["id"], "must be a non-empty string", "pass the construct's id, e.g. 'Web'")
    for item in spec.fields:
        if item.name not in arguments:
            continue
        # a method's argument is named with its method: grant_start_session(principal)
        prop = f"{method}({item.name})" if "self" in arguments and method != "__init__" else item.name
        check_value(problems, prop, arguments[item.name], item.type, item.rule, scope, types_only=spec.types_only)
    if "scope" not in arguments:
        if raise_now:
            problems.raise_if_any()  # a method: its construct's path
        return None, list(problems.problems)
    return path, list(problems.problems)


def check_value(
    problems: Problems,
    prop: str,
    value: Any,
    kind: Any,
    rule: Rule,
    scope: Construct | None,
    *,
    types_only: bool = False,
) -> bool:
    """Record at most one problem for ``prop``: its type, then its rule, then where its objects live."""
    if not conforms(value, kind):
        problems.add(prop, value, f"must be {describe(kind)}", rule.fix or f"pass {describe(kind)}")
        return False
    if not rule.token and (is_unresolved(value) or (isinstance(value, Duration) and value.is_unresolved())):
        problems.add(prop, value, "is a token: it must be known at synth time", rule.fix or "pass a literal value")
        return False
    if value is None or is_unresolved(value) or types_only:
        return True
    reason, fix = _rule_problem(value, rule), rule.fix
    if isinstance(value, Duration) and reason is not None:
        fix = fix or f"use whole {rule.whole or 'seconds'}, e.g. Duration.{rule.whole or 'seconds'}(N)"
    if reason is None and scope is not None:
        reason = _origin_problem(value, rule, scope)
        fix = "create it in the construct's App" if reason and reason.endswith("another App") else fix
    if reason is not None:
        problems.add(prop, value, reason, fix or "see the prop's documentation")
        return False
    return True


# -- rules ---------------------------------------------------------------------------------------


def _rule_problem(value: Any, rule: Rule) -> str | None:
    if isinstance(value, Duration):
        return duration_problem(value, rule)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if (rule.low is not None and value < rule.low) or (rule.high is not None and value > rule.high):
            return f"must be {_range(rule.low, rule.high)}{' ' + rule.unit if rule.unit else ''}"
        return None
    if isinstance(value, str):
        if not rule.blank and not value.strip():
            return "is empty"
        unit = "characters" if rule.unit == "characters" else "bytes"  # AWS counts some limits in characters
        size = len(value) if unit == "characters" else len(value.encode("utf-8"))
        if rule.max_length is not None and size > rule.max_length:
            return f"is {size} {unit}, longer than AWS's limit of {rule.max_length}"
        if rule.pattern is not None and re.fullmatch(rule.pattern, value) is None:
            return f"does not match {rule.pattern}"
        return None
    if isinstance(value, (list, tuple)):
        if rule.max_items is not None and len(value) > rule.max_items:
            return f"has {len(value)} items, more than {rule.max_items}"
        if rule.unique:
            seen: list[Any] = []
            for item in value:
                if any(item is s or (isinstance(item, _PLAIN) and isinstance(s, _PLAIN) and item == s) for s in seen):
                    return f"lists {_name(item)} twice"
                seen.append(item)
        for item in value:
            if isinstance(item, str) and not is_unresolved(item):  # a token item: CloudFormation judges it
                problem = _rule_problem(
                    item, Rule(blank=rule.blank, max_length=rule.max_length, pattern=rule.pattern, unit=rule.unit)
                )
                if problem is not None:
                    return f"item {item[:40]!r}{'...' if len(item) > 40 else ''} {problem}"
    return None


def duration_problem(value: Duration, rule: Rule) -> str | None:
    """What is wrong with ``value`` under ``rule`` (a fraction of its unit, out of range), or None."""
    unit = rule.whole
    try:
        milliseconds = value.to_milliseconds()
    except Exception:  # a token duration
        milliseconds = None
    if milliseconds is None or is_unresolved(milliseconds):
        # A token duration converts to no other unit (CDK); one finer than ``whole`` cannot be a whole ``whole``.
        label = {"millis": "milliseconds"}.get(value.unit_label(), value.unit_label())
        finer = unit is not None and label in _WHOLE and _WHOLE[label] < _WHOLE[unit]
        return f"is a token in {label}: give it in {unit}, e.g. Duration.{unit}(token)" if finer else None
    if unit is not None and milliseconds % (_WHOLE[unit] * 1000):
        return f"is {milliseconds / 1000:g} seconds, not a whole number of {unit}"
    seconds = milliseconds / 1000
    if (rule.low is not None and seconds < rule.low) or (rule.high is not None and seconds > rule.high):
        human = lambda s: str(Duration.seconds(s).to_human_string())  # noqa: E731
        return f"is {value.to_human_string()}, must be {_range(rule.low, rule.high, human)}"
    return None


def _origin_problem(value: Any, rule: Rule, scope: Construct) -> str | None:
    """An object of another ``App`` cannot be referenced; another region or account only where AWS allows."""
    items = value if isinstance(value, (list, tuple)) else [value]
    for item in items:
        try:  # constructs, and imported resources (jsii proxies: Role.from_role_arn...)
            root = item.node.root
        except Exception:  # not a construct, or a jsii object typed as one but detached (deployment configs...)
            continue
        if root is not scope.node.root:
            return f"{_name(item)} belongs to another App"
        if not (rule.same_region or rule.same_account):
            continue
        theirs, ours = getattr(item, "env", None) or Stack.of(item), Stack.of(scope)  # an imported ARN's own env
        for wanted, attribute in ((rule.same_region, "region"), (rule.same_account, "account")):
            a, b = getattr(theirs, attribute), getattr(ours, attribute)
            if wanted and not Token.is_unresolved(a) and not Token.is_unresolved(b) and a != b:
                return f"{_name(item)} is in {attribute} {a}, the construct in {b}; AWS requires the same {attribute}"
    return None


def _where(spec: Spec, arguments: Mapping[str, Any]) -> tuple[Construct | None, str]:
    """The construct the arguments belong to, and the path to name in the error."""
    this = arguments.get("self")
    if isinstance(this, Construct) and not spec.owner.endswith(".__init__"):  # before __init__ it has no node
        return this, this.node.path
    scope = arguments.get("scope")
    if isinstance(scope, Construct):
        return scope, f"{scope.node.path}/{arguments.get('id')}".lstrip("/")
    return None, spec.owner.removesuffix(".__init__")


def _name(value: Any) -> str:
    node = getattr(value, "node", None)
    return node.path if node is not None else repr(value)


def _range(low: float | None, high: float | None, text: Callable[[float], str] = "{:g}".format) -> str:
    if low is not None and high is not None:
        return f"from {text(low)} to {text(high)}"
    return f"at least {text(low)}" if low is not None else f"at most {text(high)}"  # type: ignore[arg-type]
