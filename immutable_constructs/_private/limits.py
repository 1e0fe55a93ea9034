"""Deploy-time limits of descriptions the library derives from construct paths.

A construct id may be any string, but the descriptions built from it must deploy. Rather than
refuse a long or non-Latin construct id (the user did nothing wrong), the descriptions are
fitted to the service's limits: they are documentation, not identity.

* IAM role descriptions: at most 1000 characters of ``[\\t\\n\\r\\x20-\\x7E\\xA1-\\xFF]`` (IAM's
  pattern for ``Description``, Latin-1 without controls): accents are transliterated
  (``é`` -> ``e`` when it is not Latin-1 itself), other characters become ``?``.
* Lambda function descriptions: at most 256 characters.
* CloudWatch alarm descriptions: at most 1024 characters.

Text within the limits is returned unchanged, so templates of ordinary apps do not change.
"""

from __future__ import annotations

import re
import unicodedata

IAM_DESCRIPTION_MAX = 1000
LAMBDA_DESCRIPTION_MAX = 256
ALARM_DESCRIPTION_MAX = 1024
_IAM_DISALLOWED = re.compile(r"[^\t\n\r\x20-\x7e\xa1-\xff]")
_ELLIPSIS = "..."


def fit(text: str, limit: int) -> str:
    """``text``, cut to ``limit`` characters with a trailing ``...`` when longer."""
    return text if len(text) <= limit else text[: limit - len(_ELLIPSIS)] + _ELLIPSIS


def iam_description(text: str) -> str:
    """``text`` as a valid IAM role description: Latin-1 only (transliterated), at most 1000 characters."""
    if _IAM_DISALLOWED.search(text):
        text = "".join(_latin1(char) for char in text)
    return fit(text, IAM_DESCRIPTION_MAX)


def lambda_description(text: str) -> str:
    """``text`` cut to Lambda's 256 characters."""
    return fit(text, LAMBDA_DESCRIPTION_MAX)


def alarm_description(text: str) -> str:
    """``text`` cut to CloudWatch's 1024 characters."""
    return fit(text, ALARM_DESCRIPTION_MAX)


def _latin1(char: str) -> str:
    if not _IAM_DISALLOWED.match(char):
        return char
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base if base and not _IAM_DISALLOWED.search(base) else "?"
