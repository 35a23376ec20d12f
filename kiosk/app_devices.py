"""The lane's hardware, wired to its controller: part of the composition root (with app.py).

`LaneDevices` builds the devices named in the config's [devices] table, keeps each one running
under a `Supervisor` on the kiosk's asyncio loop, and turns what they say into checkout commands:

* scanner, wedge and camera labels -> `Scan` (the same label from two readers within a short
  window counts once: `ScanDeduplicator`; the camera itself reports a code once while it stays
  in view);
* the produce scale's readings -> `Weigh`, only while the lane waits for a weight and only what
  the legal-for-trade rules allow (`LegalWeighing`: stable, >= Min, <= Max, not under zero,
  changed since the last weighing); refusals become the shopper's message;
* the bagging scale's stable readings -> `BaggingWeight` for the bagging-area rules;
* a device that goes away -> `DeviceLost` (a device-fault intervention), and back -> `DeviceBack`;
* the GPIO tower light follows the lane's state after every command; the buzzer beeps for a
  scan, sounds an error for a refusal and calls attention for an intervention; the help button
  calls help, the key switch opens the staff panel, the presence sensor wakes the attract screen.

With `[devices] simulate = true` (the demo), simulators on ptys stand in for the scanner and the
scales, and the weighing screen's gram entry puts that weight on the simulated scale, so the demo
goes through the same drivers and rules as a real lane. A ZVT card terminal simulator runs on
loopback TCP beside them. The simulators are kept (`scanner_sim`, `scale_sim`, `bagging_sim`,
`terminal_sim`) for the demo panel (kiosk.app_demo.DemoControls), which drives them.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hardware.dedup import ScanDeduplicator
from hardware.device import (
    DEFAULT_BACKOFF_S,
    OPEN_STATES,
    DataEvent,
    Device,
    ErrorEvent,
    Event,
    Supervisor,
)
from hardware.scale import Scale, ScaleStatus, Weight
from hardware.scanner import BarcodeScanner, ScanData
from hardware.serial_port import LineSettings
from kiosk.config_devices import CameraConfig, DevicesConfig, ScaleConfig, SerialPortConfig
from kiosk.domain import commands as cmd
from kiosk.domain.facts import Fact
from kiosk.domain.flow import FlowState
from kiosk.domain.weighing import LegalWeighing, ScaleCondition, ScaleReading, WeighingRefused
from kiosk.lane.signals import light_pattern, sound_for
from kiosk.ui.staff_status import DeviceStatus

log = logging.getLogger(__name__)

Post = Callable[[Callable[[], None]], object]
Outcome = Sequence[Fact] | BaseException


class LaneDevices:
    """Every device of one lane; `start()` on the kiosk's loop, `stop()` before it ends."""

    def __init__(
        self,
        config: DevicesConfig,
        controller: Any,  # kiosk.app_lane.LaneController (not imported: app imports this module)
        *,
        refresh: Callable[[], None],
        post: Post,
        backoff_s: Sequence[float] = DEFAULT_BACKOFF_S,
        on_preview: Callable[[Any], None] | None = None,
    ) -> None:
        self.config = config
        self.controller = controller
        self.refresh = refresh
        self.post = post
        self.backoff_s = backoff_s
        self.on_preview = on_preview
        self.supervisors: list[Supervisor] = []
        self.simulators: list[Any] = []
        self.dedup = ScanDeduplicator()
        self.peripherals: Any = None
        # The demo's simulators (simulate = true), for the demo panel (kiosk.app_demo).
        self.scanner_sim: Any = None
        self.scale_sim: Any = None
        self.bagging_sim: Any = None
        self.terminal_sim: Any = None  # the ZVT card terminal simulator
        self._legal: LegalWeighing | None = None
        self._condition = ScaleCondition.OK
        self._priced_g: int | None = None  # last priced weighing; None once the platter emptied
        self._last_refusal = ""
        self._bagging_g: int | None = None
        self._sim_dir: tempfile.TemporaryDirectory[str] | None = None
        self.payments: Any = None  # kiosk.app_payment.PaymentRunner with [devices.terminal]
        self.receipts: Any = None  # kiosk.app_receipts.ReceiptDesk with [devices.printer]
        self.printer_sim: Any = None

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        cfg = self._with_simulators(self.config) if self.config.simulate else self.config
        if cfg.scanner is not None:
            self._supervise(BarcodeScanner("scanner", cfg.scanner.port, _line(cfg.scanner)),
                            self._on_scan_event)
        if cfg.wedge is not None:
            from hardware.wedge import WedgeScanner

            self._supervise(WedgeScanner("wedge", cfg.wedge.path, cfg.wedge.layout),
                            self._on_scan_event)
        if cfg.scale is not None:
            self._legal = LegalWeighing(cfg.scale.min_weight_g, cfg.scale.max_weight_g)
            self._supervise(_scale("scale", cfg.scale), self._on_scale_event)
            self.controller.weight_entry = self._enter_weight
            self.controller.scale_entry = "simulated" if self.scale_sim is not None else "scale"
        if cfg.bagging is not None:
            self._supervise(_scale("bagging", cfg.bagging, continuous=True),
                            self._on_bagging_event)
        if cfg.camera is not None:
            self._supervise(_camera(cfg.camera, self.on_preview), self._on_scan_event)
        if cfg.terminal is not None:
            from kiosk.app_payment import start_payments

            self.payments = start_payments(self, cfg.terminal)
        if cfg.printer is not None:
            from kiosk.app_receipts import start_receipts

            self.receipts = start_receipts(self, cfg.printer)
        if cfg.gpio is not None:
            self._start_gpio(cfg)
        self.controller.listeners.append(self._after_command)
        self.controller.status_source = self.device_status
        self._after_command(())

    def device_status(self) -> list[DeviceStatus]:
        """Each supervised device for the attendant panel: open (even after one failed
        operation) counts as online; offline or closed (being reopened) does not."""
        detail = {"printer": self.receipts.problem} if self.receipts is not None else {}
        return [DeviceStatus(s.device.name, s.device.state in OPEN_STATES
                             and detail.get(s.device.name, "") in ("", "paper_near_end"),
                             s.outages, detail.get(s.device.name, ""))
                for s in self.supervisors]

    async def stop(self) -> None:
        if self.payments is not None:
            await self.payments.stop()
        for supervisor in self.supervisors:
            await supervisor.stop()
        self.supervisors.clear()
        if self.peripherals is not None:
            self.peripherals.close()
            self.peripherals = None
        for sim in self.simulators:
            (getattr(sim, "stop", None) or sim.close)()
        self.simulators.clear()
        if self._sim_dir is not None:
            self._sim_dir.cleanup()
            self._sim_dir = None

    def _supervise(self, device: Device, on_event: Callable[[Event], None], *,
                   on_lost: Callable[[str, str], None] | None = None,
                   on_back: Callable[[str, str], None] | None = None) -> None:
        """Keep `device` open; by default its loss is a device fault at the lane."""
        supervisor = Supervisor(device, on_event=on_event, on_lost=on_lost or self._on_lost,
                                on_back=on_back or self._on_back, backoff_s=self.backoff_s)
        self.supervisors.append(supervisor)
        supervisor.start()

    # -- what devices say -------------------------------------------------------------------

    def _on_scan_event(self, event: Event) -> None:
        if isinstance(event, ErrorEvent):
            log.warning("%s: %s", event.device, event.error)
            return
        if not isinstance(event, DataEvent) or not isinstance(event.data, ScanData):
            return
        scan = event.data
        if not self.dedup.accept(scan.text, scan.source, time.monotonic()):
            return
        self._perform(cmd.Scan(text=(scan.aim or "") + scan.text, source=scan.source))

    def _on_scale_event(self, event: Event) -> None:
        if isinstance(event, ErrorEvent):
            log.warning("%s: %s", event.device, event.error)
            return
        if not isinstance(event, DataEvent):
            self._note_status(event)
            return
        weight = event.data
        if not isinstance(weight, Weight) or self._legal is None:
            return
        weighing = self.controller.checkout.state is FlowState.WEIGHING
        if weighing and (weight.grams, weight.stable) != (
                self.controller.live_weight_g, self.controller.live_steady):
            self.controller.live_weight_g = weight.grams  # shown, never priced from here
            self.controller.live_steady = weight.stable
            self.refresh()
        if weight.stable and weight.grams < self._legal.min_weight_g:
            self._priced_g = None  # the platter was emptied: the next weighing may repeat
        if self.controller.checkout.state is not FlowState.WEIGHING or not weight.stable:
            return
        reading = ScaleReading(weight.grams, weight.stable, self._condition)
        try:
            grams = self._legal.check(reading, self._priced_g)
        except WeighingRefused as refusal:
            # An empty platter reads below Min all the time: say "at least 40 g" only once
            # something lies on it.
            empty = refusal.reason == "below_minimum" and weight.grams <= 0
            if refusal.reason != self._last_refusal and not empty:
                self._last_refusal = refusal.reason
                self.controller.show_refusal(refusal)
                self.refresh()
            return
        self._last_refusal = ""
        self._priced_g = grams
        self._perform(cmd.Weigh(weight_g=grams, stable=True))

    def _note_status(self, event: Event) -> None:
        status = getattr(event, "status", "")
        if status == ScaleStatus.OVERWEIGHT.value:
            self._condition = ScaleCondition.OVERLOAD
        elif status == ScaleStatus.UNDER_ZERO.value:
            self._condition = ScaleCondition.UNDER_ZERO
        elif status in (ScaleStatus.STABLE.value, ScaleStatus.ZERO.value,
                        ScaleStatus.UNSTABLE.value):
            self._condition = ScaleCondition.OK
        # A scale that sends no weight while it moves (Toledo) still says so: "wait, weighing".
        steady = status != ScaleStatus.UNSTABLE.value
        if self.controller.checkout.state is FlowState.WEIGHING and \
                status in (ScaleStatus.STABLE.value, ScaleStatus.UNSTABLE.value) and \
                steady != self.controller.live_steady:
            self.controller.live_steady = steady
            self.refresh()

    def _on_bagging_event(self, event: Event) -> None:
        if not isinstance(event, DataEvent) or not isinstance(event.data, Weight):
            return
        weight = event.data
        if not weight.stable or weight.grams == self._bagging_g:
            return  # the bagging rules decide on settled weights only, once per change
        self._bagging_g = weight.grams
        self._perform(cmd.BaggingWeight(weight_g=weight.grams, stable=True))

    def _on_lost(self, name: str, detail: str) -> None:
        self._perform(cmd.DeviceLost(device=name, detail=detail))

    def _on_back(self, name: str, detail: str) -> None:
        self._perform(cmd.DeviceBack(device=name))

    def _perform(self, command: Any) -> None:
        self.controller.perform(command)
        self.refresh()

    # -- the demo's hand on the simulated scale ---------------------------------------------

    def _enter_weight(self, grams: int) -> bool:
        """The weighing screen's gram entry: on a simulated scale it puts `grams` on the platter
        (True); a real scale is read, never typed (False)."""
        if self.scale_sim is None:
            return False
        self.scale_sim.weight_g, self.scale_sim.stable = grams, True
        return True

    # -- GPIO -------------------------------------------------------------------------------

    def _start_gpio(self, cfg: DevicesConfig) -> None:
        from hardware.gpio import GpioConfig, LanePeripherals
        from kiosk.ui import intents as ui

        gpio = cfg.gpio
        assert gpio is not None
        factory = "mock" if cfg.simulate else gpio.pin_factory
        self.peripherals = LanePeripherals(
            GpioConfig.from_mapping({"pin_factory": factory, **gpio.pins,
                                     "patterns": dict(gpio.patterns)}),
            post=self.post,
            on_help=lambda: self._send(ui.Help()),
            on_key=lambda on: self._send(ui.StaffPanel(open=on)),
            on_presence=lambda present: self._wake() if present else None,
        )

    def _send(self, intent: Any) -> None:
        self.controller.send(intent)
        self.refresh()

    def _wake(self) -> None:
        from kiosk.ui import intents as ui

        if self.controller.checkout.state is FlowState.IDLE:
            self._send(ui.Start())

    def _after_command(self, outcome: Outcome) -> None:
        if self.peripherals is None:
            return
        checkout = self.controller.checkout
        warning = self.receipts is not None and self.receipts.problem not in ("", "offline")
        self.peripherals.show(light_pattern(checkout.state, checkout.interventions,
                                            device_warning=warning))
        self.peripherals.sound(sound_for(outcome))

    # -- simulators ---------------------------------------------------------------------------

    def _with_simulators(self, cfg: DevicesConfig) -> DevicesConfig:
        from dataclasses import replace

        from hardware.sim.scale import ScaleSimulator
        from hardware.sim.scanner import ScannerSimulator

        self._sim_dir = tempfile.TemporaryDirectory(prefix="kiosk-sim-")
        folder = Path(self._sim_dir.name)
        scanner = ScannerSimulator(folder / "kiosk-scanner")
        scanner.start()
        self.simulators.append(scanner)
        self.scanner_sim = scanner
        log.info("demo: a simulated scanner on %s; type codes in the window. To drive a "
                 "scanner from a terminal, run `kiosk sim scanner` and put its port in a "
                 "config's [devices.scanner]", scanner.port)
        out = replace(cfg, scanner=SerialPortConfig(port=scanner.port))
        if cfg.scale is not None:
            self.scale_sim = ScaleSimulator(cfg.scale.protocol, folder / "kiosk-scale")
            self.scale_sim.start()
            self.simulators.append(self.scale_sim)
            out = replace(out, scale=replace(cfg.scale, line=replace(
                cfg.scale.line, port=str(self.scale_sim.port))))
        if cfg.bagging is not None:
            bagging_sim = ScaleSimulator(cfg.bagging.protocol, folder / "kiosk-bagging")
            bagging_sim.start()
            self.simulators.append(bagging_sim)
            self.bagging_sim = bagging_sim
            out = replace(out, bagging=replace(cfg.bagging, line=replace(
                cfg.bagging.line, port=str(bagging_sim.port))))
        if cfg.terminal is not None:
            self.terminal_sim = _terminal_simulator()
            self.simulators.append(self.terminal_sim)
            out = replace(out, terminal=replace(cfg.terminal, url=self.terminal_sim.address))
        if cfg.printer is not None:
            from hardware.sim.printer import PrinterSimulator

            self.printer_sim = PrinterSimulator(folder / "kiosk-printer")
            self.printer_sim.start()
            self.simulators.append(self.printer_sim)
            log.info("demo: a simulated receipt printer on %s", self.printer_sim.port)
            out = replace(out, printer=replace(cfg.printer, url=str(self.printer_sim.port)))
        return out


