"""Construct metadata the library records for the rule pack (plain Python: the pack reads it without Node)."""

from __future__ import annotations

__all__ = ["PREDICTED_FAILURE"]

#: Recorded next to a warning that predicts a failed deploy or launch; the rule pack reports it as
#: IMM-FAIL1 (an error, acknowledgeable with a reason), whether or not the warning is acknowledged.
#: Data: ``{"warning": id, "fails": "deploy" | "launch", "message": text}``.
PREDICTED_FAILURE = "immutable-constructs:predictedFailure"
