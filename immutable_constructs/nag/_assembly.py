"""What the pack reads from the cloud assembly besides the templates: each stack's construct
metadata (logical ids, acknowledgements, predicted failures), its nested templates, its file
and container image assets and the stacks it is deployed after. Plain Python, no jsii."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

__all__ = ["StackArtifact", "deployed_after", "read_json", "stack_artifact", "stack_artifacts"]


def read_json(path: str) -> Any:
    """The parsed JSON file at ``path``, or None when it is missing or not JSON."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class StackArtifact:
    """One stack of the cloud assembly, as the pack needs it."""

    template_path: str
    name: str = ""
    #: construct path (no leading slash) -> metadata entries
    metadata: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    nested: list[str] = field(default_factory=list)
    #: S3 object key -> local file of each file asset (templates excluded)
    assets: dict[str, str] = field(default_factory=dict)
    #: the stacks (artifact ids) this one depends on directly
    dependencies: list[str] = field(default_factory=list)
    #: ``repository:tag`` of each container image asset (tagged by its content hash), whatever the synthesizer
    images: frozenset[str] = frozenset()


def _images(asset_manifest: Any, metadata: Any) -> set[str]:
    """``repository:tag`` of the image assets an asset manifest publishes (``dockerImages``) and, for the legacy
    synthesizer (no asset manifest), the ``aws:cdk:asset`` metadata entries of packaging ``container-image``."""
    found: set[str] = set()
    for asset in ((asset_manifest or {}).get("dockerImages") or {}).values():
        for destination in ((asset or {}).get("destinations") or {}).values():
            repository, tag = (destination or {}).get("repositoryName"), (destination or {}).get("imageTag")
            if isinstance(repository, str) and isinstance(tag, str):
                found.add(f"{repository}:{tag}")
    for entries in (metadata or {}).values():
        for entry in entries if isinstance(entries, list) else []:
            data = entry.get("data") if isinstance(entry, dict) and entry.get("type") == "aws:cdk:asset" else None
            if isinstance(data, dict) and data.get("packaging") == "container-image":
                repository = data.get("repositoryName") or "aws-cdk/assets"
                tag = data.get("imageTag") or data.get("sourceHash")
                if isinstance(repository, str) and isinstance(tag, str):
                    found.add(f"{repository}:{tag}")
    return found


def _artifact(directory: str, file_name: str, template_path: str) -> StackArtifact:
    manifest = read_json(os.path.join(directory, "manifest.json")) or {}
    artifacts = manifest.get("artifacts") or {}
    for name, artifact in artifacts.items():
        if (artifact.get("properties") or {}).get("templateFile") != file_name:
            continue
        metadata = artifact.get("metadata")
        if metadata is None and artifact.get("additionalMetadataFile"):
            metadata = read_json(os.path.join(directory, artifact["additionalMetadataFile"]))
        nested: list[str] = []
        assets: dict[str, str] = {}
        stacks: list[str] = []
        images = _images(None, metadata)
        for dependency in artifact.get("dependencies") or []:
            dependency_artifact = artifacts.get(dependency, {})
            if dependency_artifact.get("type") == "aws:cloudformation:stack":
                stacks.append(dependency)
            assets_file = (dependency_artifact.get("properties") or {}).get("file")
            asset_manifest = read_json(os.path.join(directory, assets_file)) if assets_file else None
            images |= _images(asset_manifest, None)
            for asset in ((asset_manifest or {}).get("files") or {}).values():
                source = str((asset.get("source") or {}).get("path", ""))
                if source.endswith(".nested.template.json"):
                    nested.append(os.path.join(directory, source))
                elif source and (asset.get("source") or {}).get("packaging", "file") == "file":
                    for destination in (asset.get("destinations") or {}).values():
                        key = destination.get("objectKey")
                        if isinstance(key, str):
                            assets[key] = os.path.join(directory, source)
        return StackArtifact(
            template_path,
            name,
            {path.lstrip("/"): entries for path, entries in (metadata or {}).items()},
            sorted(nested),
            assets,
            stacks,
            frozenset(images),
        )
    return StackArtifact(template_path)


def stack_artifact(template_path: str) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """The construct metadata the CDK wrote for the stack of ``template_path`` (path -> entries)
    and the templates of its nested stacks.

    Both sit next to the template: ``manifest.json`` names the stack's metadata file and its
    asset manifest, whose file assets include every ``*.nested.template.json``. Paths are
    returned without their leading slash, as construct paths are written elsewhere.
    """
    artifact = stack_artifacts([template_path])[0]
    return artifact.metadata, artifact.nested


def stack_artifacts(template_paths: list[str]) -> list[StackArtifact]:
    """Each stack of ``template_paths`` (stacks inside a ``Stage`` have their own manifest)."""
    return [_artifact(*os.path.split(path), path) for path in template_paths]


def deployed_after(artifacts: list[StackArtifact]) -> dict[str, frozenset[str]]:
    """Stack name -> every stack it is deployed after (its dependencies, transitively)."""
    direct = {a.name: set(a.dependencies) for a in artifacts if a.name}
    closed: dict[str, frozenset[str]] = {}
    for name in direct:
        seen: set[str] = set()
        todo = list(direct[name])
        while todo:
            other = todo.pop()
            if other not in seen:
                seen.add(other)
                todo.extend(direct.get(other, ()))
        closed[name] = frozenset(seen)
    return closed
