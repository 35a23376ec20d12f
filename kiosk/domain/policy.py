"""Store policy: limits and who may clear what. Data, loaded from the store's config file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """Who an attendant is. A supervisor may do everything an attendant may."""

    ATTENDANT = "attendant"
    SUPERVISOR = "supervisor"


class Reason(StrEnum):
    """Why a lane needs a person. Values are stable: they are journaled and shown in the console."""

    AGE_CHECK = "age_check"
    VOID_APPROVAL = "void_approval"
    QUANTITY_LIMIT = "quantity_limit"
    HELP = "help"
    DEVICE_FAULT = "device_fault"
    # Bagging area (kiosk.domain.security); payment arrives with the payment issue.
    UNEXPECTED_ITEM = "unexpected_item"
    ITEM_REMOVED = "item_removed"
    WEIGHT_NOT_PLACED = "weight_not_placed"
    WEIGHT_MISMATCH = "weight_mismatch"
    PAYMENT_FAILED = "payment_failed"


def _default_clearance() -> dict[Reason, frozenset[Role]]:
    both = frozenset({Role.ATTENDANT, Role.SUPERVISOR})
    return {reason: both for reason in Reason}


@dataclass(frozen=True, slots=True)
class Policy:
    """Limits and permissions for one store.

    `max_quantity_per_line`: a line above this many pieces raises a quantity-limit intervention.
    `clearance`: which roles may clear each reason (a supervisor always may).
    `pin_max_failures` wrong PINs within `pin_failure_window_s` lock an attendant id for
    `pin_lockout_s` seconds.
    `open_on_start`: the lane opens itself (journaled as opened by "system") whenever the kiosk
    starts and finds it closed, for lanes that must come back by themselves after a power cut.
    Off by default: normally an attendant opens a lane.

    Bagging area (`kiosk.domain.security`; off by default, so a lane without a security scale
    works as before):
    `bagging`: every scanned item must be placed on the bagging scale within
    `bagging_timeout_s` seconds. An item's band is its expected grams plus or minus the larger
    of `bagging_tolerance_g` (grams, a floor) and `bagging_tolerance_pct` percent of it, unless
    the catalog names its own tolerance. Changes of at most `bagging_noise_g` grams are ignored.
    A learned weight replaces the catalog's band once it has `learned_min_samples` samples; its
    band is mean +- `learned_k_sigma` standard deviations (at least the floor).
    `skip_bagging_max`: how many items per basket the shopper may take without bagging them
    (0: never; each skip is journaled).

    Attendants: a session ends by itself (`attendant_logged_out` with cause "idle") after
    `attendant_idle_s` seconds without an attendant command (`checkout_staff`). A scanned code
    starting with `badge_prefix` is an attendant badge, never a product (empty: no badges); one
    starting with `loyalty_prefix` is the shopper's loyalty card, kept on the sale (empty: none).
    """

    max_quantity_per_line: int = 20
    max_lines: int = 300
    clearance: Mapping[Reason, frozenset[Role]] = field(default_factory=_default_clearance)
    pin_max_failures: int = 5
    pin_failure_window_s: int = 600
    pin_lockout_s: int = 300
    idle_timeout_s: int = 120
    open_on_start: bool = False
    bagging: bool = False
    bagging_timeout_s: int = 10
    bagging_tolerance_g: int = 30
    bagging_tolerance_pct: int = 10
    bagging_noise_g: int = 5
    learned_min_samples: int = 5
    learned_k_sigma: int = 3
    skip_bagging_max: int = 0
    attendant_idle_s: int = 120
    badge_prefix: str = "STAFF-"
    loyalty_prefix: str = "LOYALTY-"

    def may_clear(self, role: Role, reason: Reason) -> bool:
        return role is Role.SUPERVISOR or role in self.clearance.get(reason, frozenset())
