"""The kiosk window over the real lane with every simulated device (scanner, produce scale,
bagging scale, ZVT card terminal, receipt printer, mock GPIO), for whole sales
(test_whole_sale.py). It is demo_harness.py's window plus one op, `device`, for what the devices
do: the same DemoControls hand the demo panel uses, so every reading goes through a simulator,
its pty or socket, the real driver and the checkout's rules; nothing is put into the controller.

argv: OUT_DIR CONFIG.
"""

from __future__ import annotations

import sys
from typing import Any

from demo_harness import DemoHarness

# The card terminal simulator thinks this long between its steps (card, PIN, host), so the
# paying screen's prompts stay up long enough to be seen and photographed.
TERMINAL_THINK_S = 1.2


class SaleHarness(DemoHarness):
    async def _start_devices(self) -> None:
        await super()._start_devices()
        assert self.devices is not None
        if self.devices.terminal_sim is not None:
            self.devices.terminal_sim.think_s = TERMINAL_THINK_S

    def op_device(self, what: str, **args: Any) -> bool:
        """A device does something: "scan" {code}, "scale" {weight_g, stable}, "bag" {action:
        expected / unexpected / clear}, "bag_add" {weight_g} (a shopper puts on or takes off
        that many grams), "terminal" {behaviour}."""
        demo = self.controller.demo
        if what == "scan":
            return bool(demo.scan(args["code"]))
        if what == "scale":
            return bool(demo.put_on_scale(int(args["weight_g"]), stable=bool(args["stable"])))
        if what == "bag":
            return bool(demo.bagging(args["action"]))
        if what == "bag_add":
            sim = demo.bagging_scale
            sim.weight_g, sim.stable = sim.weight_g + int(args["weight_g"]), True
            return True
        if what == "terminal":
            return bool(demo.terminal_next(args["behaviour"]))
        raise ValueError(f"unknown device action {what!r}")

    def op_sale(self) -> dict[str, Any]:
        """What the lane holds right now, beyond op_lane: the bagging area and the total."""
        co = self.controller.checkout
        state = self.op_lane()
        state.update(
            baseline_g=co.bagging.baseline_g,
            pending=len(co.bagging.pending),
            due_cents=co.amount_due_cents() if co.basket_id is not None else 0,
            screen=self.app.root.ids.sm.current,
            overlay=self.app.root.overlay.parent is not None,
        )
        return state


if __name__ == "__main__":
    SaleHarness(sys.argv[2]).run(sys.argv[2])
