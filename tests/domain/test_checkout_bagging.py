"""The bagging area as a shopper and an attendant notice it: items placed, not placed, added
unscanned, removed, mismatched; alarms that end when things are put right; learned weights;
skipping; and exact replay with bagging facts."""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.config import config_from_dict
from kiosk.domain import commands as c
from kiosk.domain.catalog import MemoryCatalog
from kiosk.domain.checkout import Context
from kiosk.domain.facts import Fact
from kiosk.domain.interventions import Block
from kiosk.domain.learned import LearnedWeight
from kiosk.domain.policy import Policy, Reason
from kiosk.errors import ConfigError, FlowError, KioskError
from tests.domain.checkout_helpers import COLA, LEMON_PLU, MILK, PRODUCTS, VODKA, YOGHURT, Lane

WEIGHTS = {"MILK": (1045, None), "COLA": (1600, 40), "VODKA": (1200, 30)}
CATALOG = MemoryCatalog([
    replace(p, expected_weight_g=WEIGHTS[p.sku][0], weight_tolerance_g=WEIGHTS[p.sku][1])
    if p.sku in WEIGHTS else p for p in PRODUCTS])
BAGGING = Policy(bagging=True, bagging_timeout_s=10, bagging_tolerance_g=30,
                 bagging_tolerance_pct=10, bagging_noise_g=5, learned_min_samples=3,
                 learned_k_sigma=3, skip_bagging_max=1)


class BaggingLane(Lane):
    """A lane with a bagging scale, weights in its catalog and a learned-weight store that
    takes `weight_learned` facts as the journal would."""

    def __init__(self, policy: Policy = BAGGING, **kw: Any) -> None:
        self.learned: dict[str, LearnedWeight] = {}
        super().__init__(policy, **kw)
        self.catalog = CATALOG

    def ctx(self) -> Context:
        return Context(now=self.now, catalog=self.catalog, new_id=self.new_id,
                       weights=self.learned)

    def do(self, command: c.Command) -> list[Fact]:
        facts = super().do(command)
        for fact in facts:
            if fact.kind == "weight_learned":
                sku = str(fact.data["sku"])
                self.learned[sku] = self.learned.get(sku, LearnedWeight(sku)).update(
                    int(fact.data["weight_g"]))
        return facts

    def bag(self, weight_g: int, stable: bool = True) -> list[Fact]:
        return self.do(c.BaggingWeight(weight_g, stable))

    def alarms(self) -> list[Reason]:
        return [i.reason for i in self.co.interventions]


def _started(own_bag_g: int = 120) -> BaggingLane:
    lane = BaggingLane()
    lane.bag(own_bag_g)  # the shopper's own bag on the empty lane
    return lane


def test_milk_placed_with_its_weight_is_accepted_and_paying_is_possible() -> None:
    lane = _started()
    lane.do(c.Scan(MILK))
    assert [e.line_id for e in lane.co.bagging.pending] == [1]
    facts = lane.bag(120 + 1045)
    assert lane.kinds(facts) == ["bagging_placed", "weight_learned"]
    assert lane.co.bagging.baseline_g == 1165 and not lane.co.bagging.pending
    assert lane.co.interventions == ()
    assert lane.kinds(lane.do(c.Pay())) == ["payment_started"]


def test_paying_waits_until_every_item_is_in_the_bagging_area() -> None:
    lane = _started()
    lane.do(c.Scan(MILK))
    with pytest.raises(FlowError, match="not in the bagging area") as err:
        lane.do(c.Pay())
    assert "Ablagebereich" in err.value.texts["de"]


def test_an_item_not_placed_in_time_calls_an_attendant_and_blocks_scanning() -> None:
    lane = _started()
    lane.do(c.Scan(MILK))
    lane.tick(9)
    assert not lane.co.timeout_due(lane.now)
    lane.tick(1)
    assert lane.co.timeout_due(lane.now)
    lane.do(c.Timeout())
    (found,) = lane.co.interventions
    assert found.reason is Reason.WEIGHT_NOT_PLACED
    assert found.evidence["line_id"] == 1 and found.evidence["expected_g"] == 1045
    assert found.evidence["deadline"] == "2026-03-02T09:00:10.000Z"
    assert not lane.co.timeout_due(lane.now)  # raised once, not on every tick
    with pytest.raises(FlowError, match="block"):
        lane.do(c.Scan(VODKA))
    lane.bag(1160)  # placed after all: the alarm ends by itself
    assert lane.co.interventions == () and lane.co.cleared_interventions[-1].outcome == "placed"


