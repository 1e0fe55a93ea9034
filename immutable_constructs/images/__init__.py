"""Golden images: bake them (:class:`GoldenImagePipeline`), name them (:class:`AmiCatalog`), pin them
(:class:`PinnedSsmImage`).

=======================  ==================================================================
module                   what it holds
=======================  ==================================================================
``sources``              :class:`ParentImage` and :class:`ImageComponent`: what a recipe is made of
``catalog``              :class:`AmiCatalog`: the SSM parameters an image line's channels live in
``pinned``               :class:`PinnedSsmImage`: a machine image pinned to a parameter version
``first_image``          :class:`FirstImage`: the first image of each pipeline, promoted during the deploy
``distribution_key``     :class:`ImageDistributionKey`: a region's key for a pipeline's AMI copies
``distribution_target``  :class:`ImageDistributionTarget`: the role another account's pipeline copies AMIs in with
``key_grant``            :class:`ImageKeyGrant`: this account's Auto Scaling role may use a shared AMI's key
``trial``                :class:`TrialImage`: AWS's stock AL2023 image, the agent installed at boot (trials)
``pipeline``             :class:`GoldenImagePipeline`, composed of one private builder per Image
                         Builder concern (``_recipe``, ``_infrastructure``, ``_distribution``,
                         ``_notifications``, ``_promotion``, ``_lifecycle``)
=======================  ==================================================================

The names are imported on first use (PEP 562): ``from immutable_constructs import PinnedSsmImage``
in a fleet-only app loads neither Image Builder, Lambda nor cdk-nag.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._private.lazy import lazy_exports, public_names

# Type checkers read these; tests/test_exports.py checks that they name exactly the table's names.
if TYPE_CHECKING:
    from ._names import FindingSeverity as FindingSeverity
    from .catalog import AmiCatalog as AmiCatalog
    from .distribution_key import ImageDistributionKey as ImageDistributionKey
    from .distribution_target import ImageDistributionTarget as ImageDistributionTarget
    from .first_image import FirstImage as FirstImage
    from .key_grant import ImageKeyGrant as ImageKeyGrant
    from .pinned import PinnedSsmImage as PinnedSsmImage
    from .pipeline import GoldenImagePipeline as GoldenImagePipeline
    from .sources import ImageComponent as ImageComponent
    from .sources import ParentImage as ParentImage
    from .trial import TrialImage as TrialImage

#: public name -> the module that defines it (the package's one list of public names)
_MODULES = {
    "AmiCatalog": ".catalog",
    "FindingSeverity": "._names",
    "FirstImage": ".first_image",
    "GoldenImagePipeline": ".pipeline",
    "ImageComponent": ".sources",
    "ImageDistributionKey": ".distribution_key",
    "ImageDistributionTarget": ".distribution_target",
    "ImageKeyGrant": ".key_grant",
    "ParentImage": ".sources",
    "PinnedSsmImage": ".pinned",
    "TrialImage": ".trial",
}

__all__ = public_names(_MODULES)


__getattr__, __dir__ = lazy_exports(globals(), _MODULES)
