"""The lane's window when first boot could not enrol it: a real window over the real lane
(tests/ui/harness.py), showing the hub's reason, the device id and what to do. The screenshot
lands in tests/ui/screenshots/not_enrolled*.png for a person to look at."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from ui.conftest import start_window

from kiosk.app_firstboot import Firstboot
from tests.hub.hubtest import running_hub

from .lane import kiosk_config, provision

pytestmark = [pytest.mark.ui, pytest.mark.slow]


def test_a_lane_whose_code_was_refused_says_so_on_its_screen(tmp_path: Path) -> None:
    state, boot = tmp_path / "state", tmp_path / "boot"

    async def refuse() -> None:
        async with running_hub(tmp_path / "hub.sqlite") as hub:
            code = hub.store.create_enrol_code("lane-2")
            hub.store.enrol(code, "lane-2")
            provision(boot, hub.url, code, lane_id="lane-2")
            assert await asyncio.to_thread(Firstboot(state, (boot,), network_wait_s=0).run) == 1

    asyncio.run(refuse())
    window = start_window(tmp_path / "window", kiosk_config(tmp_path, state))
    try:
        texts = window.texts()
        assert "Anmeldung nötig" in texts
        notice = next(t for t in texts if t.startswith("Kasse nicht angemeldet: "))
        assert "the enrolment code was already used; make a new one" in notice
        assert "Geräte-ID dieser Kasse: lane-2" in notice
        assert any("Anmelde-QR-Code" in t for t in texts)  # what to do
        window.look("not_enrolled")
        window.type("\n")  # Enter alone: still the notice, nothing sold
        assert "Anmeldung nötig" in window.texts()
    finally:
        window.close()
