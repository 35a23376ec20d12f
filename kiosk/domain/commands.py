"""Commands: what a shopper, an attendant, a device or a timer asks the checkout to do.

Each command is a frozen dataclass naming its flow event (`EVENT`). `Checkout.decide` turns a
command into facts or refuses it with a typed error; commands themselves are never journaled
(facts are), so a PIN in `AttendantLogin` never reaches the disk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from kiosk.domain.flow import Event


@dataclass(frozen=True, slots=True)
class Open:
    """The logged-in attendant `attendant_id` opens the lane."""

    attendant_id: str
    EVENT: ClassVar[Event] = Event.OPEN


@dataclass(frozen=True, slots=True)
class Close:
    """The logged-in attendant `attendant_id` closes the lane (no basket may be open)."""

    attendant_id: str
    EVENT: ClassVar[Event] = Event.CLOSE


@dataclass(frozen=True, slots=True)
class Start:
    """The shopper touches the attract screen: a basket opens."""

    EVENT: ClassVar[Event] = Event.START


@dataclass(frozen=True, slots=True)
class Scan:
    """A scanned or typed code. `symbology` is a `codes.Symbology` value when the scanner says it;
    `source` names where it came from ("keyboard", "scanner", "camera")."""

    text: str
    symbology: str | None = None
    source: str = "keyboard"
    EVENT: ClassVar[Event] = Event.SCAN


@dataclass(frozen=True, slots=True)
class SelectItem:
    """The shopper picks an item without a barcode by PLU (or sku); `quantity` pieces for piece
    items; an item sold by weight goes to the scale."""

    plu_or_sku: str
    quantity: int = 1
    EVENT: ClassVar[Event] = Event.SELECT_ITEM


@dataclass(frozen=True, slots=True)
class Weigh:
    """The scale's reading for the selected loose item, in grams; only a stable weight counts."""

    weight_g: int
    stable: bool = True
    EVENT: ClassVar[Event] = Event.WEIGH


@dataclass(frozen=True, slots=True)
class SetQuantity:
    """Set a piece line's quantity (its deposit line follows)."""

    line_id: int
    quantity: int
    EVENT: ClassVar[Event] = Event.SET_QUANTITY


@dataclass(frozen=True, slots=True)
class RequestVoid:
    """Void a line: an attendant approves it (or, when one is logged in, it is voided at once)."""

    line_id: int
    EVENT: ClassVar[Event] = Event.VOID


@dataclass(frozen=True, slots=True)
class ApplyCoupon:
    """Redeem a coupon by its code (scanning the coupon's code does the same)."""

    code: str
    EVENT: ClassVar[Event] = Event.APPLY_COUPON


@dataclass(frozen=True, slots=True)
class Pay:
    """Start paying what is due with `method` ("card")."""

    method: str = "card"
    EVENT: ClassVar[Event] = Event.PAY


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """The terminal's answer for `amount_cents`, with its reference.

    `outcome` is "approved", "declined", "aborted" (the shopper, the attendant or the terminal
    stopped it) or "unknown" (the link was lost or the terminal fell silent after it got the
    request: it may have been booked); "" means approved or declined as `approved` says.
    `attempt_id` names the payment attempt it answers (from `payment_started`); `terminal`
    carries the terminal's receipt data (masked PAN, terminal id, trace and receipt number, ...).
    """

    approved: bool
    amount_cents: int
    reference: str
    detail: str = ""
    outcome: str = ""
    attempt_id: str = ""
    terminal: Mapping[str, Any] = field(default_factory=dict)
    EVENT: ClassVar[Event] = Event.PAYMENT_RESULT

    @property
    def resolved_outcome(self) -> str:
        return self.outcome or ("approved" if self.approved else "declined")


@dataclass(frozen=True, slots=True)
class ReprintReceipt:
    """The logged-in attendant reprints the receipt of sale `sale_id` (journaled, who and when)."""

    sale_id: str
    EVENT: ClassVar[Event] = Event.REPRINT


@dataclass(frozen=True, slots=True)
class Help:
    """The shopper calls for a member of staff."""

    EVENT: ClassVar[Event] = Event.HELP


@dataclass(frozen=True, slots=True)
class AttendantLogin:
    """An attendant logs in at the lane. The PIN is left out of repr so it is never logged."""

    attendant_id: str
    pin: str = field(repr=False)
    EVENT: ClassVar[Event] = Event.ATTENDANT_LOGIN


