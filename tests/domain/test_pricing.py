"""Pricing: promotions, coupons, totals and the German VAT table, with receipt numbers."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.basket import Line
from kiosk.domain.money import VatRate, vat_from_gross
from kiosk.domain.pricing import (
    Coupon,
    Discount,
    MixMatch,
    MultiBuy,
    PercentOff,
    Promotion,
    Totals,
    VatLine,
    coupon_rejection,
    price_basket,
    promotion_from_dict,
    promotion_to_dict,
)
from kiosk.errors import CatalogError

A, B = VatRate.STANDARD, VatRate.REDUCED


def item(line_id: int, sku: str, price_cents: int, rate: VatRate = B, **kw: Any) -> Line:
    return Line(line_id=line_id, sku=sku, names={"de": sku, "en": sku},
                unit_price_cents=price_cents, vat_rate=rate, **kw)


def pfand(line_id: int, of: int, quantity: int = 1, price_cents: int = 25,
          rate: VatRate = A) -> Line:
    return item(line_id, "pfand", price_cents, rate, quantity=quantity, deposit_of=of)


def names(text: str) -> dict[str, str]:
    return {"de": text, "en": text}


def three_for_two(*skus: str) -> MultiBuy:
    return MultiBuy("3f2", names("3 für 2"), frozenset(skus), buy=3, pay=2)


def vat_table(totals: Totals) -> list[tuple[str, int, int, int]]:
    return [(v.rate.value, v.gross_cents, v.net_cents, v.vat_cents) for v in totals.vat]


# --- concrete receipts -------------------------------------------------------------------------

def test_a_mixed_basket_shows_gross_net_and_vat_per_rate() -> None:
    lines = [
        item(1, "milch", 119, B),
        item(2, "bier", 89, A, quantity=2),
        pfand(3, of=2, quantity=2, price_cents=8),
        item(4, "brot", 249, B),
        item(5, "spuelmittel", 145, A),
    ]
    totals = price_basket(lines)
    assert totals.subtotal_cents == totals.total_cents == 707
    assert totals.deposit_cents == 16
    assert totals.discount_cents == 0 and totals.discounts == ()
    assert totals.item_count == 5
    # A: 1,78 + 0,16 + 1,45 = 3,39 € holds 0,54 € VAT; B: 1,19 + 2,49 = 3,68 € holds 0,24 €
    assert vat_table(totals) == [("A", 339, 285, 54), ("B", 368, 344, 24)]
    assert totals.vat_cents == 78


def test_vat_is_taken_once_from_the_rates_sum_not_line_by_line() -> None:
    rolls = [item(i, f"broetchen-{i}", 35, B) for i in range(1, 4)]
    # 0,35 € holds 0,0229 € VAT: per line 0,02 € x 3 = 0,06 €, on the sum 1,05 € -> 0,07 €
    assert vat_table(price_basket(rolls)) == [("B", 105, 98, 7)]


def test_three_for_two_makes_every_third_yoghurt_free() -> None:
    totals = price_basket([item(1, "joghurt", 79, quantity=3)], [three_for_two("joghurt")])
    assert (totals.subtotal_cents, totals.discount_cents, totals.total_cents) == (237, 79, 158)
    (d,) = totals.discounts
    assert (d.promo_id, d.kind, d.amount_cents, d.vat_rate, d.line_ids) == (
        "3f2", "multi_buy", 79, B, (1,))
    assert vat_table(totals) == [("B", 158, 148, 10)]


@pytest.mark.parametrize(("quantity", "free"), [(2, 0), (3, 1), (4, 1), (5, 1), (6, 2), (7, 2)])
def test_three_for_two_counts_only_full_groups(quantity: int, free: int) -> None:
    totals = price_basket([item(1, "joghurt", 79, quantity=quantity)], [three_for_two("joghurt")])
    assert totals.discount_cents == free * 79


def test_three_for_two_across_flavours_gives_the_cheapest_free() -> None:
    lines = [item(1, "erdbeer", 129), item(2, "vanille", 99), item(3, "natur", 79)]
    totals = price_basket(lines, [three_for_two("erdbeer", "vanille", "natur")])
    assert totals.discount_cents == 79
    assert totals.discounts[0].line_ids == (3,)


def test_three_for_two_groups_the_dearest_together_so_each_group_frees_its_cheapest() -> None:
    prices = [500, 400, 300, 200, 100, 100]
    lines = [item(i, f"sku{i}", p) for i, p in enumerate(prices, start=1)]
    totals = price_basket(lines, [three_for_two(*(f"sku{i}" for i in range(1, 7)))])
    assert totals.discount_cents == 300 + 100  # groups (5,4,3) and (2,1,1)


def test_a_multi_buy_never_discounts_the_deposit_even_when_listed() -> None:
    lines = [item(1, "wasser", 49, A, quantity=6), pfand(2, of=1, quantity=6)]
    totals = price_basket(lines, [three_for_two("wasser", "pfand")])
    assert totals.discount_cents == 98  # two bottles free, 6 x 0,25 € deposit paid in full
    assert totals.deposit_cents == 150
    assert totals.total_cents == 294 - 98 + 150
    assert all(2 not in d.line_ids for d in totals.discounts)
    assert vat_table(totals) == [("A", 346, 291, 55)]


def test_mix_and_match_charges_the_group_price_and_spreads_the_saving() -> None:
    lines = [item(1, "vollmilch", 199), item(2, "nuss", 229), item(3, "zartbitter", 179)]
    promo = MixMatch("schoko", names("3 für 5 €"), frozenset({"vollmilch", "nuss", "zartbitter"}),
                     count=3, price_cents=500)
    totals = price_basket(lines, [promo])
    assert (totals.subtotal_cents, totals.discount_cents, totals.total_cents) == (607, 107, 500)
    assert vat_table(totals) == [("B", 500, 467, 33)]


def test_mix_and_match_across_rates_splits_the_saving_by_price() -> None:
    lines = [item(1, "rotwein", 499, A), item(2, "weisswein", 449, A),
             item(3, "traubensaft", 299, B), item(4, "rose", 199, A, quantity=2)]
    promo = MixMatch("wein", names("3 für 10 €"),
                     frozenset({"rotwein", "weisswein", "traubensaft", "rose"}),
                     count=3, price_cents=1000)
    totals = price_basket(lines, [promo])
    # One group of the three dearest (12,47 €); the two rosés do not fill a group.
    # The 2,47 € saving splits 4,99 : 4,49 : 2,99 -> 0,99 + 0,89 (A) and 0,59 (B).
    assert [(d.vat_rate, d.amount_cents, d.line_ids) for d in totals.discounts] == [
        (A, 188, (1, 2)), (B, 59, (3,))]
    assert totals.total_cents == 1000 + 398


def test_mix_and_match_does_nothing_when_the_pieces_are_cheaper_alone() -> None:
    promo = MixMatch("schoko", names("3 für 5 €"), frozenset({"riegel"}), count=3, price_cents=500)
    totals = price_basket([item(1, "riegel", 150, quantity=3)], [promo])
    assert totals.discounts == () and totals.total_cents == 450


def test_percent_off_rounds_each_line_half_up() -> None:
    promo = PercentOff("kaffee-30", names("-30 %"), frozenset({"kaffee"}), None, percent=30)
    totals = price_basket([item(1, "kaffee", 249, A), item(2, "kaffee", 249, A)], [promo])
    # 30 % of 2,49 € = 0,747 € -> 0,75 € on each line
    assert [(d.amount_cents, d.line_ids) for d in totals.discounts] == [(75, (1,)), (75, (2,))]
    assert totals.total_cents == 2 * 174


def test_percent_off_by_category_reaches_weighed_produce() -> None:
    bananas = item(1, "bananen", 199, weight_g=1234, category="obst")  # 2,46 €
    promo = PercentOff("obst-20", names("Obst -20 %"), None, frozenset({"obst"}), percent=20)
    totals = price_basket([bananas, item(2, "brot", 249, category="backwaren")], [promo])
    assert totals.discount_cents == 49  # 20 % of 2,46 € = 0,492 €
    assert totals.total_cents == 246 - 49 + 249
    assert totals.item_count == 2  # the weighed line counts as one item


def test_weighed_produce_takes_no_multi_buy() -> None:
    lines = [item(i, "bananen", 199, weight_g=500) for i in range(1, 4)]
    assert price_basket(lines, [three_for_two("bananen")]).discounts == ()


def test_price_labelled_goods_take_no_further_promotion() -> None:
    reduced = item(1, "kaffee", 499, A, price_override_cents=250)  # "reduziert" label
    promo = PercentOff("kaffee-30", names("-30 %"), frozenset({"kaffee"}), None, percent=30)
    totals = price_basket([reduced], [promo])
    assert totals.discounts == () and totals.total_cents == 250


def test_voided_lines_take_no_part_in_a_multi_buy() -> None:
    lines = [item(1, "joghurt", 79), item(2, "joghurt", 79, voided_by="att-1"),
             item(3, "joghurt", 79)]
    totals = price_basket(lines, [three_for_two("joghurt")])
    assert totals.discounts == () and totals.total_cents == 158
    assert totals.lines == tuple(lines)


def test_a_line_takes_percent_off_first_and_then_no_multi_buy() -> None:
    off = PercentOff("joghurt-10", names("-10 %"), frozenset({"joghurt"}), None, percent=10)
    totals = price_basket([item(1, "joghurt", 100, quantity=3)], [three_for_two("joghurt"), off])
    assert [(d.kind, d.amount_cents) for d in totals.discounts] == [("percent_off", 30)]


def test_a_line_takes_only_the_first_of_two_multi_buys() -> None:
    second = MultiBuy("2f1", names("2 für 1"), frozenset({"joghurt"}), buy=2, pay=1)
    totals = price_basket([item(1, "joghurt", 100, quantity=3)], [three_for_two("joghurt"), second])
    assert [(d.promo_id, d.amount_cents) for d in totals.discounts] == [("3f2", 100)]


def test_a_coupon_is_spread_over_the_rates_by_their_gross() -> None:
    coupon = Coupon("GUT5", names("5 € Gutschein"), amount_cents=500, min_basket_cents=2500)
    totals = price_basket([item(1, "waschmittel", 2000, A), item(2, "kaffee-bohnen", 1000, B)],
                          coupons=[coupon])
    # 5,00 € split 2:1 -> 3,33 € (A) + 1,67 € (B), exactly 5,00 € together
    assert [(d.vat_rate, d.amount_cents, d.kind) for d in totals.discounts] == [
        (A, 333, "coupon"), (B, 167, "coupon")]
    assert vat_table(totals) == [("A", 1667, 1401, 266), ("B", 833, 779, 54)]
    assert totals.total_cents == 2500
    assert coupon_rejection(coupon, totals) is None


def test_a_percent_coupon_on_an_awkward_split_still_sums_exactly() -> None:
    coupon = Coupon("TEN", names("-10 %"), percent=10)
    lines = [item(1, "a", 333, A), item(2, "b", 333, B), item(3, "c", 335, B)]
    totals = price_basket(lines, coupons=[coupon])
    assert totals.discount_cents == 100  # 10 % of 10,01 € = 1,001 € -> 1,00 €
    assert sum(d.amount_cents for d in totals.discounts) == 100
    assert [d.amount_cents for d in totals.discounts] == [33, 67]


def test_a_coupon_below_its_minimum_is_not_applied_and_says_what_is_missing() -> None:
    coupon = Coupon("GUT5", names("5 € Gutschein"), amount_cents=500, min_basket_cents=2500)
    # 20,00 € of goods and 3,00 € deposit: the deposit does not count towards the minimum
    lines = [item(1, "kiste", 2000, A), pfand(2, of=1, price_cents=300)]
    totals = price_basket(lines, coupons=[coupon])
    assert totals.discounts == () and totals.total_cents == 2300
    assert coupon_rejection(coupon, totals, "de") == (
        "Dieser Gutschein gilt ab 25,00 € Einkaufswert (ohne Pfand). Es fehlen noch 5,00 €.")
    assert coupon_rejection(coupon, totals, "en") == (
        "This coupon needs a purchase of €25.00 (deposit not included). €5.00 to go.")


def test_a_coupon_minimum_counts_goods_after_line_promotions() -> None:
    coupon = Coupon("GUT5", names("5 €"), amount_cents=500, min_basket_cents=2500)
    lines = [item(1, "whisky", 1300, A, quantity=3)]  # 39,00 € before, 26,00 € after 3 für 2
    assert price_basket(lines, [three_for_two("whisky")], [coupon]).total_cents == 2100
    totals = price_basket([item(1, "whisky", 1200, A, quantity=3)], [three_for_two("whisky")],
                          [coupon])
    assert totals.total_cents == 2400  # 24,00 € after the promotion: below the minimum
    assert "1,00 €" in (coupon_rejection(coupon, totals) or "")


def test_a_coupon_larger_than_the_goods_leaves_the_deposit_to_pay() -> None:
    coupon = Coupon("GUT5", names("5 €"), amount_cents=500)
    lines = [item(1, "wasser", 300, A), pfand(2, of=1, price_cents=25)]
    totals = price_basket(lines, coupons=[coupon])
    assert totals.discount_cents == 300
    assert totals.total_cents == totals.deposit_cents == 25


def test_a_coupon_scanned_twice_counts_once() -> None:
    coupon = Coupon("GUT1", names("1 €"), amount_cents=100)
    totals = price_basket([item(1, "brot", 500)], coupons=[coupon, coupon])
    assert totals.discount_cents == 100


def test_a_coupon_on_price_labelled_goods_only_is_rejected() -> None:
    coupon = Coupon("GUT1", names("1 €"), amount_cents=100)
    totals = price_basket([item(1, "kaffee", 499, price_override_cents=250)], coupons=[coupon])
    assert totals.discounts == ()
    assert coupon_rejection(coupon, totals, "en") == (
        "This coupon does not apply to the items in your basket.")


def test_totals_go_into_the_sale_record_as_json_and_come_back() -> None:
    promo = PercentOff("p", names("-10 %"), frozenset({"kaffee"}), None, percent=10)
    lines = [item(1, "kaffee", 499, A), item(2, "bier", 89, A, quantity=2),
             pfand(3, of=2, quantity=2, price_cents=8), item(4, "brot", 249, voided_by="att-1")]
    totals = price_basket(lines, [promo], [Coupon("G", names("1 €"), amount_cents=100)])
    record = json.loads(json.dumps(totals.to_dict()))
    assert record["total_cents"] == totals.total_cents
    # A: 4,99 - 0,50 + 1,78 + 0,16 deposit - 1,00 coupon = 5,43 € holding 0,87 € VAT
    assert record["vat"] == [{"rate": "A", "percent": 19, "gross_cents": 543,
                              "net_cents": 456, "vat_cents": 87}]
    assert Totals.from_dict(record) == totals


def test_lines_no_basket_can_hold_are_refused_with_the_line() -> None:
    with pytest.raises(ValueError, match="line id 1 appears twice"):
        price_basket([item(1, "a", 100), item(1, "b", 100)])
    with pytest.raises(ValueError, match="line 2 has quantity 0"):
        price_basket([item(2, "a", 100, quantity=0)])
    with pytest.raises(ValueError, match="negative amount -100"):
        price_basket([item(3, "a", -100)])
    with pytest.raises(ValueError, match="pass coupons as"):
        price_basket([item(1, "a", 100)], [Coupon("G", names("1 €"), amount_cents=1)])  # type: ignore[list-item]


# --- promotion files ---------------------------------------------------------------------------

GOOD_OFFERS: list[dict[str, Any]] = [
    {"type": "multi_buy", "promo_id": "j3f2", "names": {"de": "3 für 2", "en": "3 for 2"},
     "skus": ["4711", "4712"], "buy": 3, "pay": 2},
    {"type": "mix_match", "promo_id": "s35", "names": {"de": "3 für 5 €"}, "skus": ["1"],
     "count": 3, "price_cents": 500},
    {"type": "percent_off", "promo_id": "obst", "names": {"de": "Obst -20 %"},
     "categories": ["obst"], "percent": 20},
    {"type": "coupon", "coupon_code": "GUT5", "names": {"de": "5 €"}, "amount_cents": 500,
     "min_basket_cents": 2500},
    {"type": "coupon", "coupon_code": "TEN", "names": {"en": "10 % off"}, "percent": 10,
     "min_basket_cents": 0},
]


@pytest.mark.parametrize("record", GOOD_OFFERS, ids=lambda r: r["type"])
def test_offers_load_from_a_promotion_file_and_write_back_the_same(record: dict[str, Any]) -> None:
    offer = promotion_from_dict(record, "promotions.json #1")
    assert promotion_to_dict(offer) == record


def test_numeric_skus_in_a_promotion_file_are_read_as_text() -> None:
    offer = promotion_from_dict({**GOOD_OFFERS[0], "skus": [4711]})
    assert isinstance(offer, MultiBuy) and offer.skus == frozenset({"4711"})


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"type": "bogo"}, "type 'bogo'"),
        ({"type": ["multi_buy"]}, "type"),
        ({"buy": 1}, "buy 1"),
        ({"pay": 3}, "pay 3"),
        ({"pay": True}, "pay True"),
        ({"buy": "3"}, "buy '3'"),
        ({"skus": "4711"}, "skus '4711'"),
        ({"skus": []}, "skus"),
        ({"names": {}}, "names"),
        ({"promo_id": ""}, "promo_id ''"),
        ({"discount": 5}, "unknown field(s) discount"),
        ({"buy": None}, "missing field buy"),
    ],
)
def test_a_bad_promotion_record_is_refused_naming_where_and_the_field(
    change: dict[str, Any], says: str
) -> None:
    with pytest.raises(CatalogError) as err:
        promotion_from_dict({**GOOD_OFFERS[0], **change}, "promotions.json #4")
    assert str(err.value).startswith("promotions.json #4: ")
    assert says in str(err.value)


@pytest.mark.parametrize(
    ("record", "says"),
    [
        ({**GOOD_OFFERS[3], "percent": 10}, "exactly one of amount_cents and percent"),
        ({"type": "coupon", "coupon_code": "X", "names": {"de": "x"}}, "exactly one"),
        ({**GOOD_OFFERS[4], "percent": 101}, "percent 101"),
        ({**GOOD_OFFERS[3], "min_basket_cents": -1}, "min_basket_cents -1"),
        ({**GOOD_OFFERS[2], "categories": None}, "give skus or categories"),
        ({**GOOD_OFFERS[2], "percent": 0}, "percent 0"),
        ({**GOOD_OFFERS[1], "price_cents": 0}, "price_cents 0"),
        ({**GOOD_OFFERS[1], "count": 1}, "count 1"),
        ("not an object", "JSON object"),
    ],
)
def test_bad_coupons_and_offers_are_refused_with_the_value(record: Any, says: str) -> None:
    with pytest.raises(CatalogError, match=r"^promotions\.json") as err:
        promotion_from_dict(record, "promotions.json")
    assert says in str(err.value)


# --- properties over random baskets ------------------------------------------------------------

SKUS = ["a", "b", "c", "d"]
CATEGORIES = ["obst", "getraenke"]


@st.composite
def baskets(draw: st.DrawFn) -> list[Line]:
    lines: list[Line] = []
    for _ in range(draw(st.integers(0, 8))):
        line_id = len(lines) + 1
        kind = draw(st.sampled_from(["piece", "weighed", "labelled", "bottle"]))
        voided = draw(st.sampled_from([None, None, None, "att-1"]))
        common: dict[str, Any] = {
            "line_id": line_id, "sku": draw(st.sampled_from(SKUS)), "names": {"de": "x"},
            "unit_price_cents": draw(st.integers(0, 5000)),
            "vat_rate": draw(st.sampled_from(list(VatRate))),
            "category": draw(st.sampled_from(CATEGORIES)), "voided_by": voided,
        }
        quantity = draw(st.integers(1, 7))
        if kind == "weighed":
            lines.append(Line(**common, weight_g=draw(st.integers(1, 5000))))
        elif kind == "labelled":
            lines.append(Line(**common, quantity=quantity,
                              price_override_cents=draw(st.integers(0, 3000))))
        else:
            lines.append(Line(**common, quantity=quantity))
        if kind == "bottle":
            lines.append(Line(line_id + 1, draw(st.sampled_from(SKUS)), {"de": "Pfand"},
                              draw(st.sampled_from([8, 15, 25])),
                              draw(st.sampled_from(list(VatRate))), quantity=quantity,
                              deposit_of=line_id, voided_by=voided))
    return lines


sku_sets = st.frozensets(st.sampled_from(SKUS), min_size=1)
promotions = st.lists(
    st.one_of(
        st.builds(MultiBuy, st.just("mb"), st.just(names("mb")), sku_sets,
                  st.just(3), st.integers(1, 2)),
        st.builds(MixMatch, st.just("mm"), st.just(names("mm")), sku_sets,
                  st.integers(2, 4), st.integers(1, 8000)),
        st.builds(PercentOff, st.just("po"), st.just(names("po")), st.none() | sku_sets,
                  st.just(frozenset(CATEGORIES[:1])), st.integers(1, 100)),
    ),
    max_size=4,
)
coupons = st.lists(
    st.builds(Coupon, st.sampled_from(["C1", "C2", "C3"]), st.just(names("c")),
              amount_cents=st.integers(1, 20000), min_basket_cents=st.integers(0, 5000))
    | st.builds(Coupon, st.sampled_from(["P1", "P2"]), st.just(names("p")),
                percent=st.integers(1, 100)),
    max_size=3,
)


def _by_id(lines: Iterable[Line]) -> dict[int, Line]:
    return {line.line_id: line for line in lines}


@given(baskets(), promotions, coupons)
def test_totals_add_up_and_are_never_negative(
    lines: list[Line], promos: list[Promotion], cps: list[Coupon]
) -> None:
    totals = price_basket(lines, promos, cps)
    assert totals.total_cents >= 0
    assert totals.total_cents == totals.subtotal_cents - totals.discount_cents
    assert totals.discount_cents == sum(d.amount_cents for d in totals.discounts)
    assert sum(v.gross_cents for v in totals.vat) == totals.total_cents
    assert [v.rate for v in totals.vat] == sorted({v.rate for v in totals.vat})  # A before B
    for v in totals.vat:
        assert v.gross_cents > 0 and v.net_cents >= 0 and v.vat_cents >= 0
        assert v.net_cents + v.vat_cents == v.gross_cents
        assert v.vat_cents == vat_from_gross(v.gross_cents, v.rate)
    assert price_basket(lines, promos, cps) == totals  # deterministic


@given(baskets(), promotions, coupons)
def test_discounts_never_exceed_what_they_discount(
    lines: list[Line], promos: list[Promotion], cps: list[Coupon]
) -> None:
    totals = price_basket(lines, promos, cps)
    by_id = _by_id(lines)
    promoted_lines: dict[int, set[str]] = {}
    for d in totals.discounts:
        assert d.amount_cents > 0
        covered = [by_id[i] for i in d.line_ids]
        assert all(x.vat_rate is d.vat_rate and not x.voided for x in covered)
        assert all(x.price_override_cents is None for x in covered)
        assert d.amount_cents <= sum(x.amount_cents for x in covered)
        if d.kind != "coupon":
            for i in d.line_ids:
                promoted_lines.setdefault(i, set()).add(d.promo_id)
    assert all(len(ids) == 1 for ids in promoted_lines.values())  # one line promotion per line
    for rate in VatRate:
        goods = sum(x.amount_cents for x in lines if x.vat_rate is rate and not x.is_deposit)
        cut = sum(d.amount_cents for d in totals.discounts if d.vat_rate is rate)
        assert cut <= goods


@given(baskets(), promotions, coupons)
def test_deposit_lines_are_never_discounted(
    lines: list[Line], promos: list[Promotion], cps: list[Coupon]
) -> None:
    totals = price_basket(lines, promos, cps)
    deposits = [x for x in lines if x.is_deposit and not x.voided]
    assert totals.deposit_cents == sum(x.amount_cents for x in deposits)
    assert not {x.line_id for x in deposits} & {i for d in totals.discounts for i in d.line_ids}
    gross = {v.rate: v.gross_cents for v in totals.vat}
    for rate in VatRate:
        assert gross.get(rate, 0) >= sum(x.amount_cents for x in deposits if x.vat_rate is rate)


@given(baskets(), promotions, coupons)
def test_voiding_every_line_leaves_nothing_to_pay(
    lines: list[Line], promos: list[Promotion], cps: list[Coupon]
) -> None:
    voided = [Line.from_dict({**x.to_dict(), "voided_by": "att-1"}) for x in lines]
    totals = price_basket(voided, promos, cps)
    assert totals.total_cents == 0 and totals.subtotal_cents == 0
    assert totals.vat == () and totals.discounts == () and totals.item_count == 0
    assert len(totals.lines) == len(lines)


def test_discount_and_vat_rows_are_plain_values() -> None:
    d = Discount("p", names("x"), 5, A, (1,), "percent_off")
    assert Discount.from_dict(json.loads(json.dumps(d.to_dict()))) == d
    v = VatLine(B, 107, 100, 7)
    assert VatLine.from_dict(v.to_dict()) == v
    assert d.name("en") == "x"