def test_an_unscanned_item_in_the_bagging_area_is_an_unexpected_item() -> None:
    lane = _started()
    lane.do(c.Scan(MILK))
    lane.bag(1165)
    lane.tick(3)
    lane.bag(1165 + 700)
    (found,) = lane.co.interventions
    assert found.reason is Reason.UNEXPECTED_ITEM and found.blocks == {Block.SCAN, Block.PAY}
    assert found.evidence == {"observed_g": 1865, "baseline_g": 1165, "delta_g": 700,
                              "at": "2026-03-02T09:00:03.000Z"}
    lane.bag(1900)  # more readings while the alarm is open do not pile up alarms
    assert len(lane.co.interventions) == 1
    lane.bag(1167)  # taken out again
    assert lane.co.interventions == ()
    assert lane.co.cleared_interventions[-1].outcome == "corrected"


def test_lifting_a_bag_is_an_item_removed_until_it_is_put_back() -> None:
    lane = _started()
    lane.do(c.Scan(MILK))
    lane.bag(1165)
    lane.bag(120)
    assert lane.alarms() == [Reason.ITEM_REMOVED]
    assert lane.co.interventions[0].evidence["delta_g"] == -1045
    lane.bag(1163)
    assert lane.alarms() == []


def test_a_wrong_item_is_a_weight_mismatch_with_its_evidence() -> None:
    lane = _started()
    lane.do(c.Scan(VODKA))  # age check too, which blocks only pay
    lane.bag(120 + 450)
    found = next(i for i in lane.co.interventions if i.reason is Reason.WEIGHT_MISMATCH)
    assert found.evidence == {
        "observed_g": 570, "baseline_g": 120, "delta_g": 450, "at": "2026-03-02T09:00:00.000Z",
        "line_id": 1, "sku": "VODKA", "expected_g": 1200, "low_g": 1170, "high_g": 1230,
        "source": "catalog"}
    lane.bag(120 + 1200)  # swapped for the right bottle
    assert Reason.WEIGHT_MISMATCH not in lane.alarms()
    assert not lane.co.bagging.pending


def test_unstable_readings_never_decide_anything() -> None:
    lane = _started()
    lane.do(c.Scan(MILK))
    for g in (300, 900, 2500, 0):
        assert lane.bag(g, stable=False) == []
    assert lane.co.interventions == () and lane.co.bagging.pending


def test_without_bagging_policy_the_lane_ignores_the_scale_as_before() -> None:
    lane = BaggingLane(Policy())
    lane.bag(500)
    facts = lane.do(c.Scan(MILK))
    assert lane.kinds(facts) == ["basket_opened", "lines_added"]
    assert lane.bag(5000) == [] and lane.co.interventions == ()


def test_an_approved_mismatch_accepts_the_item_and_teaches_its_weight() -> None:
    lane = _started()
    lane.do(c.Scan(MILK))
    lane.bag(120 + 1400)  # a heavier carton than the catalog says
    (found,) = lane.co.interventions
    lane.login()
    facts = lane.do(c.Approve(found.intervention_id))
    assert lane.kinds(facts)[:3] == ["intervention_cleared", "bagging_placed", "weight_learned"]
    assert facts[2].data == {"sku": "MILK", "weight_g": 1400}
    assert lane.co.bagging.baseline_g == 1520 and lane.learned["MILK"].count == 1


def test_rejecting_an_alarm_asks_the_shopper_to_correct_it() -> None:
    lane = _started()
    lane.do(c.Scan(MILK))
    lane.bag(1165)
    lane.bag(1700)
    (found,) = lane.co.interventions
    lane.login()
    with pytest.raises(FlowError, match="cannot be rejected") as err:
        lane.do(c.Reject(found.intervention_id))
    assert "korrigieren" in err.value.texts["de"]
    assert lane.alarms() == [Reason.UNEXPECTED_ITEM]


def test_an_approved_unexpected_item_becomes_part_of_the_baseline() -> None:
    lane = _started()
    lane.do(c.Scan(MILK))
    lane.bag(1165)
    lane.bag(1700)
    lane.login()
    lane.do(c.Approve(lane.open_ids()[0]))
    assert lane.co.bagging.baseline_g == 1700 and lane.alarms() == []
    assert lane.bag(1702) == []


def test_an_attendant_may_let_an_item_go_unbagged_or_void_it() -> None:
    lane = _started()
    lane.do(c.Scan(MILK))
    lane.do(c.SelectItem(LEMON_PLU))
    lane.tick(10)
    lane.do(c.Timeout())
    milk, lemon = lane.co.interventions
    lane.login()
    lane.do(c.Approve(milk.intervention_id))
    lane.do(c.Reject(lemon.intervention_id))
    assert lane.co.basket.line(2).voided and not lane.co.basket.line(1).voided
    assert not lane.co.bagging.pending and lane.co.bagging.skipped == 0
    assert lane.kinds(lane.do(c.Pay())) == ["payment_started"]


def test_a_shopper_may_skip_bagging_as_often_as_the_store_allows() -> None:
    lane = _started()
    lane.do(c.Scan(COLA))
    lane.do(c.Scan(YOGHURT))
    assert lane.kinds(lane.do(c.SkipBagging(1))) == ["bagging_skipped"]
    with pytest.raises(FlowError, match="most allowed"):
        lane.do(c.SkipBagging(3))
    with pytest.raises(FlowError, match="not allowed"):
        BaggingLane(replace(BAGGING, skip_bagging_max=0)).do(c.SkipBagging(1))