@dataclass(frozen=True, slots=True)
class AttendantBadge:
    """An attendant logs in by scanning their badge; `code` is the badge's text (left out of
    repr: it is a credential)."""

    code: str = field(repr=False)
    EVENT: ClassVar[Event] = Event.ATTENDANT_BADGE


@dataclass(frozen=True, slots=True)
class AttendantLogout:
    """The logged-in attendant leaves the lane."""

    EVENT: ClassVar[Event] = Event.ATTENDANT_LOGOUT


@dataclass(frozen=True, slots=True)
class Approve:
    """The logged-in attendant approves an open intervention."""

    intervention_id: str
    EVENT: ClassVar[Event] = Event.APPROVE


@dataclass(frozen=True, slots=True)
class Reject:
    """The logged-in attendant rejects an open intervention."""

    intervention_id: str
    EVENT: ClassVar[Event] = Event.REJECT


@dataclass(frozen=True, slots=True)
class Cancel:
    """Step back: stop weighing, stop paying, or abandon the basket (with items: attendant)."""

    EVENT: ClassVar[Event] = Event.CANCEL


@dataclass(frozen=True, slots=True)
class Timeout:
    """A timer fired: end the receipt screen, stop weighing, or deal with an idle basket."""

    EVENT: ClassVar[Event] = Event.TIMEOUT


@dataclass(frozen=True, slots=True)
class Finish:
    """The shopper is done with the receipt screen."""

    EVENT: ClassVar[Event] = Event.FINISH


@dataclass(frozen=True, slots=True)
class DeviceLost:
    """A device (by its configured name) went away; `detail` says what the driver saw."""

    device: str
    detail: str = ""
    EVENT: ClassVar[Event] = Event.DEVICE_LOST


@dataclass(frozen=True, slots=True)
class DeviceBack:
    """A lost device is working again."""

    device: str
    EVENT: ClassVar[Event] = Event.DEVICE_BACK


@dataclass(frozen=True, slots=True)
class BaggingWeight:
    """A reading of the bagging-area (security) scale in grams. Send every reading; the
    checkout ignores unstable ones and changes within `policy.bagging_noise_g`."""

    weight_g: int
    stable: bool = True
    EVENT: ClassVar[Event] = Event.BAGGING_WEIGHT


@dataclass(frozen=True, slots=True)
class SkipBagging:
    """The shopper takes line `line_id` without placing it in the bagging area (only as often
    as `policy.skip_bagging_max` allows per basket)."""

    line_id: int
    EVENT: ClassVar[Event] = Event.SKIP_BAGGING




CONSOLE_ACTIONS = ("approve", "reject", "void_line", "cancel_basket", "close_lane", "open_lane")
"""What an attendant may do to a lane from the store's console (docs/console.md)."""


@dataclass(frozen=True, slots=True)
class ConsoleCommand:
    """An attendant's action sent from the console through the hub (`kiosk.lane.link`).

    `command_id` is the hub's id (uuid4 hex): a command applied once is answered "duplicate"
    after that. `attendant_*` and `role` name who acts, as the hub authenticated them; the lane
    checks the role again with its own policy. The targets the action needs
    (`intervention_id`; `basket_id` and `line_id`) guard against acting on what is gone or on
    the next shopper's basket. It has no `EVENT` of its own: it is decided as the flow event of
    the same action at the lane (`event()`), so the flow table needs no new row.
    """

    command_id: str
    action: str
    attendant_id: str
    attendant_name: str
    role: str
    intervention_id: str | None = None
    line_id: int | None = None
    basket_id: str | None = None

    def event(self) -> Event | None:
        """The lane event of the same action (None for an unknown action)."""
        return _CONSOLE_EVENTS.get(self.action)


_CONSOLE_EVENTS = {
    "approve": Event.APPROVE,
    "reject": Event.REJECT,
    "void_line": Event.VOID,
    "cancel_basket": Event.CANCEL,
    "close_lane": Event.CLOSE,
    "open_lane": Event.OPEN,
}


Command = (
    Open | Close | Start | Scan | SelectItem | Weigh | SetQuantity | RequestVoid | ApplyCoupon
    | Pay | PaymentResult | Help | AttendantLogin | AttendantLogout | Approve | Reject | Cancel
    | Timeout | Finish | DeviceLost | DeviceBack | BaggingWeight | SkipBagging | AttendantBadge
    | ConsoleCommand
)
