"""Receipts for the lane: print one, show an e-receipt QR instead, reprint the last one.

The layout is the domain's (`kiosk.domain.receipt`); the bytes are the printer driver's
(`hardware.printer`). This module maps one onto the other, knows whether the printer can print
(from its status events), and turns a printing failure into a note for the shopper and an
e-receipt offer: a receipt that cannot be printed is never a dead end. Not imported by hardware/.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from hardware.device import StatusEvent
from hardware.errors import HardwareError
from hardware.printer import QR, Cut, Feed, PrintItem, ReceiptPrinter, Rule, Text
from kiosk.config import Config
from kiosk.config_devices import PrinterConfig
from kiosk.domain.receipt import ReceiptLine, StoreHeader, layout_receipt

log = logging.getLogger(__name__)

BERLIN = ZoneInfo("Europe/Berlin")


def print_items(lines: tuple[ReceiptLine, ...]) -> list[PrintItem]:
    """The domain's receipt lines as the printer driver's items."""
    items: list[PrintItem] = []
    for line in lines:
        match line.kind:
            case "text":
                items.append(Text(line.text, bold=line.bold, align=line.align, size=line.size))
            case "rule":
                items.append(Rule(line.text or "-"))
            case "qr":
                items.append(QR(line.text))
            case "feed":
                items.append(Feed(int(line.text or 1)))
            case "cut":
                items.append(Cut())
    return items


def start_receipts(devices: Any, cfg: PrinterConfig) -> ReceiptDesk:
    """The receipt printer of `cfg` under the lane's supervision. Its loss or a paper problem is
    shown to the attendant and turns receipts into e-receipts; it never stops the lane."""
    printer = ReceiptPrinter("printer", cfg.url, columns=cfg.columns, codepage=cfg.codepage)
    desk = ReceiptDesk(devices.controller.config, printer, columns=cfg.columns,
                       refresh=devices.refresh)

    def on_event(event: Any) -> None:
        if isinstance(event, StatusEvent):
            desk.on_status(event.status)
            devices._after_command(())  # the light follows the paper
            devices.refresh()

    def on_lost(name: str, detail: str) -> None:
        log.warning("receipt printer lost: %s", detail)
        desk.on_status("offline")
        devices.refresh()

    def on_back(name: str, detail: str) -> None:
        desk.on_status("online")
        devices.refresh()

    devices._supervise(printer, on_event, on_lost=on_lost, on_back=on_back)
    devices.controller.receipts = desk
    return desk


class ReceiptDesk:
    """The lane's receipts. `printer` None: a lane without a printer offers e-receipts only.

    It also keeps the thank-you screen's receipt choice for the sale on screen: `choice`
    ("print", "qr", "none" or ""), and `note`, a text key for what happened ("receipt_printing",
    "receipt_printed", "receipt_print_failed"); `refresh` redraws the window when a print ends.
    """

    def __init__(self, config: Config, printer: ReceiptPrinter | None, *, columns: int = 48,
                 refresh: Callable[[], None] = lambda: None) -> None:
        self.config = config
        self.printer = printer
        self.columns = columns
        self.refresh = refresh
        self.problem = "" if printer is not None else "no printer"  # "" while it can print
        self.sale_id = ""
        self.choice = ""
        self.note = ""
        self._tasks: set[asyncio.Task[None]] = set()

    # -- the thank-you screen -------------------------------------------------------------------

    def fields(self, sale: Mapping[str, Any]) -> dict[str, Any]:
        """The LaneView fields of the receipt choice for `sale` (the one on the thanks screen)."""
        self._follow(sale)
        url = self.e_receipt_url(sale)
        options: tuple[str, ...] = ()
        if not self.choice:
            options = (("print",) if self.can_print else ()) + (("qr",) if url else ()) + (
                "none",)
        return {"receipt_options": options, "receipt_choice": self.choice,
                "receipt_qr": url if self.choice == "qr" else "", "note_key": self.note}

    def choose(self, kind: str, sale: Mapping[str, Any], seq: int | None, lang: str) -> None:
        """The shopper's choice; printing runs on the loop and redraws when it is done."""
        self._follow(sale)
        if kind == "print" and self.can_print:
            self.choice, self.note = "print", "receipt_printing"
            self._spawn(self._print(sale, seq, lang))
        elif kind == "qr" and self.e_receipt_url(sale):
            self.choice, self.note = "qr", ""
        elif kind == "none":
            self.choice, self.note = "none", ""

    def reprint(self, sale: Mapping[str, Any], seq: int | None, lang: str,
                done: Callable[[str], None]) -> None:
        """Print a copy of `sale`; `done("")` when printed, else with what went wrong."""
        async def run() -> None:
            done(await self.print_sale(sale, seq, lang=lang, copy=True))
            self.refresh()

        self._spawn(run())

    async def _print(self, sale: Mapping[str, Any], seq: int | None, lang: str) -> None:
        problem = await self.print_sale(sale, seq, lang=lang)
        if str(sale.get("sale_id", "")) == self.sale_id:
            if problem:  # back to the choice, without "print": the shopper takes the QR code
                self.choice, self.note = "", "receipt_print_failed"
            else:
                self.note = "receipt_printed"
        self.refresh()

    def _follow(self, sale: Mapping[str, Any]) -> None:
        sale_id = str(sale.get("sale_id", ""))
        if sale_id != self.sale_id:
            self.sale_id, self.choice, self.note = sale_id, "", ""

    def _spawn(self, coro: Any) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError:  # no loop (a test without one): print synchronously
            asyncio.run(coro)
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def can_print(self) -> bool:
        return self.printer is not None and not self.problem

    def on_status(self, status: str) -> None:
        """A printer StatusEvent: "online", "paper_near_end" (still prints), "paper_out",
        "cover_open", "offline"."""
        self.problem = "" if status in ("online", "paper_near_end") else status

    def e_receipt_url(self, sale: Mapping[str, Any]) -> str:
        template = self.config.store.e_receipt_url
        return template.format(sale_id=sale.get("sale_id", "")) if template else ""

    def layout(self, sale: Mapping[str, Any], seq: int | None, *, lang: str,
               copy: bool = False) -> tuple[ReceiptLine, ...]:
        store = self.config.store
        return layout_receipt(
            sale, store=StoreHeader(store.name, store.address, store.vat_id,
                                    store.receipt_footer),
            lane_name=self.config.lane.id, seq=seq, tz=BERLIN, lang=lang, columns=self.columns,
            e_receipt_url=self.e_receipt_url(sale) or None, copy=copy)

    async def print_sale(self, sale: Mapping[str, Any], seq: int | None, *, lang: str,
                         copy: bool = False) -> str:
        """Print the receipt; "" when done, else what went wrong in plain words (logged)."""
        if self.printer is None:
            return "no printer"
        try:
            await self.printer.print_items(print_items(self.layout(sale, seq, lang=lang,
                                                                   copy=copy)))
        except HardwareError as err:
            log.warning("receipt for sale %s not printed: %s", sale.get("sale_id"), err)
            status = getattr(err, "status", None)
            self.problem = status.key if status is not None else "offline"
            return str(err)
        return ""