def _terminal_simulator() -> Any:
    """A started ZVT card terminal simulator on loopback TCP (its `address` is what a
    ZvtTerminal connects to; the demo panel sets its `next_behaviour`)."""
    from hardware.sim.zvt import ZvtSimulator

    sim = ZvtSimulator(transport="tcp")
    sim.start()
    log.info("demo: a simulated ZVT card terminal on %s", sim.address)
    return sim


def _camera(cfg: CameraConfig, on_preview: Callable[[Any], None] | None) -> Device:
    """A camera scanner; its reads join the serial scanner's through the same deduplicator."""
    from hardware.camera import CameraScanner
    from hardware.camera_decode import DecodePipeline
    from hardware.capture import make_source

    source = make_source(cfg.source, width=cfg.width, height=cfg.height, fps=cfg.fps,
                         loop=cfg.loop)
    return CameraScanner("camera", source, DecodePipeline(), on_preview=on_preview)


def _line(port: SerialPortConfig) -> LineSettings:
    return LineSettings(baudrate=port.baudrate, bytesize=port.bytesize, parity=port.parity,
                        stopbits=port.stopbits)


def _scale(name: str, cfg: ScaleConfig, *, continuous: bool = False) -> Scale:
    return Scale(name, cfg.line.port, cfg.protocol, min_weight_g=cfg.min_weight_g,
                 continuous=continuous and cfg.protocol == "mtsics")
