"""The kiosk window over the REAL demo lane WITH its simulated devices, like `make run`: the
harness's window and ops (harness.py) over the real controller, plus LaneDevices (simulators
on ptys, mock GPIO) and DemoControls on the same asyncio loop, so the demo panel's buttons go
through the simulators, drivers, rules and journal.

argv: OUT_DIR CONFIG. Extra ops read the lane's state for the tests.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from harness import Harness

from kiosk.app import devices_of, load
from kiosk.app_demo import DemoControls
from kiosk.app_devices import LaneDevices
from kiosk.ui import intents as ui


class DemoHarness(Harness):
    """The devices start once the first frame is drawn (building the window holds the loop for
    seconds under software GL); the test starts once every device is open."""

    def run(self, config_path: str) -> None:
        config = load(Path(config_path))
        self.devices: LaneDevices | None = None

        async def main() -> None:
            loop = asyncio.get_running_loop()
            self.devices = LaneDevices(
                devices_of(config), self.controller,
                refresh=lambda: self.app.render(self.controller.view()),
                post=loop.call_soon_threadsafe, backoff_s=(0.05, 0.1))
            self.controller.demo = DemoControls(self.devices, self.controller)
            try:
                await self.app.async_run(async_lib="asyncio")
            finally:
                await self.devices.stop()

        try:
            asyncio.run(main())
        finally:
            self.controller.durable.db.conn.close()

    def _first_frame(self) -> None:
        self.first_frames += 1
        if self.first_frames == 1:
            asyncio.get_running_loop().create_task(self._start_devices())

    async def _start_devices(self) -> None:
        assert self.devices is not None
        await self.devices.start()
        # Under software GL on a busy machine one frame can hold the loop for seconds; the
        # scales' 5 s "no answer" limit would then report them gone and raise a device fault.
        for supervisor in self.devices.supervisors:
            if hasattr(supervisor.device, "offline_after_s"):
                supervisor.device.silent_after_s = supervisor.device.offline_after_s = 60.0
        while not all(s.device.is_open for s in self.devices.supervisors):
            await asyncio.sleep(0.02)
        self.first_frames -= 1
        super()._first_frame()  # "ready": the test may begin

    def op_intent(self, name: str, **fields: Any) -> None:
        """Send an intent as a screen would (e.g. SelectItem to reach the weighing screen)."""
        self.app.send(getattr(ui, name)(**fields))

    def op_lane(self) -> dict[str, Any]:
        co = self.controller.checkout
        return {
            "state": co.state.value,
            "lines": [[line.sku, line.weight_g, line.amount_cents] for line in co.basket.lines],
            "interventions": [str(iv.reason) for iv in co.interventions],
            "demo_open": bool(self.app.root.ids.demo.open),
            "message": self.app.root.message_text,
            "layer": len(self.app.root.ids.layer.children),
            "features": sorted(self.controller.demo.features),
        }


if __name__ == "__main__":
    DemoHarness(sys.argv[2]).run(sys.argv[2])
