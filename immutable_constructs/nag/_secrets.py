"""Find secrets baked into text (user data, component documents) and plain environment variables.

Tuned for few false positives: a secret *read* at run time (``$(aws secretsmanager
get-secret-value ...)``, ``${VAR}``, ``{{resolve:secretsmanager:...}}``, a deploy-time
value) is fine; only literal values are reported.
"""

from __future__ import annotations

import re

from ._intrinsics import UNKNOWN

ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
SECRET_ACCESS_KEY = re.compile(
    r"(?i)aws_secret_access_key\s*[=:]\s*['\"]?(?P<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
)

#: Names that hold a secret (case-insensitive); names that point at one (``_ARN``) or name what a token is
#: checked against or kept in (``TOKEN_ISSUER``, ``TOKEN_AUDIENCE``, ``TOKEN_TABLE``: public configuration) are fine.
SECRET_NAME = re.compile(r"(?i)(?:password|passwd|secret|token|api_?key|private_?key|access_?key|credential)")
POINTER_SUFFIX = re.compile(
    r"(?i)(?:_arn|_name|_id|_param|_parameter|_path|_file|_url|_uri|_region|_ttl|_header|_length|_endpoint|_version"
    r"|_seconds|_minutes|_hours|_days|_timeout|_expiry|_expires_in|_count|_size|_port"
    r"|_issuer|_audience|_table|_bucket|_cookie)$"
)
ASSIGNMENT = re.compile(
    r"(?i)(?<![\w-])(?P<name>[a-z0-9_]*(?:password|passwd|secret|token|api_?key)[a-z0-9_]*)"
    r"[\"']?\s*(?:=|:)\s*(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s;&|)]+)"
)
FLAG = re.compile(
    r"(?i)(?<![\w-])--?(?P<name>password|passwd|token|secret|api-key)(?:[= ]+)"
    r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s;&|)]+)"
)

_RUNTIME_VALUE = re.compile(r"^(?:\$|`|\{\{resolve:|%|<|@|file://|arn:|/|~|\.{1,2}/)")


def literal_secret_value(value: str, *, digits: bool = False) -> bool:
    """True when ``value`` looks like a secret written out, not a reference to one read at run time.

    In scripts an all-digit value is usually a number (``--token-ttl 21600``); with ``digits``
    (the value of a variable already named like a secret, ``PASSWORD=123123``) it counts.
    """
    value = value.strip().strip("\"'")
    if len(value) < 6 or UNKNOWN in value:
        return False
    if _RUNTIME_VALUE.match(value) or (value.isdigit() and not digits):
        return False
    return value.lower() not in {"true", "false", "none", "null", "required", "optional"}


def find_in_text(content: str) -> list[str]:
    """Describe each secret found in a script or document (values are masked)."""
    found: list[str] = []
    for match in ACCESS_KEY_ID.finditer(content):
        found.append(f"an AWS access key id {match.group(0)[:4]}...{match.group(0)[-4:]}")
    found.extend("an AWS secret access key" for _ in SECRET_ACCESS_KEY.finditer(content))
    for match in PRIVATE_KEY.finditer(content):
        found.append(f"a private key ({match.group(0)})")
    for pattern in (ASSIGNMENT, FLAG):
        for match in pattern.finditer(content):
            name = match.group("name")
            if POINTER_SUFFIX.search(name) or not literal_secret_value(match.group("value")):
                continue
            found.append(f"a literal value for {name}")
    return found


def secret_variable(name: str, value: str) -> str | None:
    """Why a plain environment variable holds a secret, or None."""
    in_value = find_in_text(value)
    if any("access key" in f or "private key" in f for f in in_value):
        return f"{name} holds {in_value[0]}"
    if SECRET_NAME.search(name) and not POINTER_SUFFIX.search(name) and literal_secret_value(value, digits=True):
        return f"{name} holds a literal secret"
    return None
