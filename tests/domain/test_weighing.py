"""Legal-for-trade weighing: what a shopper sees for each rule at the scale."""

from __future__ import annotations

import pytest

from kiosk.domain.weighing import LegalWeighing, ScaleCondition, ScaleReading, WeighingRefused
from kiosk.errors import ShopperFacingError

RULES = LegalWeighing(min_weight_g=40, max_weight_g=15000)


def refusal(reading: ScaleReading, previous_priced_g: int | None = None) -> WeighingRefused:
    with pytest.raises(WeighingRefused) as caught:
        RULES.check(reading, previous_priced_g)
    return caught.value


def test_a_stable_weight_is_priced_exactly_as_the_scale_sent_it():
    assert RULES.check(ScaleReading(1234, stable=True)) == 1234
    assert RULES.check(ScaleReading(40, stable=True)) == 40  # Min itself is allowed
    assert RULES.check(ScaleReading(15000, stable=True)) == 15000  # and Max


def test_unstable_weight_is_never_priced():
    err = refusal(ScaleReading(1234, stable=False))
    assert err.reason == "unstable"
    assert "Bewegung" in err.shopper_text("de")
    assert "settling" in err.shopper_text("en")


def test_a_weight_below_the_minimum_asks_for_at_least_40_g():
    err = refusal(ScaleReading(39, stable=True))
    assert err.reason == "below_minimum"
    assert err.shopper_text("de") == "Bitte mindestens 40 g auflegen."
    assert err.shopper_text("en") == "Please put at least 40 g on the scale."


def test_an_empty_scale_is_below_the_minimum_too():
    assert refusal(ScaleReading(0, stable=True)).reason == "below_minimum"


def test_overload_is_refused_whether_reported_or_above_max():
    assert refusal(ScaleReading(0, stable=True, condition=ScaleCondition.OVERLOAD)).reason == \
        "overload"
    err = refusal(ScaleReading(15001, stable=True))
    assert err.reason == "overload"
    assert "höchstens 15 kg" in err.shopper_text("de")


def test_under_zero_is_refused_and_sends_for_staff():
    err = refusal(ScaleReading(-12, stable=True))
    assert err.reason == "under_zero"
    assert "Mitarbeiter" in err.shopper_text("de")
    assert refusal(ScaleReading(100, stable=True, condition=ScaleCondition.UNDER_ZERO)).reason \
        == "under_zero"


def test_the_same_weight_twice_asks_the_shopper_to_lift_and_replace_the_item():
    err = refusal(ScaleReading(1234, stable=True), previous_priced_g=1234)
    assert err.reason == "same_weight"
    assert err.shopper_text("de") == (
        "Bitte nehmen Sie die Ware vom Wiegeteller und legen Sie sie erneut auf.")
    assert "take the item off" in err.shopper_text("en")


def test_a_changed_weight_after_a_priced_weighing_is_priced():
    assert RULES.check(ScaleReading(1236, stable=True), previous_priced_g=1234) == 1236


def test_refusals_are_shopper_facing_errors_with_a_technical_message():
    err = refusal(ScaleReading(10, stable=True))
    assert isinstance(err, ShopperFacingError) and isinstance(err, ValueError)
    assert "10 g" in str(err) and "40 g" in str(err)


def test_moving_weight_is_reported_before_the_minimum():
    # A shopper still putting the item down sees "settling", not "put at least 40 g".
    assert refusal(ScaleReading(10, stable=False)).reason == "unstable"


@pytest.mark.parametrize(("min_g", "max_g"), [(0, 100), (100, 100), (-5, 10)])
def test_impossible_scale_limits_are_refused(min_g: int, max_g: int):
    with pytest.raises(ValueError, match="type plate"):
        LegalWeighing(min_g, max_g)
