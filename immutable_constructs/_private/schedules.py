"""Cron and rate expressions (EventBridge and Image Builder syntax), checked field by field."""

from __future__ import annotations

import re

__all__ = ["schedule_problem"]

_CRON_FIELDS = (
    ("minutes", 0, 59, None),
    ("hours", 0, 23, None),
    ("day-of-month", 1, 31, "LW?"),
    ("month", 1, 12, None),
    ("day-of-week", 1, 7, "L#?"),
    ("year", 1970, 2199, None),
)
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_RATE = re.compile(r"rate\((?P<n>[1-9][0-9]*) (?P<unit>minutes?|hours?|days?)\)")


def schedule_problem(expression: str, *, rate: bool = True, what: str = "a schedule expression") -> str | None:
    """What is wrong with a cron or rate expression (EventBridge/Image Builder syntax), or None."""
    if rate and expression.startswith("rate("):
        match = _RATE.fullmatch(expression)
        if match is None:
            return f"is not {what}: rate(<positive number> <minute(s)|hour(s)|day(s)>)"
        singular = match["n"] == "1"
        if singular != (not match["unit"].endswith("s")):
            return f"is not {what}: the unit is singular for 1 and plural otherwise, e.g. rate(1 day), rate(2 days)"
        return None
    match = re.fullmatch(r"cron\((\S+(?: \S+){5})\)", expression)
    if match is None:
        return f"is not {what}: cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)"
    fields = match[1].split(" ")
    for (name, low, high, extra), field_ in zip(_CRON_FIELDS, fields, strict=True):
        if not _cron_field_ok(field_, low, high, extra, name):
            return f"is not {what}: the {name} field {field_!r} is out of range or malformed ({low}-{high})"
    if (fields[2] == "?") == (fields[4] == "?"):
        return f"is not {what}: exactly one of day-of-month and day-of-week must be '?'"
    return None


def _cron_value(token: str, name: str) -> int | None:
    names = _MONTHS if name == "month" else _DAYS if name == "day-of-week" else ()
    if token.upper() in names:
        return names.index(token.upper()) + 1
    return int(token) if token.isdigit() and token.isascii() else None


def _cron_field_ok(field_: str, low: int, high: int, extra: str | None, name: str) -> bool:
    if field_ in ("*", "?") and (field_ == "*" or extra is not None):
        return True
    for part in field_.split(","):
        base, _, step = part.partition("/")
        if step and not (step.isdigit() and step.isascii() and 1 <= int(step) <= high):
            return False
        if base == "*":
            continue
        if extra is not None and name == "day-of-month" and base in ("L", "LW"):
            continue
        if extra is not None and name == "day-of-month" and base.endswith("W") and base[:-1].isdigit():
            base = base[:-1]
        if extra is not None and name == "day-of-week":
            if base == "L" or (base.endswith("L") and _cron_value(base[:-1], name) is not None):
                continue
            if "#" in base:
                day, _, nth = base.partition("#")
                if _cron_value(day, name) is None or nth not in ("1", "2", "3", "4", "5"):
                    return False
                continue
        bounds = base.split("-")
        if len(bounds) > 2:
            return False
        values = [_cron_value(b, name) for b in bounds]
        if any(v is None or not low <= v <= high for v in values):
            return False
    return True
