"""The demo control panel's hand on the simulators: part of the composition root (`make run`).

`DemoControls` holds the simulators a demo lane's `LaneDevices` started and drives them the way
a person at a real lane would: a scan goes as bytes through the scanner simulator's pty (the
same driver, deduplicator and checkout path a real scanner takes), weights are put on the
simulated produce and bagging scales (their drivers read them like real ones), the help button
is pressed on its GPIO pin (gpiozero's MockFactory, so the real callback fires) and the card
terminal simulator is told how to answer the next payment.

Nothing here decides anything about the sale: the devices report what happened and the checkout
decides, exactly as in a production lane. When a simulator is not running in this
configuration the button says so on the screen (and in the log) instead of pretending.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.ui import intents as ui
from kiosk.ui.strings import t
from kiosk.ui.viewmodel import MessageView

log = logging.getLogger(__name__)

UNEXPECTED_G = 500  # "+ 500 g not scanned": clearly more than the bagging noise band
UNSTABLE_G = 480  # what "the item wobbles" shows when the platter was empty
TERMINAL_BEHAVIOURS = ("approve", "decline", "customer_timeout")
BAGGING_ACTIONS = ("expected", "unexpected", "clear")
FEATURES = ("scan", "scale", "bagging", "help", "terminal")


class DemoControls:
    """The demo panel's actions on the running simulators of `devices` (a started
    `kiosk.app_devices.LaneDevices` with `simulate = true`) for `controller` (its LaneController).

    `features` names what is running ("scan", "scale", "bagging", "help", "terminal"), so the
    panel can grey out the rest. Every action returns True when the device was driven.
    """

    def __init__(self, devices: Any, controller: Any) -> None:
        self.devices = devices
        self.controller = controller

    # -- what is there -------------------------------------------------------------------

    @property
    def scanner(self) -> Any:
        return getattr(self.devices, "scanner_sim", None)

    @property
    def scale(self) -> Any:
        return getattr(self.devices, "scale_sim", None)

    @property
    def bagging_scale(self) -> Any:
        return getattr(self.devices, "bagging_sim", None)

    @property
    def terminal(self) -> Any:
        return getattr(self.devices, "terminal_sim", None)

    @property
    def help_pin(self) -> Any:
        """The help button's mock pin (None without a help button or without mock GPIO)."""
        peripherals = getattr(self.devices, "peripherals", None)
        if peripherals is None or peripherals.help_button is None:
            return None
        pin = peripherals.pin_factory.pin(peripherals.config.help_button)
        return pin if hasattr(pin, "drive_low") else None  # only a mock pin can be "pressed"

    @property
    def features(self) -> frozenset[str]:
        present = {"scan": self.scanner, "scale": self.scale, "bagging": self.bagging_scale,
                   "help": self.help_pin, "terminal": self.terminal}
        return frozenset(name for name, thing in present.items() if thing is not None)

    # -- the panel's intents -----------------------------------------------------------------

    def handle(self, intent: Any) -> bool:
        """Carry out one of the panel's intents (kiosk.ui.intents.Demo*)."""
        match intent:
            case ui.DemoScan(code=code):
                return self.scan(code)
            case ui.DemoWeight(weight_g=grams, stable=stable):
                return self.put_on_scale(grams, stable=stable)
            case ui.DemoBagging(action=action):
                return self.bagging(action)
            case ui.DemoHelp():
                return self.press_help()
            case ui.DemoTerminal(behaviour=behaviour):
                return self.terminal_next(behaviour)
        log.warning("demo: ignoring unknown intent %r", intent)
        return False

    def scan(self, code: str) -> bool:
        """The simulated scanner reads `code`: its frame goes over the pty to the driver."""
        from hardware.sim.scanner import aim_for

        if self.scanner is None:
            return self._missing("scanner")
        self.scanner.scan(code, aim=aim_for(code))
        log.info("demo: the simulated scanner reads %s", code)
        return True

    def put_on_scale(self, weight_g: int, *, stable: bool = True) -> bool:
        """Put `weight_g` grams on the simulated produce scale; `stable=False` makes it wobble
        (keeping what lies there, or UNSTABLE_G on an empty platter)."""
        sim = self.scale
        if sim is None:
            return self._missing("scale")
        if not stable and weight_g <= 0:
            weight_g = sim.weight_g if sim.weight_g > 0 else UNSTABLE_G
        sim.weight_g, sim.stable = weight_g, stable
        log.info("demo: %d g %s on the produce scale", weight_g,
                 "stable" if stable else "moving")
        return True

    def bagging(self, action: str) -> bool:
        """Change the bagging scale: "expected" adds the weight the oldest scanned item is
        awaited with (the middle of its accepted band), "unexpected" adds UNEXPECTED_G,
        "clear" takes everything off."""
        sim = self.bagging_scale
        if sim is None:
            return self._missing("bagging")
        if action == "expected":
            pending = self.controller.checkout.bagging.pending
            if not pending:
                self._say(t("demo_nothing_to_place", self.controller.lang))
                return False
            awaited = pending[0]
            grams = (awaited.low_g + awaited.high_g) // 2
        elif action == "unexpected":
            grams = UNEXPECTED_G
        elif action == "clear":
            grams = -sim.weight_g
        else:
            raise ValueError(f"demo: bagging action {action!r} is not one of {BAGGING_ACTIONS}")
        sim.weight_g, sim.stable = sim.weight_g + grams, True
        log.info("demo: bagging scale %s, now %d g", action, sim.weight_g)
        return True

    def press_help(self) -> bool:
        """Press and release the help button's GPIO pin (active low, pulled up)."""
        pin = self.help_pin
        if pin is None:
            return self._missing("help")
        pin.drive_low()
        pin.drive_high()
        log.info("demo: help button pressed")
        return True

    def terminal_next(self, behaviour: str) -> bool:
        """The card terminal simulator answers the next authorisation with `behaviour`."""
        if behaviour not in TERMINAL_BEHAVIOURS:
            raise ValueError(
                f"demo: terminal behaviour {behaviour!r} is not one of {TERMINAL_BEHAVIOURS}")
        if self.terminal is None:
            log.warning("demo: terminal simulator not running; cannot make the next payment %s",
                        behaviour)
            return self._missing("terminal")
        self.terminal.next_behaviour = behaviour
        self._say(t(f"demo_next_{behaviour}", self.controller.lang))
        log.info("demo: the next payment will be answered with %s", behaviour)
        return True

    # -- telling the person at the panel --------------------------------------------------------

    def _missing(self, device: str) -> bool:
        lang = self.controller.lang
        self._say(t("demo_no_device", lang, device=t(f"demo_device_{device}", lang)))
        log.info("demo: the %s simulator is not running in this configuration", device)
        return False

    def _say(self, text: str) -> None:
        self.controller.message = MessageView(level="info", text=text)
