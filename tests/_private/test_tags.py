"""Tag keys are public API (CHANGELOG 0.1.0): IAM conditions, scripts and lifecycle rules select by them."""

from __future__ import annotations

from immutable_constructs._private import tags


def test_tag_keys_never_change_spelling() -> None:
    assert {name: value for name, value in vars(tags).items() if name.isupper()} == {
        "FLEET": "immutable-constructs:fleet",
        "SESSION_ACCESS": "immutable-constructs:session-access",
        "CONTENT_HASH": "immutable-constructs:content-hash",
        "SOURCE_REVISION": "immutable-constructs:source-revision",
        "BUILD_DATE": "immutable-constructs:build-date",
        "IMAGE_LINE": "immutable-constructs:image-line",
        "PROMOTED": "immutable-constructs:promoted",
    }
