"""Old module path of the AMI catalog, kept so existing imports keep working.

The code lives in :mod:`immutable_constructs.images.catalog` now; import from
``immutable_constructs`` (or ``immutable_constructs.images``) in new code.
"""

from __future__ import annotations

from .images.catalog import AmiCatalog

__all__ = ["AmiCatalog"]