def test_the_learned_band_takes_over_after_enough_placements() -> None:
    lane = _started(0)
    for i in range(3):
        lane.do(c.Scan(MILK))
        assert lane.co.bagging.pending[0].source == "catalog"
        lane.bag(1000 * (i + 1))  # this store's cartons weigh 1000 g, inside the catalog band
    lane.do(c.Scan(MILK))
    learned = lane.co.bagging.pending[0]
    assert (learned.source, learned.low_g, learned.high_g) == ("learned", 970, 1030)
    lane.bag(3000 + 1100)  # in the catalog band, but not in the learned one
    assert lane.alarms() == [Reason.WEIGHT_MISMATCH]


def test_items_bagged_together_are_placed_together() -> None:
    lane = _started()
    lane.do(c.Scan(MILK))
    lane.do(c.Scan(COLA))
    facts = lane.bag(120 + 1045 + 1600)
    assert facts[0].data["line_ids"] == [1, 2]
    assert "weight_learned" not in lane.kinds(facts)  # who weighed what is unknown


def test_the_bags_leave_with_the_shopper_and_the_next_basket_starts_from_there() -> None:
    lane = _started()
    lane.do(c.Scan(MILK))
    lane.bag(1165)
    lane.do(c.Pay())
    lane.do(c.PaymentResult(True, 119, "ref-1"))
    assert lane.co.bagging.baseline_g == 1165
    lane.bag(3)  # bags taken
    assert lane.co.bagging.baseline_g == 3 and lane.co.interventions == ()
    lane.do(c.Scan(MILK))
    lane.bag(1048)
    assert lane.co.interventions == () and not lane.co.bagging.pending


def test_voiding_a_line_that_waits_for_the_bagging_area_withdraws_its_alarm() -> None:
    lane = _started()
    lane.do(c.Scan(MILK))
    lane.tick(10)
    lane.do(c.Timeout())
    lane.login()
    lane.do(c.RequestVoid(1))
    assert lane.co.interventions == () and not lane.co.bagging.pending


def test_a_restart_mid_basket_keeps_what_the_bagging_area_waits_for() -> None:
    lane = _started()
    lane.do(c.Scan(MILK))
    lane.do(c.Scan(COLA))
    lane.bag(1165)
    again = lane.restored(json.loads(json.dumps(lane.co.snapshot())))
    assert again.bagging == lane.co.bagging
    assert [e.sku for e in again.bagging.pending] == ["COLA"]


_STEPS: list[c.Command] = [
    c.Scan(MILK), c.Scan(COLA), c.Scan(YOGHURT), c.SelectItem(LEMON_PLU), c.Timeout(),
    c.SkipBagging(1), c.SkipBagging(2), c.Pay(), c.PaymentResult(True, 10_000, "r"),
    c.Help(), c.AttendantLogin("1001", "1234"), c.RequestVoid(1), c.Finish(),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_replaying_bagging_facts_rebuilds_exactly_the_same_lane(data: st.DataObject) -> None:
    lane = _started(0)
    start = lane.co.snapshot()
    start_at = len(lane.facts)
    for _ in range(data.draw(st.integers(1, 40), label="steps")):
        kind = data.draw(st.integers(0, 4))
        if kind == 0:
            lane.tick(data.draw(st.sampled_from([1, 5, 11])))
            continue
        if kind == 1:
            command: c.Command = c.BaggingWeight(data.draw(st.integers(0, 6000)),
                                                 data.draw(st.booleans()))
        elif kind == 2 and lane.co.interventions:
            found = data.draw(st.sampled_from(list(lane.co.interventions)))
            verdict = data.draw(st.booleans())
            command = c.Approve(found.intervention_id) if verdict else \
                c.Reject(found.intervention_id)
        else:
            command = data.draw(st.sampled_from(_STEPS))
        with contextlib.suppress(KioskError):  # refusals are part of the game, typed ones
            lane.do(command)
    final = lane.co.snapshot()
    replayed = lane.restored(start)
    for fact in (Fact.from_json(f.to_json()) for f in lane.facts[start_at:]):
        replayed.apply(fact)
    assert replayed.snapshot() == final


def test_the_store_config_turns_bagging_on_with_its_tolerances(tmp_path: Path) -> None:
    config = config_from_dict({"policy": {"bagging": True, "bagging_timeout_s": 15,
                                          "bagging_tolerance_g": 20, "skip_bagging_max": 2}},
                              base_dir=tmp_path)
    assert config.policy.bagging and config.policy.bagging_timeout_s == 15
    assert (config.policy.bagging_tolerance_g, config.policy.skip_bagging_max) == (20, 2)
    with pytest.raises(ConfigError, match="bagging_timeout_s"):
        config_from_dict({"policy": {"bagging_timeout_s": 0}}, base_dir=tmp_path)
