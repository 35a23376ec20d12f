"""Bagging-area rules on their own: what a stable reading means, and where a band comes from."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.basket import Line
from kiosk.domain.catalog import Product
from kiosk.domain.learned import LearnedWeight
from kiosk.domain.money import VatRate
from kiosk.domain.policy import Policy
from kiosk.domain.security import (
    UNKNOWN_MAX_G,
    BaggingArea,
    Expectation,
    Outcome,
    expectation_for,
    tolerance_g,
)

DEADLINE = "2026-03-02T09:00:10.000Z"
POLICY = Policy(bagging=True, bagging_tolerance_g=30, bagging_tolerance_pct=10,
                bagging_noise_g=5, learned_min_samples=3, learned_k_sigma=3)


def _milk(line_id: int = 1, low: int = 1000, high: int = 1090) -> Expectation:
    return Expectation(line_id, "MILK", 1045, low, high, DEADLINE, "catalog")


def _line(quantity: int = 1, weight_g: int | None = None) -> Line:
    return Line(line_id=3, sku="MILK", names={"de": "Milch", "en": "Milk"},
                unit_price_cents=119, vat_rate=VatRate.REDUCED, quantity=quantity,
                weight_g=weight_g)


def _product(expected: int | None = 1045, tolerance: int | None = None) -> Product:
    return Product(sku="MILK", names={"de": "Milch", "en": "Milk"}, price_cents=119,
                   vat_rate=VatRate.REDUCED, expected_weight_g=expected,
                   weight_tolerance_g=tolerance)


def _judge(area: BaggingArea, weight_g: int, *, alarm: bool = False) -> Outcome:
    return area.judge(weight_g, 5, basket_open=True, alarm_open=alarm).outcome


def test_milk_placed_within_its_band_is_placed_and_moves_the_baseline() -> None:
    area = BaggingArea(200, (_milk(),))
    judged = area.judge(1245, 5, basket_open=True, alarm_open=False)
    assert judged.outcome is Outcome.PLACED and judged.delta_g == 1045
    assert area.placed([e.line_id for e in judged.placed], 1245) == BaggingArea(1245)


def test_two_items_bagged_together_are_both_placed() -> None:
    area = BaggingArea(0, (_milk(1), _milk(2)))
    judged = area.judge(2090, 5, basket_open=True, alarm_open=False)
    assert judged.outcome is Outcome.PLACED and [e.line_id for e in judged.placed] == [1, 2]


def test_weight_with_nothing_expected_is_an_unexpected_item() -> None:
    assert _judge(BaggingArea(200), 700) is Outcome.UNEXPECTED


def test_weight_taken_away_is_an_item_removed() -> None:
    assert _judge(BaggingArea(1245), 200) is Outcome.REMOVED
    assert _judge(BaggingArea(1245, (_milk(),)), 200) is Outcome.REMOVED


def test_weight_outside_the_expected_band_is_a_mismatch() -> None:
    assert _judge(BaggingArea(0, (_milk(),)), 1500) is Outcome.MISMATCH
    assert _judge(BaggingArea(0, (_milk(),)), 600) is Outcome.MISMATCH


def test_changes_within_the_noise_mean_nothing() -> None:
    assert _judge(BaggingArea(200), 204) is Outcome.NOTHING
    assert _judge(BaggingArea(200), 196) is Outcome.NOTHING


def test_while_an_alarm_is_open_only_the_baseline_or_a_fitting_item_ends_it() -> None:
    area = BaggingArea(200, (_milk(),))
    assert _judge(area, 900, alarm=True) is Outcome.NOTHING
    assert _judge(area, 202, alarm=True) is Outcome.CORRECTED
    assert _judge(area, 1245, alarm=True) is Outcome.PLACED


def test_without_a_basket_a_new_weight_just_becomes_the_baseline() -> None:
    area = BaggingArea(1245)
    assert area.judge(0, 5, basket_open=False, alarm_open=False).outcome is Outcome.SETTLED
    assert area.judge(1243, 5, basket_open=False, alarm_open=False).outcome is Outcome.NOTHING
    assert BaggingArea().judge(300, 5, basket_open=True, alarm_open=False).outcome \
        is Outcome.SETTLED


def test_an_expectation_is_overdue_from_its_deadline_on() -> None:
    area = BaggingArea(0, (_milk(),))
    assert area.overdue(datetime(2026, 3, 2, 9, 0, 9, tzinfo=UTC)) == ()
    assert area.overdue(datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)) == (_milk(),)


def test_the_store_tolerance_is_the_floor_or_the_percentage_whichever_is_larger() -> None:
    assert tolerance_g(100, POLICY) == 30
    assert tolerance_g(1045, POLICY) == 105  # 104.5 rounded up


def test_catalog_weight_with_its_own_tolerance_scales_with_quantity() -> None:
    found = expectation_for(_line(quantity=2), _product(1045, 20), None, POLICY, DEADLINE)
    assert (found.expected_g, found.low_g, found.high_g, found.source) == \
        (2090, 2050, 2130, "catalog")


def test_a_weighed_line_expects_its_weighed_grams() -> None:
    found = expectation_for(_line(weight_g=1234), _product(None), None, POLICY, DEADLINE)
    assert (found.expected_g, found.low_g, found.high_g, found.source) == \
        (1234, 1110, 1358, "weighed")


def test_an_item_of_unknown_weight_expects_just_some_weight() -> None:
    found = expectation_for(_line(), _product(None), None, POLICY, DEADLINE)
    assert (found.expected_g, found.low_g, found.high_g, found.source) == \
        (None, 6, UNKNOWN_MAX_G, "any")


def test_a_learned_weight_replaces_the_catalog_band_once_trusted() -> None:
    learned = LearnedWeight("MILK", 2, 1030.0, 0.0)
    assert expectation_for(_line(), _product(), learned, POLICY, DEADLINE).source == "catalog"
    learned = learned.update(1030)
    found = expectation_for(_line(), _product(), learned, POLICY, DEADLINE)
    assert (found.source, found.low_g, found.high_g) == ("learned", 1000, 1060)


def test_the_area_survives_its_dict_form() -> None:
    area = BaggingArea(17, (_milk(1), _milk(2)), skipped=1)
    assert BaggingArea.from_dict(area.to_dict()) == area
    assert area.new_basket() == BaggingArea(17)


@given(st.integers(-10_000, 60_000), st.integers(-5_000, 60_000),
       st.lists(st.tuples(st.integers(1, 5_000), st.integers(0, 5_000)), max_size=4),
       st.booleans(), st.booleans())
def test_every_reading_has_exactly_one_meaning(base: int, weight: int,
                                               bands: list[tuple[int, int]], basket: bool,
                                               alarm: bool) -> None:
    pending = tuple(Expectation(i, "X", None, low, low + width, DEADLINE, "any")
                    for i, (low, width) in enumerate(bands, start=1))
    judged = BaggingArea(base, pending).judge(weight, 5, basket_open=basket, alarm_open=alarm)
    assert judged.delta_g == weight - base
    if judged.outcome is Outcome.PLACED:
        assert judged.placed and judged.placed == pending[:len(judged.placed)]
    if abs(weight - base) <= 5:
        assert judged.outcome in (Outcome.NOTHING, Outcome.CORRECTED)
