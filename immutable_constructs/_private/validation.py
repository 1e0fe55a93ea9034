"""Collect every invalid prop of a construct, then raise one ValidationError."""

from __future__ import annotations

import functools
import json
import math
import re
import zoneinfo
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Token
from aws_cdk.region_info import RegionInfo
from constructs import IConstruct

from ..errors import Problem, ValidationError
from .schedules import schedule_problem

try:  # PyYAML is optional: without it, component documents get a structural check only.
    import yaml  # type: ignore[import-untyped, unused-ignore]
except ImportError:  # pragma: no cover - PyYAML comes with the dev tools (cfn-lint)
    yaml = None


def is_unresolved(value: Any) -> bool:
    """True when ``value`` (or any item of a list) is a CDK token known only at deploy time."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, (list, tuple)):
        return any(is_unresolved(v) for v in value)
    if isinstance(value, str):  # string and list tokens are encoded as ${Token[...]} / #{Token[...]}
        return "{Token[" in value and bool(Token.is_unresolved(value))
    if isinstance(value, float):  # number tokens are (finite) floats; NaN would break the jsii kernel
        return math.isfinite(value) and bool(Token.is_unresolved(value))
    return False  # an int is never a token


class Problems:
    """Collects problems for one construct; ``raise_if_any`` raises them together.

    Checks whose value is an unresolved token are skipped: the value is only known at
    deploy time, so CloudFormation is the one to judge it.
    """

    def __init__(self, scope: IConstruct | str) -> None:
        # A value object (FleetHealthCheck.http, ParentImage.ami...) has no construct path: its factory names it.
        self._path = scope if isinstance(scope, str) else scope.node.path
        self._problems: list[Problem] = []

    def add(self, prop: str, value: object, reason: str, fix: str) -> None:
        """Record a problem unconditionally."""
        self._problems.append(Problem(prop=prop, value=_describe(value), reason=reason, fix=fix))

    def require(
        self, ok: bool, prop: str, value: object, reason: str, fix: str, *, depends_on: tuple[object, ...] = ()
    ) -> None:
        """Record a problem when ``ok`` is false, unless the value or what it is compared with is a token."""
        if ok or is_unresolved(value) or any(is_unresolved(v) for v in depends_on):
            return
        self.add(prop, value, reason, fix)

    @property
    def problems(self) -> tuple[Problem, ...]:
        """The problems recorded so far."""
        return tuple(self._problems)

    def __len__(self) -> int:
        return len(self._problems)

    def raise_if_any(self) -> None:
        """Raise one ValidationError listing every problem, if there were any."""
        if self._problems:
            raise ValidationError(self._path, self._problems)

    # --- The validation vocabulary -------------------------------------------------------
    # Each check records at most one problem for its prop and returns whether the value may
    # be used further (True for a token: CloudFormation judges it at deploy time). Props are
    # named as the user wrote them (``health_check.url``, ``components[2]``).

    def whole_number(
        self,
        prop: str,
        value: object,
        *,
        low: int | None = None,
        high: int | None = None,
        reason: str = "",
        fix: str = "",
    ) -> bool:
        """An ``int`` (not a bool) in ``[low, high]``; a number token passes."""
        if is_unresolved(value):
            return True
        bounds = _bounds(low, high)
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(prop, value, reason or f"must be a whole number{bounds}", fix or "pass an int")
            return False
        if (low is not None and value < low) or (high is not None and value > high):
            self.add(prop, value, reason or f"must be a whole number{bounds}", fix or f"pass a whole number{bounds}")
            return False
        return True

    def duration(self, prop: str, value: object, *, fix: str = "") -> bool:
        """A ``Duration`` (and only a Duration: ``900`` is ambiguous)."""
        if isinstance(value, Duration):
            return True
        self.add(prop, value, "must be a Duration", fix or "use e.g. Duration.minutes(15)")
        return False

    def flag(self, prop: str, value: object) -> bool:
        """A bool."""
        if isinstance(value, bool):
            return True
        self.add(prop, value, "must be True or False", "pass a bool")
        return False

    def text(
        self,
        prop: str,
        value: object,
        *,
        pattern: str | re.Pattern[str] | None = None,
        max_length: int | None = None,
        what: str = "a valid value",
        fix: str = "",
    ) -> bool:
        """A non-empty string matched in full by ``pattern`` (no trailing newline slips through)."""
        if is_unresolved(value):
            return True
        if not isinstance(value, str):
            self.add(prop, value, "must be a string", fix or f"pass {what}")
            return False
        if not value.strip():
            self.add(prop, value, "is empty", fix or f"pass {what}")
            return False
        if max_length is not None and len(value) > max_length:
            self.add(prop, value, f"is {len(value)} characters, longer than {max_length}", fix or "shorten it")
            return False
        if pattern is not None and re.fullmatch(pattern, value) is None:
            self.add(prop, value, f"is not {what}", fix or f"pass {what}")
            return False
        return True

    def sequence(self, prop: str, value: object, *, item: str = "values", allow_empty: bool = True) -> bool:
        """A list or tuple; a bare string is refused with "pass a list" (it would be split per character)."""
        if isinstance(value, str):
            self.add(prop, value, f"must be a list of {item}, not one string", f"pass a list: {prop}=[{value!r}]")
            return False
        if is_unresolved(value) and not isinstance(value, (list, tuple)):
            return True
        if not isinstance(value, (list, tuple)):
            self.add(prop, value, f"must be a list of {item}", f"pass a list of {item}")
            return False
        if not allow_empty and not value:
            self.add(prop, list(value), "is empty", f"pass at least one of the {item}")
            return False
        return True

    def one_of(self, prop: str, value: object, choices: Iterable[object], *, fix: str = "") -> bool:
        """One of ``choices``."""
        options = list(choices)
        if is_unresolved(value) or value in options:
            return True
        listed = ", ".join(repr(o) for o in options)
        self.add(prop, value, f"must be one of {listed}", fix or f"use one of {listed}")
        return False

    def implements(self, prop: str, value: object, interface: type, *, what: str, fix: str) -> bool:
        """An object implementing the jsii interface ``interface`` (``ec2.IVpc``, ``ec2.IMachineImage``...)."""
        if implements(value, interface):
            return True
        self.add(prop, _describe(value), f"is not {what}", fix)
        return False

    def instance(self, prop: str, value: object, kind: type | tuple[type, ...], *, what: str, fix: str) -> bool:
        """A Python instance of ``kind`` (value objects of this library, ``InstanceType``...)."""
        if isinstance(value, kind):
            return True
        self.add(prop, _describe(value), f"is not {what}", fix)
        return False

    def file_inside(self, prop: str, path: object, root: Path, *, what: str = "file") -> Path | None:
        """An existing file; a relative path must stay inside ``root`` (the app's directory): no ``..`` escape.

        An absolute path is taken as the user's explicit choice.
        """
        if not isinstance(path, (str, Path)) or not str(path).strip() or "\x00" in str(path):
            self.add(prop, path, "must be a file path", "pass a path relative to the app's directory")
            return None
        file = Path(path)
        try:
            resolved = (file if file.is_absolute() else root / file).resolve()
            exists = resolved.is_file()
        except OSError as error:  # a name too long for the file system...
            self.add(prop, str(path)[:200], f"is not a usable path ({error.strerror})", "pass a shorter, existing path")
            return None
        if not file.is_absolute() and not resolved.is_relative_to(root.resolve()):
            self.add(
                prop,
                str(path),
                f"is outside the app's directory ({root})",
                "keep component files in the project, e.g. 'components/web.yaml'",
            )
            return None
        if not exists:
            self.add(
                prop,
                str(path),
                f"{what} does not exist",
                "check the path (relative paths are relative to the current directory)",
            )
            return None
        return resolved

    def yaml_document(self, prop: str, text: object, *, required: Iterable[str], name: str) -> bool:
        """YAML (or JSON) text whose top level is a mapping with every key of ``required``."""
        if not isinstance(text, str):
            self.add(prop, _describe(text), f"{name} must be YAML text", "pass the document as a string")
            return False
        document = _top_level_keys(text) if yaml is None else None
        if yaml is not None:
            try:
                document = yaml.safe_load(text)
            except yaml.YAMLError as error:
                mark = getattr(error, "problem_mark", None)
                where = f" at line {mark.line + 1}" if mark is not None else ""
                self.add(prop, name, f"is not valid YAML{where}: {getattr(error, 'problem', error)}", "fix the YAML")
                return False
        if not isinstance(document, dict):
            self.add(prop, name, "the document is not a YAML mapping", "start with e.g. 'schemaVersion: 1.0'")
            return False
        missing = [key for key in required if key not in document]
        if missing:
            self.add(prop, name, f"the document has no {', '.join(repr(k) for k in missing)}", "add them")
            return False
        return True

    def schedule(
        self, prop: str, value: object, *, rate: bool = True, what: str = "a schedule expression", fix: str = ""
    ) -> bool:
        """``cron(min hour day month weekday year)`` with each field in range, or ``rate(N unit)``."""
        if is_unresolved(value):
            return True
        fix = fix or "use e.g. 'cron(0 4 ? * MON *)'" + (" or 'rate(1 day)'" if rate else "")
        if not isinstance(value, str):
            self.add(prop, value, "must be a schedule expression string", fix)
            return False
        reason = schedule_problem(value, rate=rate, what=what)
        if reason is not None:
            self.add(prop, value, reason, fix)
            return False
        return True

    def time_zone(self, prop: str, value: object) -> bool:
        """An IANA time zone name (``Europe/Paris``), as the zoneinfo database knows it."""
        if is_unresolved(value):
            return True
        if isinstance(value, str) and value == value.strip() and value and _is_time_zone(value):
            return True
        self.add(prop, value, "is not an IANA time zone", "use e.g. 'UTC' or 'Europe/Paris'")
        return False

    def region(self, prop: str, value: object) -> bool:
        """A region the CDK knows (``eu-west-1``)."""
        if is_unresolved(value):
            return True
        if isinstance(value, str) and value in known_regions():
            return True
        self.add(prop, value, "is not a region name the CDK knows", "use a region name, e.g. 'eu-west-1'")
        return False

    def account_id(self, prop: str, value: object) -> bool:
        """A 12-digit AWS account id (a string)."""
        return self.text(prop, value, pattern=r"[0-9]{12}", what="a 12-digit AWS account id", fix="e.g. '123456789012'")

    def ami_id(self, prop: str, value: object) -> bool:
        """``ami-`` and 8 or 17 hex digits."""
        return self.text(
            prop, value, pattern=r"ami-([0-9a-f]{8}|[0-9a-f]{17})", what="an AMI id", fix="e.g. 'ami-0123456789abcdef0'"
        )

    def ssm_parameter_name(self, prop: str, value: object) -> bool:
        """An SSM parameter name: letters, digits, ``._-`` and ``/`` levels, at most 1011 characters and 15 levels."""
        if not self.text(
            prop,
            value,
            pattern=SSM_PARAMETER_NAME,
            max_length=SSM_PARAMETER_NAME_MAX,
            what="an SSM parameter name (letters, digits, '.', '-', '_', '/' between levels)",
            fix="e.g. '/images/web/stable'",
        ):
            return False
        if isinstance(value, str) and not is_unresolved(value) and value.strip("/").count("/") >= 15:
            self.add(prop, value, "has more than 15 hierarchy levels", "shorten the path")
            return False
        return True


SSM_PARAMETER_NAME = r"/?[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*"
SSM_PARAMETER_NAME_MAX = 1011


def _is_time_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@functools.cache
def known_regions() -> frozenset[str]:
    """The regions the installed aws-cdk-lib knows (its region-info database)."""
    return frozenset(region.name for region in RegionInfo.regions)


@functools.cache
def _interfaces_of(kind: type) -> frozenset[type]:
    found: set[type] = set()
    for klass in kind.__mro__:
        found.add(klass)
        for interface in getattr(klass, "__jsii_ifaces__", ()) or ():
            found.update(interface.__mro__)
    return frozenset(found)


def implements(value: object, interface: type) -> bool:
    """True when ``value`` implements the jsii interface (a construct, an imported proxy, or a Python class)."""
    if value is None:
        return False
    delegates = getattr(value, "_delegates", None) if type(value).__name__ == "InterfaceDynamicProxy" else None
    if delegates is not None:
        return any(implements(d, interface) for d in delegates)
    if interface in _interfaces_of(type(value)):  # type: ignore[arg-type]
        return True
    proxy = getattr(interface, "__jsii_proxy_class__", None)  # objects jsii returns typed by the interface
    return proxy is not None and isinstance(value, proxy())


def _top_level_keys(text: str) -> dict[str, None] | None:
    """Without PyYAML: the top-level keys of a JSON object, or of a block-style YAML mapping."""
    if text.lstrip().startswith("{"):
        try:
            loaded = json.loads(text)
        except ValueError:
            return None
        return dict.fromkeys(loaded) if isinstance(loaded, dict) else None
    keys = re.findall(r"^([A-Za-z_][\w-]*)\s*:", text, flags=re.MULTILINE)
    return dict.fromkeys(keys) if keys else None


def _describe(value: object) -> object:
    """A value for a message: as is when its repr is readable, else by its type (never ``<... object at 0x...>``)."""
    if isinstance(value, Duration):
        try:
            return f"Duration {value.to_human_string()}"
        except Exception:  # a token duration
            return "a Duration token"
    try:
        text = repr(value)
    except Exception:
        text = " object at 0x"
    if " object at 0x" in text or text.startswith("<"):
        return f"a {type(value).__name__}"
    return value


def _bounds(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" of at least {low}"
    if high is not None:
        return f" of at most {high}"
    return ""
