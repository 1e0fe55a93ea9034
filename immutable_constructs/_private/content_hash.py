"""Content-derived versions for create-only Image Builder resources.

Every property of an ``AWS::ImageBuilder::Component`` or ``ImageRecipe`` (but Tags) is
create-only, and a name+version pair can exist only once. The version is therefore derived
from a sha256 of a canonical JSON of everything that defines the resource: the same content
gives the same version (a byte-identical template, no new image), different content gives a
different version (CloudFormation creates the replacement first, then deletes the old one).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

# Image Builder semantic versions are <major>.<minor>.<patch>, each a non-negative integer
# of at most 2^30-1. The patch carries 28 bits of the hash (7 hex digits): < 2^28.
PATCH_HEX_DIGITS = 7
BASE_VERSION = re.compile(r"^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$")


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def content_hash(value: Any) -> str:
    """The sha256 (hex) of ``canonical_json(value)``."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def versioned(base: str, digest: str) -> str:
    """``<major>.<minor>`` from ``base`` plus a patch number taken from ``digest``'s first 7 hex digits."""
    return f"{base}.{int(digest[:PATCH_HEX_DIGITS], 16)}"
