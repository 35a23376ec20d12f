"""The lane's durable checkout: nothing reaches the screen before it is on disk.

`DurableCheckout.handle(command, ctx)`:
1. `checkout.decide(command, ctx)` gives the facts (pure, changes nothing);
2. one write transaction appends them, records the sale and its outbox row when one of them is
   `sale_finished`, updates a product's learned weight for each `weight_learned`, and
   stores a checkpoint when one of them is `basket_closed`; COMMIT (fsync);
3. only then `checkout.apply` each fact, and the facts go back to the caller to show.

If step 2 fails nothing was written and the in-memory checkout has not moved: the checkpoint
snapshot is computed on a copy. `DurableCheckout.restore` rebuilds the lane after a restart from
its latest checkpoint and the facts journaled after it.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from sqlite_utils import Database

from kiosk.domain.attendants import Attendant
from kiosk.domain.checkout import Checkout, Context, facts_to_record
from kiosk.domain.commands import Command
from kiosk.domain.facts import Fact
from kiosk.domain.policy import Policy
from kiosk.domain.pricing import Coupon, Promotion
from kiosk.errors import JournalError
from kiosk.journal import basket_log, sales, weights
from kiosk.journal.db import write_transaction

SALE_FINISHED = "sale_finished"
WEIGHT_LEARNED = "weight_learned"


class DurableCheckout:
    """A `Checkout` whose every decision is committed to the lane's journal before it applies.

    Read the lane's state from `.checkout`; change it only through `handle`.
    """

    def __init__(self, db: Database, checkout: Checkout, lane_id: str) -> None:
        if checkout.lane_id != lane_id:
            raise JournalError(
                f"checkout is for lane {checkout.lane_id!r} but the journal was opened for "
                f"lane {lane_id!r}; check lane.id in the config"
            )
        self.db = db
        self.lane_id = lane_id
        self._checkout = checkout

    @property
    def checkout(self) -> Checkout:
        return self._checkout

    def handle(self, command: Command, ctx: Context) -> list[Fact]:
        """Decide, commit, apply; returns the facts, which are durable when this returns.

        A refusal raises the checkout's error (ShopperFacingError, AuthError, ...) after
        committing and applying whatever the refusal itself records (a wrong PIN). A failed
        write raises JournalError and leaves the checkout exactly as it was.
        """
        if ctx.weights is None:  # learned weights (own, else the hub's) from this lane's file
            ctx = dataclasses.replace(ctx, weights=weights.WeightStore(
                self.db, self._checkout.policy.learned_min_samples).get)
        try:
            facts = self._checkout.decide(command, ctx)
        except Exception as refusal:
            recorded = list(facts_to_record(refusal))
            if recorded:
                self.commit(recorded)
            raise
        self.commit(facts)
        return facts

    def commit(self, facts: Sequence[Fact]) -> None:
        """Journal `facts` (already decided by this checkout) in one transaction, then apply."""
        if not facts:
            return
        checkpoint = None
        if any(f.kind == basket_log.BASKET_CLOSED for f in facts):
            checkpoint = self._snapshot_after(facts)
        with write_transaction(self.db):
            basket_log.append(self.db, self.lane_id, facts, checkpoint=checkpoint)
            for fact in facts:
                if fact.kind == SALE_FINISHED:
                    sales.record_sale(self.db, self._sale_of(fact))
                elif fact.kind == WEIGHT_LEARNED:
                    weights.record(self.db, str(fact.data["sku"]), int(fact.data["weight_g"]),
                                   fact.at)
        for fact in facts:
            self._checkout.apply(fact)

    def _snapshot_after(self, facts: Sequence[Fact]) -> dict[str, Any]:
        # On a copy: the live checkout must not move unless the COMMIT succeeds.
        future = copy.deepcopy(self._checkout)
        for fact in facts:
            future.apply(fact)
        return future.snapshot()

    def _sale_of(self, fact: Fact) -> Mapping[str, Any]:
        sale = fact.data.get("sale")
        if not isinstance(sale, Mapping):
            raise JournalError(f"sale_finished fact has no sale object (got {sale!r}); a checkout "
                               "bug; nothing was saved")
        if sale.get("lane_id") != self.lane_id:
            raise JournalError(
                f"sale {sale.get('sale_id')!r} names lane {sale.get('lane_id')!r}, not this lane "
                f"{self.lane_id!r}; nothing was saved"
            )
        return sale

    @classmethod
    def restore(
        cls,
        db: Database,
        lane_id: str,
        policy: Policy,
        attendants: Mapping[str, Attendant],
        promotions: Sequence[Promotion | Coupon] = (),
    ) -> DurableCheckout:
        """The lane as its journal left it: latest checkpoint, then every later fact replayed.

        A lane with an empty journal starts as a new `Checkout`. Raises JournalError when the
        checkpoint belongs to another lane or a fact cannot be replayed.
        """
        snapshot, facts = basket_log.load(db, lane_id)
        if snapshot is None:
            checkout = Checkout(lane_id=lane_id, policy=policy, attendants=attendants,
                                promotions=promotions)
        else:
            if snapshot.get("lane_id") != lane_id:
                raise JournalError(
                    f"the checkpoint stored for lane {lane_id!r} is for lane "
                    f"{snapshot.get('lane_id')!r}; the journal file is mixed up"
                )
            checkout = Checkout.from_snapshot(snapshot, policy=policy, attendants=attendants,
                                              promotions=promotions)
        for fact in facts:
            try:
                checkout.apply(fact)
            except JournalError:
                raise
            except Exception as e:
                raise JournalError(
                    f"lane {lane_id!r}: the journaled fact {fact.kind!r} of {fact.at} cannot be "
                    f"replayed ({e!r}); keep the journal file and report it"
                ) from e
        return cls(db, checkout, lane_id)
