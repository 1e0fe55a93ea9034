"""One style for the library's warning ids: ``immutable-constructs:lowerCamelCase``.

A warning id is public API: users acknowledge it (``Annotations.of(scope).acknowledge_warning(id)``).
Renamed ids keep the old acknowledgement working: CDK removes a warning whose text contains
``[ack: <id>]`` (aws-cdk-lib ``core/lib/annotations``: ``removeWarningDeep`` matches the tag), so the
message carries the former id's tag too.
"""

from __future__ import annotations

import re

from aws_cdk import Annotations
from constructs import IConstruct

from .markers import PREDICTED_FAILURE

PREFIX = "immutable-constructs:"

ID_STYLE = re.compile(r"immutable-constructs:[a-z][A-Za-z0-9]*")


def warn(
    scope: IConstruct, warning_id: str, message: str, *, formerly: str | None = None, fails: str | None = None
) -> None:
    """``add_warning_v2`` with an id in the house style; ``formerly`` is a renamed id users may have acknowledged.

    ``fails`` (``"deploy"`` or ``"launch"``): the warning predicts that the deploy or every launch
    fails; it is also recorded as :data:`PREDICTED_FAILURE` metadata, which the rule pack reports.
    """
    if not ID_STYLE.fullmatch(warning_id):
        raise ValueError(f"warning id {warning_id!r} is not immutable-constructs:lowerCamelCase")
    if fails not in (None, "deploy", "launch"):
        raise ValueError(f"fails={fails!r}: use 'deploy' or 'launch'")
    text = message if formerly is None else f"{message} (formerly [ack: {formerly}])"
    Annotations.of(scope).add_warning_v2(warning_id, text)
    if fails is not None:
        scope.node.add_metadata(PREDICTED_FAILURE, {"warning": warning_id, "fails": fails, "message": message})
