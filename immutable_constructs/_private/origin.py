"""Where the user's code created one of the library's constructs, recorded for the SARIF report.

``record_origin(self)`` right after ``super().__init__`` walks the Python stack out of this
package (and out of aws_cdk, jsii, constructs and typeguard) to the first frame of the app and
adds ``{"file": <absolute path>, "line": <line>}`` as construct metadata of type
``immutable-constructs:origin``. The CDK writes construct metadata into the cloud assembly
(``manifest.json``), never into a template, so templates do not change; ``immutable-constructs
report`` puts every finding on a resource below the construct at that line, instead of
searching the source for the construct id (which an earlier call with the same id string,
``add_target_groups("Web", ...)``, would win). One jsii call per library construct.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import FrameType

from constructs import Construct

from ..nag._run_record import ORIGIN_METADATA

__all__ = ["caller", "record_origin"]

_PACKAGE = str(Path(__file__).resolve().parent.parent) + os.sep
#: Frames of these libraries are never the user's line.
_LIBRARIES = tuple(f"{os.sep}{name}{os.sep}" for name in ("aws_cdk", "jsii", "constructs", "typeguard", "cdk_nag"))


def _internal(filename: str) -> bool:
    path = os.path.abspath(filename)
    return path.startswith(_PACKAGE) or filename.startswith("<frozen") or any(lib in path for lib in _LIBRARIES)


def caller() -> tuple[str, int] | None:
    """The file and line of the first stack frame outside the library and the CDK."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and _internal(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return None
    return os.path.abspath(frame.f_code.co_filename), frame.f_lineno


def record_origin(construct: Construct) -> None:
    """Record the user's line that created ``construct`` in its metadata (nothing when the
    library itself is the caller all the way up, e.g. a construct made by another one)."""
    where = caller()
    if where is not None:
        construct.node.add_metadata(ORIGIN_METADATA, {"file": where[0], "line": where[1]})
