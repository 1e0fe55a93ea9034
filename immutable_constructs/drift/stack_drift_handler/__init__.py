"""The stack drift check function (a Lambda asset: index.py)."""
