"""The lane's controller: the UI's only partner (`view()`, `send(intent)`, `tick()`).

Part of the composition root (kiosk/app.py builds it). Every intent becomes one checkout
command, committed by the journal before the new view is returned; intents that are not
checkout commands (language, contrast, receipt choice, the demo panel, ...) are handled here
through one table. Devices, the card terminal and the printer reach it from
kiosk/app_devices.py, kiosk/app_payment.py and kiosk/app_receipts.py.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from kiosk.app_enrol_qr import LaneEnrolment
from kiosk.app_receipts import ReceiptDesk
from kiosk.app_sale import choose_receipt, payment_failure, reprint_last, sale_extras
from kiosk.config import Config
from kiosk.domain import commands as cmd
from kiosk.domain.catalog import Catalog
from kiosk.domain.checkout import Checkout, Context, FlowState
from kiosk.domain.checkout_console import DuplicateCommand
from kiosk.domain.facts import Fact
from kiosk.domain.interventions import SYSTEM
from kiosk.errors import KioskError, ShopperFacingError
from kiosk.journal.catalog import CatalogStore
from kiosk.journal.durable import DurableCheckout
from kiosk.journal.retention import journal_disk
from kiosk.journal.sales import outbox_status
from kiosk.ui import intents as ui
from kiosk.ui.present import present
from kiosk.ui.staff_status import DeviceStatus, UploadStatus
from kiosk.ui.viewmodel import LaneView, MessageView

log = logging.getLogger(__name__)

# The simulated card terminal "thinks" this long, so the shopper sees the payment screen.
SIMULATED_PAYMENT_S = 1.5
_PUT_ON_SCALE = {
    "de": "Bitte legen Sie die Ware auf die Waage.",
    "en": "Please put the item on the scale.",
}
_FAULT = {
    "de": "Störung an der Kasse. Bitte wenden Sie sich an das Personal.",
    "en": "This checkout has a fault. Please ask a member of staff.",
}


@dataclass
class _Timers:
    """When the lane entered its current timed state (paying, finishing)."""

    state: FlowState | None = None
    since: datetime | None = None


class LaneController:
    """The UI's only partner: `view()` and `send(intent)`; `tick()` drives timeouts.

    Every intent becomes one checkout command, committed by the journal before the new view is
    returned. A refusal (bad code, blocked action, wrong PIN) becomes a message on the screen in
    the shopper's language; nothing already journaled is touched.
    """

    def __init__(
        self,
        config: Config,
        durable: DurableCheckout,
        catalog: Catalog,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.durable = durable
        self.catalog = catalog
        self.clock = clock
        self.lang = config.store.language
        self.message: MessageView | None = None
        self.staff_panel = False
        self.produce = catalog.with_plu() if isinstance(catalog, CatalogStore) else []
        # Told after every command with its facts, or the error that refused it (light, buzzer).
        self.listeners: list[Callable[[Sequence[Fact] | BaseException], None]] = []
        # Told when the lane changed without the screen asking (a console command): re-render.
        self.on_change: list[Callable[[], None]] = []
        # Set by LaneDevices when a scale is fitted: the weighing screen's gram entry goes to
        # the (simulated) scale instead of becoming a weight; returns False for a real scale.
        self.weight_entry: Callable[[int], bool] | None = None
        self.scale_entry = "manual"  # "scale" / "simulated" once LaneDevices fits one
        self.live_weight_g: int | None = None  # the produce scale's live weight, for display
        self.live_steady = True  # False while that weight still moves ("wait, weighing")
        # Set by LaneDevices: each supervised device's name, online flag and outages, for the
        # attendant panel.
        self.status_source: Callable[[], Sequence[DeviceStatus]] | None = None
        self._timers = _Timers()
        self.demo: Any = None  # kiosk.app_demo.DemoControls in a simulated lane (make run)
        # Set by LaneDevices with [devices.terminal] / [devices.printer]: the card terminal's
        # runner (kiosk.app_payment) and the receipt desk; without a printer, e-receipts only.
        self.payments: Any = None
        self.pictures: dict[str, str] = {}  # sku -> its catalog picture (kiosk.app_sale)
        self.receipts: Any = ReceiptDesk(config, None)
        # High contrast, chosen by a shopper, lasts until their basket is over (_contrast()).
        self.high_contrast = False
        self._contrast_basket: str | None = None
        self._contrast_busy = False  # the lane left the attract screen since it was switched on
        # Not enrolled at first boot: the notice instead of selling, until a QR code enrols it.
        self.enrolment = LaneEnrolment.of(config, lambda: [f() for f in self.on_change])

    @property
    def checkout(self) -> Checkout:
        return self.durable.checkout

    def view(self) -> LaneView:
        if self.enrolment is not None and self.enrolment.pending:
            return self.enrolment.view(self.lang)
        return sale_extras(self, replace(self._present(), high_contrast=self._contrast()))

    def payment_failed(self, outcome: str, result_code: int | None) -> None:
        """The shopper is back at the basket after a payment that did not go through."""
        self.message = MessageView(level="error", text=payment_failure(outcome, result_code,
                                                                       self.lang))

    def _contrast(self) -> bool:
        """Whether high contrast is on: a shopper switched it on, and their basket is not over
        (the lane came back to idle, or another basket opened: the next shopper starts normal)."""
        if not self.high_contrast:
            return False
        co = self.checkout
        if co.basket_id is not None and self._contrast_basket is None:
            self._contrast_basket = co.basket_id
        idle = co.state in (FlowState.IDLE, FlowState.CLOSED, FlowState.OUT_OF_SERVICE)
        other_basket = co.basket_id not in (None, self._contrast_basket)
        if other_basket or (idle and self._contrast_busy):
            self.high_contrast = False
            return False
        self._contrast_busy = self._contrast_busy or not idle
        return True

    def _present(self) -> LaneView:
        return present(
            self.checkout,
            lang=self.lang,
            message=self.message,
            store_name=self.config.store.name,
            lane_name=self.config.lane.id,
            produce=self.produce,
            staff_panel=self.staff_panel,
            scale_entry=self.scale_entry,
            live_weight_g=self.live_weight_g,
            live_steady=self.live_steady,
            **self._staff_status(),
        )

    def _staff_status(self) -> dict[str, Any]:
        """Device and upload status, read only while an attendant is logged in (the panel is
        the only place that shows them, and the outbox count is one indexed query)."""
        if self.checkout.session is None:
            return {}
        devices = tuple(self.status_source()) if self.status_source is not None else ()
        queue = outbox_status(self.durable.db)
        disk = journal_disk(self.durable.db)
        upload = UploadStatus(queue.pending, queue.oldest_pending_at, queue.last_error,
                              queue.quarantined, queue.newest_quarantine_reason,
                              disk.journal_bytes if disk else None,
                              disk.free_bytes if disk else None, bool(disk and disk.low))
        return {"devices": devices, "upload": upload, "now": self.clock()}

    def send(self, intent: Any) -> LaneView:
        local = _LOCAL_INTENTS.get(type(intent))
        if local is not None and local(self, intent):
            return self.view()  # handled here: not a checkout command
        command = self._command_for(intent)
        if command is not None:
            had_session = self.checkout.session is not None
            self._execute(command)
            if had_session and self.checkout.session is None:
                self.staff_panel = False  # the attendant is done: back to the shopper's screen
        return self.view()

    # -- intents the lane handles itself (True: handled) ----------------------------------------

    def _on_demo(self, intent: Any) -> bool:
        if self.demo is not None:  # the demo panel drives the simulators
            self.demo.handle(intent)
        return True

    def _on_contrast(self, intent: ui.ToggleContrast) -> bool:
        self.high_contrast = not self._contrast()
        self._contrast_basket = self.checkout.basket_id
        self._contrast_busy = self.checkout.state not in (
            FlowState.IDLE, FlowState.CLOSED, FlowState.OUT_OF_SERVICE)
        return True

    def _on_receipt(self, intent: ui.ChooseReceipt) -> bool:
        choose_receipt(self, intent.kind)
        return True

    def _on_reprint(self, intent: ui.ReprintReceipt) -> bool:
        reprint_last(self)
        return True

    def _on_cancel(self, intent: ui.Cancel) -> bool:
        # While the terminal runs a payment, it is asked to abort; its answer decides.
        return self.checkout.state is FlowState.PAYING and self.payments is not None \
            and bool(self.payments.cancel())

    def _on_language(self, intent: ui.ChooseLanguage) -> bool:
        if intent.lang in self.config.store.languages:
            self.lang = intent.lang
        return True

    def _on_toggle_language(self, intent: ui.ToggleLanguage) -> bool:
        langs = list(self.config.store.languages)
        self.lang = langs[(langs.index(self.lang) + 1) % len(langs)] if self.lang in langs \
            else langs[0]
        return True

    def _on_staff_panel(self, intent: ui.StaffPanel) -> bool:
        self.staff_panel = intent.open
        self.message = None
        return True

    def _on_weight(self, intent: ui.WeightEntered) -> bool:
        if self.weight_entry is None:
            return False  # no scale: the typed weight is the weight
        if not self.weight_entry(intent.weight_g):
            self.message = MessageView(level="info", text=_PUT_ON_SCALE.get(
                self.lang, _PUT_ON_SCALE["en"]))
        return True

    def perform(self, command: Any) -> None:
        """Run a command that came from a device (scan, weight, device lost/back)."""
        had_session = self.checkout.session is not None
        self._execute(command)
        if had_session and self.checkout.session is None:
            self.staff_panel = False

    def console(self, command: cmd.ConsoleCommand) -> tuple[str, str]:
        """Run an attendant's command from the console (kiosk.app_link): journal first, then
        the light and sounds (listeners) and the screen (on_change), as if the attendant were
        at the lane. Returns the contract's (status, reason). A refusal shows nothing at the
        lane: the shopper did not ask for it; the console shows the reason."""
        had_session = self.checkout.session is not None
        ctx = Context(now=self.clock(), catalog=self.catalog, new_id=lambda: uuid.uuid4().hex)
        try:
            facts = self.durable.handle(command, ctx)
        except DuplicateCommand as err:
            return "duplicate", str(err)
        except KioskError as err:
            log.info("console %s by %s refused: %s", command.action, command.attendant_id, err)
            return "refused", str(err)
        self.message = None
        if had_session and self.checkout.session is None:
            self.staff_panel = False
        for listener in self.listeners:
            listener(facts)
        for refresh in self.on_change:
            refresh()
        log.info("console %s by %s applied (%s)", command.action, command.attendant_id,
                 command.command_id)
        return "applied", f"{command.action} done at lane {self.config.lane.id}"

    def show_refusal(self, error: ShopperFacingError) -> None:
        """Show a device-side refusal (e.g. an unstable weight) in the shopper's language."""
        self.message = MessageView(level="warning", text=error.shopper_text(self.lang))

    def open_on_start(self) -> None:
        """Open a closed lane when the store's policy says so (journaled as opened by system)."""
        if self.checkout.state is FlowState.CLOSED and self.config.policy.open_on_start:
            self._execute(cmd.Open(attendant_id=SYSTEM))

    def tick(self) -> LaneView | None:
        """Advance time-driven steps (simulated terminal, timeouts); a new view if any."""
        now = self.clock()
        state = self.checkout.state
        if state != self._timers.state:
            self._timers = _Timers(state, now)
        elapsed = (now - (self._timers.since or now)).total_seconds()
        if state is FlowState.PAYING and elapsed >= SIMULATED_PAYMENT_S \
                and self.config.payment.kind == "simulated" and self.payments is None:
            self._execute(cmd.PaymentResult(
                approved=self.config.payment.approve,
                amount_cents=self.checkout.amount_due_cents(),
                reference=f"SIM-{uuid.uuid4().hex[:8].upper()}",
                detail="simulated terminal",
            ))
            return self.view()
        if self.checkout.timeout_due(now):
            self.perform(cmd.Timeout())  # perform: an idle logout also closes the staff panel
            return self.view()
        return None

    def _execute(self, command: Any) -> None:
        # A badge is never a product: in every state, a code with the badge prefix logs in.
        if isinstance(command, cmd.Scan) and self.enrolment is not None \
                and self.enrolment.pending:
            self.enrolment.scan(command.text)  # nothing is sold before the lane is enrolled
            return
        prefix = self.checkout.policy.badge_prefix
        if isinstance(command, cmd.Scan) and prefix and command.text.startswith(prefix):
            command = cmd.AttendantBadge(code=command.text)
        ctx = Context(now=self.clock(), catalog=self.catalog, new_id=lambda: uuid.uuid4().hex)
        outcome: Sequence[Fact] | BaseException
        try:
            outcome = self.durable.handle(command, ctx)
        except ShopperFacingError as err:
            log.info("refused %s: %s", type(command).__name__, err)
            self.message = MessageView(level="error", text=err.shopper_text(self.lang))
            outcome = err
        except KioskError as err:
            log.error("could not handle %s: %s", type(command).__name__, err)
            self.message = MessageView(level="error", text=_FAULT.get(self.lang, _FAULT["en"]))
            outcome = err
        else:
            self.message = None
            if isinstance(command, cmd.AttendantBadge):
                self.staff_panel = True  # a badge scanned at the shopper's screen opens the panel
        for listener in self.listeners:
            listener(outcome)

    def _attendant_id(self) -> str:
        return str(self.checkout.session["attendant_id"]) if self.checkout.session else ""

    def _command_for(self, intent: Any) -> Any:  # noqa: C901 - a flat mapping table
        match intent:
            case ui.Start():
                return cmd.Start()
            case ui.CodeEntered(text=text):
                return cmd.Scan(text=text.strip(), source="keyboard")
            case ui.Pay():
                return cmd.Pay(method="card")
            case ui.Help():
                return cmd.Help()
            case ui.RequestVoid(line_id=line_id):
                return cmd.RequestVoid(line_id=line_id)
            case ui.ChangeQuantity(line_id=line_id, quantity=quantity):
                return cmd.SetQuantity(line_id=line_id, quantity=quantity)
            case ui.AttendantPin(attendant_id=attendant_id, pin=pin):
                return cmd.AttendantLogin(attendant_id=attendant_id, pin=pin)
            case ui.AttendantLogout():
                return cmd.AttendantLogout()
            case ui.Approve(intervention_id=iid):
                return cmd.Approve(intervention_id=iid)
            case ui.Reject(intervention_id=iid):
                return cmd.Reject(intervention_id=iid)
            case ui.SelectItem(plu=plu):
                return cmd.SelectItem(plu_or_sku=plu)
            case ui.WeightEntered(weight_g=weight_g):
                return cmd.Weigh(weight_g=weight_g, stable=True)
            case ui.Finish():
                return cmd.Finish()
            case ui.SkipBagging(line_id=line_id):
                return cmd.SkipBagging(line_id=line_id)
            case ui.OpenLane():
                return cmd.Open(attendant_id=self._attendant_id())
            case ui.CloseLane():
                return cmd.Close(attendant_id=self._attendant_id())
            case ui.Cancel():
                return cmd.Cancel()
        log.warning("ignoring unknown intent %r", intent)
        return None


_LOCAL_INTENTS: dict[type, Callable[[LaneController, Any], bool]] = {
    **{kind: LaneController._on_demo for kind in ui.DEMO_INTENTS},
    ui.ToggleContrast: LaneController._on_contrast,
    ui.ChooseReceipt: LaneController._on_receipt,
    ui.ReprintReceipt: LaneController._on_reprint,
    ui.Cancel: LaneController._on_cancel,
    ui.ChooseLanguage: LaneController._on_language,
    ui.ToggleLanguage: LaneController._on_toggle_language,
    ui.StaffPanel: LaneController._on_staff_panel,
    ui.WeightEntered: LaneController._on_weight,
}
