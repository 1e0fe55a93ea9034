"""IMM-SSH4: no image or boot script opens a login (authorized_keys, password logins, users with passwords).

The key-pair rule (IMM-SSH2) only sees ``KeyName``; a key written to ``authorized_keys`` by an Image
Builder component or by user data gives the same SSH access. Checked: user data of launch templates,
instances and launch configurations, an Image Builder recipe's build-instance user data
(``AdditionalInstanceConfiguration.UserDataOverride``), and Image Builder component documents,
inline (``Data``) or from a file asset of the app (``Uri`` naming an asset the pack can read), and
the app's own script assets that user data downloads from S3 (``add_s3_download_command``).
"""

from __future__ import annotations

import os
from typing import Any

from .._intrinsics import get, text, user_data_text
from .._logins import find_logins
from .._model import Offence, Resource, Result, Template

#: Resource type -> where its script or document lives.
SCRIPTS: dict[str, tuple[str, ...]] = {
    "AWS::EC2::LaunchTemplate": ("LaunchTemplateData", "UserData"),
    "AWS::EC2::Instance": ("UserData",),
    "AWS::AutoScaling::LaunchConfiguration": ("UserData",),
    "AWS::ImageBuilder::ImageRecipe": ("AdditionalInstanceConfiguration", "UserDataOverride"),
    "AWS::ImageBuilder::Component": ("Data",),
}
RESOURCE_TYPES = frozenset(SCRIPTS)

#: Component files larger than this are not read (a component document is a few kilobytes).
MAX_FILE_BYTES = 1_000_000


def _read(path: str) -> str | None:
    """The text of a small, readable UTF-8 file (an asset), else None (a zip, a folder, too large)."""
    try:
        if not os.path.isfile(path) or os.path.getsize(path) > MAX_FILE_BYTES:
            return None
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def _asset_text(uri: Any, template: Template) -> tuple[str, str] | None:
    """(file name, contents) of the app's file asset a component's ``Uri`` names, when readable."""
    shown = text(uri, template)
    for object_key, path in template.assets.items():
        if shown.endswith("/" + object_key):
            content = _read(path)
            return (os.path.basename(path), content) if content is not None else None
    return None


def _downloaded_scripts(content: str, template: Template) -> str:
    """The app's own file assets the user data names (``user_data.add_s3_download_command`` of an
    ``s3_assets.Asset``, then ``add_execute_file_command``): their text, appended to the user data."""
    found = [_read(path) for key, path in template.assets.items() if key in content]
    return "".join(f"\n{script}" for script in found if script)


def evaluate(resource: Resource, template: Template) -> Result:
    keys = SCRIPTS[resource.type]
    value = get(resource.properties, *keys)
    path = "Properties." + ".".join(keys)
    if resource.type == "AWS::ImageBuilder::Component":
        if value is None:
            asset = _asset_text(resource.properties.get("Uri"), template)
            if asset is None:
                return Result.not_applicable()  # in S3, not in the app: not read
            name, content = asset
            path, shown = "Properties.Uri", f"<component document {name}>"
        else:
            content, shown = text(value, template), "<component document>"
        where = "every image built with this component"
    else:
        if value is None:
            return Result.not_applicable()
        content, shown = user_data_text(value, template), "<user data>"
        content += _downloaded_scripts(content, template)
        where = (
            "every build instance" if resource.type == "AWS::ImageBuilder::ImageRecipe" else "every instance it boots"
        )
    found = find_logins(content)
    return Result.of([Offence(path, shown, f"the script {what}: {where} accepts a login") for what in found])
