"""Paths of the files the corpus's apps deploy as assets (tools/corpus/apps/files)."""

from pathlib import Path

FILES = Path(__file__).resolve().parent / "files"
#: A minimal Lambda handler directory (index.handler), for the apps whose samples ship their own.
HANDLER = str(FILES / "handler")
