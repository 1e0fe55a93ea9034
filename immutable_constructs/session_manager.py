"""The former home of :class:`~immutable_constructs.access.SessionManagerAccess` and
:class:`~immutable_constructs.access.SessionTarget`, kept so existing imports work.

Import them from ``immutable_constructs`` (or ``immutable_constructs.access``) instead.
"""

from __future__ import annotations

from .access.session_manager import SessionManagerAccess, SessionTarget

__all__ = ["SessionManagerAccess", "SessionTarget"]
