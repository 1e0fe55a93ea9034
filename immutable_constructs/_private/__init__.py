"""Implementation helpers. Nothing here is public API."""
