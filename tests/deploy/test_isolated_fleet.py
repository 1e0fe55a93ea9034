"""examples/isolated_fleet deployed for real: pin, release, failed release, destroy."""

from __future__ import annotations

import pytest

from .conftest import ROOT, Emulator
from .lifecycle import Lifecycle, load_build

pytestmark = pytest.mark.deploy


def test_isolated_fleet_deploys_releases_rolls_back_and_destroys(emulator: Emulator) -> None:
    lifecycle = Lifecycle(
        emulator,
        stack="IsolatedFleet",
        build=load_build(ROOT / "examples" / "isolated_fleet" / "app.py", "isolated_fleet"),
        parameters=("/images/worker/stable",),
        first=4,
    )
    lifecycle.run()
