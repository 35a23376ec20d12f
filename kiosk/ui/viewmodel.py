"""What the kiosk window shows, as plain frozen values (no Kivy here).

`present()` builds a `LaneView` from the checkout; the Kivy screens only copy its texts into
widgets. Every amount arrives already formatted in the view's language, so a screen never
formats money, weights or dates itself. A test (or a console) can build views by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kiosk.ui.strings import LANGS  # the offered languages are the translation files

ScreenName = Literal[
    "closed", "attract", "basket", "weighing", "paying", "thanks", "out_of_service",
    "not_enrolled",
]
SCREENS: tuple[ScreenName, ...] = (
    "closed", "attract", "basket", "weighing", "paying", "thanks", "out_of_service",
    "not_enrolled",
)
MessageLevel = Literal["info", "warning", "error"]


@dataclass(frozen=True, slots=True)
class LineView:
    """One basket line as shown.

    `qty_text` is "2 x 1,29 €" or "0,456 kg x 2,99 €/kg" ("" for a single piece);
    `unit_price_text` the price per piece or per kg; `amount_text` the line's gross amount.
    `is_deposit` lines are drawn indented under their article; `voided` lines greyed and struck.
    `can_change_quantity` offers the + button (piece lines only); `can_decrease` also the -
    button, which only a logged-in attendant may use (fewer pieces count as a void).
    """

    line_id: int
    name: str
    qty_text: str
    unit_price_text: str
    amount_text: str
    is_deposit: bool = False
    voided: bool = False
    age_limit: int | None = None
    quantity: int = 1
    can_change_quantity: bool = False
    can_decrease: bool = False
    # The product's picture (a path; "" when the catalog has none: the row shows its initials).
    image: str = ""


@dataclass(frozen=True, slots=True)
class VatRowView:
    """One VAT rate's row: `label` "A 19 %", then net, VAT and gross amounts as text."""

    label: str
    net_text: str
    vat_text: str
    gross_text: str


@dataclass(frozen=True, slots=True)
class DiscountRowView:
    """A promotion applied to the basket: `label` as on the receipt, `amount_text` negative."""

    label: str
    amount_text: str


@dataclass(frozen=True, slots=True)
class MessageView:
    """A banner for the shopper: `level` picks the colour (info blue, warning amber, error red)."""

    level: MessageLevel
    text: str


@dataclass(frozen=True, slots=True)
class InterventionView:
    """An open intervention: `title` ("Alterskontrolle"), `detail` (what the shopper should do),
    `blocks_text` (what is paused, e.g. "Bezahlen gesperrt"), `can_clear` (the logged-in
    attendant may approve or reject it).
    """

    intervention_id: str
    title: str
    detail: str
    blocks_text: str = ""
    can_clear: bool = False


@dataclass(frozen=True, slots=True)
class WeighingView:
    """Loose produce waiting for its weight.

    `price_per_kg_cents` lets the screen preview the price of the grams being typed (the checkout
    prices the committed weight itself); `weight_text`/`amount_text` show the scale's live weight
    and what it would cost.
    """

    plu: str
    product_name: str
    price_per_kg_text: str
    price_per_kg_cents: int
    weight_text: str = ""
    amount_text: str = ""
    # "scale": a real scale is read (live weight shown, nothing typed); "simulated": the demo's
    # keypad loads the simulated scale; "manual": no scale at all, the demo's keypad is the weight
    entry: str = "manual"
    # False while the scale's weight still moves: nothing is priced, the shopper is told to wait.
    steady: bool = True


@dataclass(frozen=True, slots=True)
class ProduceView:
    """A tile on the "item without barcode" lookup: its PLU, name and price per kilogram or
    per piece (text); `category` as shown (in the view's language), `image` the picture's
    path ("" when the catalog has none: the tile draws the item's initials instead).
    """

    plu: str
    name: str
    price_text: str
    category: str = ""
    image: str = ""


