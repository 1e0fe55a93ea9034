"""examples/minimal_fleet deployed for real: pin, release, failed release, destroy (issue 27)."""

from __future__ import annotations

import pytest

from .conftest import ROOT, Emulator
from .lifecycle import Lifecycle, load_build

pytestmark = pytest.mark.deploy


def test_minimal_fleet_deploys_releases_rolls_back_and_destroys(emulator: Emulator) -> None:
    lifecycle = Lifecycle(
        emulator,
        stack="MinimalFleet",
        build=load_build(ROOT / "examples" / "minimal_fleet" / "app.py", "minimal_fleet"),
        parameter="/images/web/stable",
        first=17,
    )
    lifecycle.run()
