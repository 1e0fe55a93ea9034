"""The tag keys the constructs put on AWS resources, each defined once.

They are public API: operators' IAM conditions (``ssm:resourceTag/<key>``), scripts and
lifecycle rules select resources by them, so a key never changes meaning or spelling
(CHANGELOG 0.1.0, "Instance tags"). Values are per construct (a unique id, a content hash...).
"""

from __future__ import annotations

#: Every instance (and taggable resource) of an ``ImmutableFleet``/``BlueGreenFleet``, value: the
#: fleet's unique id. ``SessionManagerAccess.grant_start_session(..., fleet=...)`` scopes sessions with it.
FLEET = "immutable-constructs:fleet"

#: Every taggable resource of a fleet added to a ``SessionManagerAccess`` (propagated to instances at
#: launch), value: that construct's unique id. ``grant_start_session`` without ``fleet`` scopes with it.
SESSION_ACCESS = "immutable-constructs:session-access"

#: Image Builder resources and AMIs of a ``GoldenImagePipeline``.
CONTENT_HASH = "immutable-constructs:content-hash"
SOURCE_REVISION = "immutable-constructs:source-revision"
BUILD_DATE = "immutable-constructs:build-date"
IMAGE_LINE = "immutable-constructs:image-line"
#: AMIs promoted to a channel (the promotion handler's ``KEEP_TAG_KEY``); lifecycle rules keep them.
PROMOTED = "immutable-constructs:promoted"