@dataclass(frozen=True, slots=True)
class PayingView:
    """The payment in progress: `status_text` ("Bitte Karte vorhalten ..."), `amount_text`,
    `approved` once the terminal said yes, `can_cancel` while no card has been read yet.
    """

    status_text: str
    amount_text: str
    approved: bool = False
    can_cancel: bool = True
    # What the terminal asks for now (hardware STATUS_KINDS: insert_card, enter_pin, pin_wrong,
    # wait, remove_card, approved, declined, card_unreadable, other; plus "connecting" before the
    # terminal answered and "aborting" after the shopper pressed cancel): picks the icon.
    status_kind: str = "insert_card"
    # The terminal's own display text, shown small under ours ("" when it sent none).
    terminal_text: str = ""


@dataclass(frozen=True, slots=True)
class DeviceRowView:
    """One supervised device on the attendant panel: `name` as shown ("Waage"), `status_text`
    in words ("in Betrieb" / "getrennt": never colour alone), `online` picks the colour,
    `outages_text` how often it went away since the kiosk started ("" for none)."""

    name: str
    status_text: str
    online: bool = True
    outages_text: str = ""


@dataclass(frozen=True, slots=True)
class LaneView:
    """Everything the kiosk window shows at one moment.

    `total_text` is the amount to pay (after promotions, including deposit); `item_count` counts
    articles (pieces; a weighed line counts once; deposit lines not at all). `deposit_text` is the
    deposit contained in the total, or "" when there is none. `attendant` is the name of the
    logged-in attendant, None when no one is logged in. `notice_text` is the detail on the closed
    and out-of-service screens; `thanks_text` and `receipt_text` fill the thanks screen.
    `staff_panel` shows the staff overlay (PIN pad, then lane actions) although no intervention is
    open; `lane_actions` are what the logged-in attendant may do to the lane now, as keys:
    "open_lane", "close_lane", "cancel_basket".
    """

    screen: ScreenName
    lang: str = "de"
    store_name: str = ""
    lane_name: str = ""
    lines: tuple[LineView, ...] = ()
    total_text: str = ""
    item_count: int = 0
    vat_rows: tuple[VatRowView, ...] = ()
    discount_rows: tuple[DiscountRowView, ...] = ()
    deposit_text: str = ""
    message: MessageView | None = None
    interventions: tuple[InterventionView, ...] = ()
    attendant: str | None = None
    can_pay: bool = False
    weighing: WeighingView | None = None
    produce: tuple[ProduceView, ...] = ()
    paying: PayingView | None = None
    notice_text: str = ""
    thanks_text: str = ""
    receipt_text: str = ""
    staff_panel: bool = False
    lane_actions: tuple[str, ...] = ()
    # The bagging area waits for line `bag_line_id`; the shopper may skip bagging it.
    bag_line_id: int | None = None
    can_skip_bagging: bool = False
    # Attendant panel (only while an attendant is logged in): each supervised device, and the
    # upload queue ("3 Verkäufe warten auf Upload, ältester seit 12 Min.", last error).
    device_rows: tuple[DeviceRowView, ...] = ()
    upload_text: str = ""
    # Thanks screen: the receipts the shopper may choose now (of "print", "qr", "none"; "print"
    # is missing while the printer is down), what was chosen ("" not yet), the e-receipt's URL
    # to show as a QR code ("" none), and the choice's outcome in words ("Ihr Beleg wird
    # gedruckt.").
    receipt_options: tuple[str, ...] = ()
    receipt_choice: str = ""
    receipt_qr: str = ""
    receipt_note: str = ""
    # The shopper chose high contrast (black ground, white text) for this basket.
    high_contrast: bool = False
    # The loyalty card read for this basket, as shown in the header ("Kundenkarte ···1234").
    loyalty_text: str = ""

    def __post_init__(self) -> None:
        if self.screen not in SCREENS:
            raise ValueError(
                f"screen {self.screen!r} is not a kiosk screen; use one of {', '.join(SCREENS)}"
            )
        if self.lang not in LANGS:
            raise ValueError(f"language {self.lang!r} is not offered; use one of {LANGS}")
