"""What the pack reads from the cloud assembly besides the templates: each stack's construct
metadata (logical ids, acknowledgements) and its nested templates. Plain Python, no jsii."""

from __future__ import annotations

import json
import os
from typing import Any

__all__ = ["read_json", "stack_artifact"]


def read_json(path: str) -> Any:
    """The parsed JSON file at ``path``, or None when it is missing or not JSON."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def stack_artifact(template_path: str) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """The construct metadata the CDK wrote for the stack of ``template_path`` (path -> entries)
    and the templates of its nested stacks.

    Both sit next to the template: ``manifest.json`` names the stack's metadata file and its
    asset manifest, whose file assets include every ``*.nested.template.json``. Paths are
    returned without their leading slash, as construct paths are written elsewhere.
    """
    directory, file_name = os.path.split(template_path)
    manifest = read_json(os.path.join(directory, "manifest.json")) or {}
    artifacts = manifest.get("artifacts") or {}
    for artifact in artifacts.values():
        if (artifact.get("properties") or {}).get("templateFile") != file_name:
            continue
        metadata = artifact.get("metadata")
        if metadata is None and artifact.get("additionalMetadataFile"):
            metadata = read_json(os.path.join(directory, artifact["additionalMetadataFile"]))
        nested: list[str] = []
        for dependency in artifact.get("dependencies") or []:
            assets_file = (artifacts.get(dependency, {}).get("properties") or {}).get("file")
            assets = read_json(os.path.join(directory, assets_file)) if assets_file else None
            for asset in ((assets or {}).get("files") or {}).values():
                source = str((asset.get("source") or {}).get("path", ""))
                if source.endswith(".nested.template.json"):
                    nested.append(os.path.join(directory, source))
        return {path.lstrip("/"): entries for path, entries in (metadata or {}).items()}, sorted(nested)
    return {}, []
