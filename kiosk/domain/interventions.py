"""Interventions: the moments a lane needs a person, as an overlay on the flow.

An open intervention blocks what its reason names (scan, pay, both or nothing) until an
attendant whose role may clear that reason (`Policy.may_clear`) approves or rejects it. It carries
its evidence (line ids, codes, ages, grams, device names) and, once cleared, who cleared it, when
and with what outcome; the cleared ones go into the sale record.

What each reason blocks in this issue:

- age check (16/18): PAY only; the shopper may go on scanning. One check per age limit and
  basket; approving the check for 18 also covers 16.
- void approval: SCAN and PAY; approve voids the line in the attendant's name, reject keeps it.
- quantity limit: PAY only; approve keeps the quantity, reject sets the line back to the limit
  (the attendant can still void it).
- help: nothing; it only calls a person.
- device fault: SCAN and PAY; cleared by the device coming back ("system") or an attendant.
- bagging area (`kiosk.domain.security`): unexpected item, item removed and weight mismatch
  block SCAN and PAY and end by themselves ("corrected") when the scale reads the accepted
  weight again; weight not placed blocks SCAN (pay already waits for every item to be placed
  or skipped) and ends when the item is placed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from kiosk.domain.policy import Reason
from kiosk.errors import FlowError

SYSTEM = "system"  # cleared_by when the lane itself clears an intervention


class Block(StrEnum):
    """What an open intervention stops the shopper from doing."""

    SCAN = "scan"
    PAY = "pay"


_BOTH = frozenset({Block.SCAN, Block.PAY})
BLOCKS: Mapping[Reason, frozenset[Block]] = {
    Reason.AGE_CHECK: frozenset({Block.PAY}),
    Reason.VOID_APPROVAL: _BOTH,
    Reason.QUANTITY_LIMIT: frozenset({Block.PAY}),
    Reason.HELP: frozenset(),
    Reason.DEVICE_FAULT: _BOTH,
    # Bagging area (kiosk.domain.checkout_bagging); payment failures arrive with the payment issue.
    Reason.UNEXPECTED_ITEM: _BOTH,
    Reason.ITEM_REMOVED: _BOTH,
    Reason.WEIGHT_NOT_PLACED: frozenset({Block.SCAN}),
    Reason.WEIGHT_MISMATCH: _BOTH,
    Reason.PAYMENT_FAILED: frozenset({Block.PAY}),
}

# Short titles for screens and the console, per language.
TITLES: Mapping[Reason, Mapping[str, str]] = {
    Reason.AGE_CHECK: {"de": "Alterskontrolle", "en": "Age check"},
    Reason.VOID_APPROVAL: {"de": "Storno", "en": "Void"},
    Reason.QUANTITY_LIMIT: {"de": "Mengenbegrenzung", "en": "Quantity limit"},
    Reason.HELP: {"de": "Hilfe gerufen", "en": "Help requested"},
    Reason.DEVICE_FAULT: {"de": "Gerätestörung", "en": "Device fault"},
    Reason.UNEXPECTED_ITEM: {"de": "Unerwarteter Artikel", "en": "Unexpected item"},
    Reason.ITEM_REMOVED: {"de": "Artikel entfernt", "en": "Item removed"},
    Reason.WEIGHT_NOT_PLACED: {"de": "Artikel nicht abgelegt", "en": "Item not placed"},
    Reason.WEIGHT_MISMATCH: {"de": "Gewicht stimmt nicht", "en": "Weight mismatch"},
    Reason.PAYMENT_FAILED: {"de": "Zahlung gestört", "en": "Payment problem"},
}


@dataclass(frozen=True, slots=True)
class Intervention:
    """One call for a person.

    `evidence` is JSON-able (line ids, codes, required age, grams, device names, times);
    `raised_at`/`cleared_at` are ISO-8601 UTC; `cleared_by` is an attendant id or "system";
    `outcome` is "approved", "rejected" or what cleared it otherwise ("device_back",
    "withdrawn", "basket_closed").
    """

    intervention_id: str
    reason: Reason
    blocks: frozenset[Block]
    evidence: Mapping[str, Any] = field(default_factory=dict)
    raised_at: str = ""
    cleared_by: str | None = None
    cleared_at: str | None = None
    outcome: str | None = None

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None

    def blocks_action(self, block: Block) -> bool:
        return self.is_open and block in self.blocks

    def title(self, lang: str = "de") -> str:
        texts = TITLES[self.reason]
        return texts.get(lang) or texts["en"]

    def cleared(self, *, by: str, at: str, outcome: str) -> Intervention:
        return replace(self, cleared_by=by, cleared_at=at, outcome=outcome)

    def to_dict(self) -> dict[str, Any]:
        return {
            "intervention_id": self.intervention_id,
            "reason": self.reason.value,
            "blocks": sorted(b.value for b in self.blocks),
            "evidence": dict(self.evidence),
            "raised_at": self.raised_at,
            "cleared_by": self.cleared_by,
            "cleared_at": self.cleared_at,
            "outcome": self.outcome,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Intervention:
        return cls(
            intervention_id=str(d["intervention_id"]),
            reason=Reason(d["reason"]),
            blocks=frozenset(Block(b) for b in d["blocks"]),
            evidence=dict(d.get("evidence") or {}),
            raised_at=str(d.get("raised_at", "")),
            cleared_by=d.get("cleared_by"),
            cleared_at=d.get("cleared_at"),
            outcome=d.get("outcome"),
        )


def raise_intervention(
    intervention_id: str, reason: Reason, evidence: Mapping[str, Any], at: str
) -> Intervention:
    """A new open intervention with the blocks its reason implies."""
    return Intervention(intervention_id, reason, BLOCKS[reason], dict(evidence), at)


def blocking(interventions: Iterable[Intervention], block: Block) -> list[Intervention]:
    """The open interventions that block `block`, oldest first."""
    return [i for i in interventions if i.blocks_action(block)]


_WAIT = {
    Block.SCAN: ("Scannen ist gerade nicht möglich", "Scanning is paused"),
    Block.PAY: ("Bezahlen ist gerade nicht möglich", "Paying is not possible yet"),
}


def blocked_error(block: Block, blockers: Iterable[Intervention]) -> FlowError:
    """The refusal shown when the shopper tries what an open intervention blocks."""
    found = list(blockers)
    titles_de = ", ".join(dict.fromkeys(i.title("de") for i in found))
    titles_en = ", ".join(dict.fromkeys(i.title("en") for i in found))
    ids = ", ".join(i.intervention_id for i in found)
    de, en = _WAIT[block]
    return FlowError(
        f"{block.value} refused: open intervention(s) {ids} block it; "
        "an attendant must clear them first",
        {
            "de": f"{de} ({titles_de}). Bitte warten Sie auf das Personal.",
            "en": f"{en} ({titles_en}). Please wait for a member of staff.",
        },
    )
