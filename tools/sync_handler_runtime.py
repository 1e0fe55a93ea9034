"""Copy immutable_constructs/_private/handler_runtime.py into every handler asset folder.

Each handler folder is its own Lambda asset, so each ships its own copy; tests/_private/test_handler_runtime.py
fails when a copy differs from the source. Run ``python tools/sync_handler_runtime.py`` after editing it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "immutable_constructs"
SOURCE = ROOT / "_private" / "handler_runtime.py"
HANDLERS = (
    "fleet/blue_green_handler",
    "images/promotion_handler",
    "drift/tainted_hosts_handler",
    "drift/stack_drift_handler",
    "images/first_image_handler",
    "images/key_grant_handler",
)


def copies() -> list[Path]:
    return [ROOT / folder / "handler_runtime.py" for folder in HANDLERS]


def main() -> None:
    for target in copies():
        shutil.copyfile(SOURCE, target)
        print(f"wrote {target.relative_to(ROOT.parent)}")


if __name__ == "__main__":
    main()
