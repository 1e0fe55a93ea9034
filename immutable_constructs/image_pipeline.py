"""Old module path of the golden image pipeline, kept so existing imports keep working.

The code lives in the :mod:`immutable_constructs.images` package now; import from
``immutable_constructs`` (or ``immutable_constructs.images``) in new code.
"""

from __future__ import annotations

from .images.pipeline import GoldenImagePipeline
from .images.sources import ImageComponent, ParentImage

__all__ = ["GoldenImagePipeline", "ImageComponent", "ParentImage"]
