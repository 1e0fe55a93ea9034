"""examples/minimal_fleet deployed for real: pin, release, failed release, destroy.

On the first deployment its tainted-host and stack-drift functions are invoked with the events their
schedules send (tests/deploy/functions.py)."""

from __future__ import annotations

import pytest

from .conftest import ROOT, Emulator
from .functions import check_functions
from .lifecycle import Lifecycle, load_build

pytestmark = pytest.mark.deploy


def test_minimal_fleet_deploys_releases_rolls_back_and_destroys(emulator: Emulator) -> None:
    lifecycle = Lifecycle(
        emulator,
        stack="MinimalFleet",
        build=load_build(ROOT / "examples" / "minimal_fleet" / "app.py", "minimal_fleet"),
        parameters=("/images/web/stable",),
        first=17,
        on_deployed=check_functions,
    )
    lifecycle.run()
