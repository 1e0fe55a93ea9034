"""Golden images: bake them (:class:`GoldenImagePipeline`), name them (:class:`AmiCatalog`), pin them
(:class:`PinnedSsmImage`).

=======================  ==================================================================
module                   what it holds
=======================  ==================================================================
``sources``              :class:`ParentImage` and :class:`ImageComponent`: what a recipe is made of
``catalog``              :class:`AmiCatalog`: the SSM parameters an image line's channels live in
``pinned``               :class:`PinnedSsmImage`: a machine image pinned to a parameter version
``pipeline``             :class:`GoldenImagePipeline`, composed of one private builder per Image
                         Builder concern (``_recipe``, ``_infrastructure``, ``_distribution``,
                         ``_notifications``, ``_promotion``, ``_lifecycle``)
=======================  ==================================================================

The names are imported on first use (PEP 562): ``from immutable_constructs import PinnedSsmImage``
in a fleet-only app loads neither Image Builder, Lambda nor cdk-nag.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .catalog import AmiCatalog
    from .pinned import PinnedSsmImage
    from .pipeline import GoldenImagePipeline
    from .sources import ImageComponent, ParentImage

#: public name -> the module of this package that defines it
_MODULES = {
    "AmiCatalog": ".catalog",
    "GoldenImagePipeline": ".pipeline",
    "ImageComponent": ".sources",
    "ParentImage": ".sources",
    "PinnedSsmImage": ".pinned",
}

__all__ = ["AmiCatalog", "GoldenImagePipeline", "ImageComponent", "ParentImage", "PinnedSsmImage"]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
