"""The receipt layout: what a German shopper expects on paper, within the printer's columns."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.basket import Line
from kiosk.domain.money import VatRate
from kiosk.domain.pricing import MultiBuy, price_basket
from kiosk.domain.receipt import ReceiptLine, StoreHeader, layout_receipt, two_columns

BERLIN_WINTER = timezone(timedelta(hours=1))
STORE = StoreHeader("Markt Musterstadt", ("Hauptstraße 1", "12345 Musterstadt"),
                    vat_id="DE123456789", footer=("Vielen Dank!", "Umtausch mit Bon"))
A, B = VatRate.STANDARD, VatRate.REDUCED


def realistic_sale() -> dict[str, Any]:
    """Water with its Pfand, loose apples by weight, three yoghurts (3 for 2), milk, a voided
    chocolate; paid by girocard."""
    lines = [
        Line(1, "W1", {"de": "Mineralwasser 1,5 l", "en": "Mineral water 1.5 l"}, 25, A),
        Line(2, "PFAND-025", {"de": "Pfand 0,25 € (Einweg)", "en": "Deposit €0.25"}, 25, A,
             deposit_of=1),
        Line(3, "APPLE", {"de": "Äpfel Elstar lose", "en": "Apples Elstar loose"}, 299, B,
             weight_g=456),
        Line(4, "YOG", {"de": "Fruchtjoghurt Erdbeere 150 g", "en": "Fruit yoghurt"}, 79, B,
             quantity=3),
        Line(5, "MILK", {"de": "Frische Vollmilch 1 l", "en": "Fresh whole milk 1 l"}, 109, B),
        Line(6, "CHOC", {"de": "Schokolade Zartbitter", "en": "Dark chocolate"}, 149, B,
             voided_by="1001"),
    ]
    promo = MultiBuy("YOG3", {"de": "3 für 2 Joghurt", "en": "Yoghurt 3 for 2"},
                     frozenset({"YOG"}), 3, 2)
    totals = price_basket(lines, [promo])
    return {
        "sale_id": "1a2b3c4d-0000-4000-8000-000000000000", "lane_id": "lane-1",
        "finished_at": "2026-03-02T09:00:12+00:00",
        "lines": [line.to_dict() for line in lines], "totals": totals.to_dict(),
        "payments": [{
            "method": "card", "amount_cents": totals.total_cents, "reference": "r1",
            "terminal": {"masked_pan": "############1234", "card_name": "girocard",
                         "terminal_id": "52500033", "trace_number": "000123",
                         "receipt_number": "0042", "booked_at": "2026-03-02T09:00:10+00:00"},
        }],
    }


def texts(lines: tuple[ReceiptLine, ...]) -> list[str]:
    return [x.text for x in lines if x.kind == "text"]


def test_a_german_receipt_shows_what_the_shopper_bought_and_paid() -> None:
    sale = realistic_sale()
    assert sale["totals"]["total_cents"] == 50 + 136 + 158 + 109  # yoghurt: 3 for 2
    lines = layout_receipt(sale, store=STORE, lane_name="1", seq=42, tz=BERLIN_WINTER)
    body = "\n".join(texts(lines))
    for expected in (
        "Markt Musterstadt", "Hauptstraße 1", "USt-IdNr. DE123456789",
        "Mineralwasser 1,5 l", "0,25 A", "Pfand 0,25 € (Einweg)",
        "Äpfel Elstar lose", "1,36 B", "0,456 kg x 2,99 €/kg",
        "Fruchtjoghurt Erdbeere 150 g", "2,37 B", "3 x 0,79", "3 für 2 Joghurt", "-0,79 B",
        "SUMME", "4,53 €", "Gegeben Karte", "girocard ############1234",
        "Terminal-ID 52500033", "Trace-Nr. 000123", "Beleg-Nr. 0042",
        "MwSt", "Netto", "Brutto", "A 19 %", "B 7 %",
        "Kasse 1", "Bon-Nr. 42", "02.03.2026 10:00:12", "Vorgang 1A2B3C4D",
        "TSE-Daten folgen (KassenSichV)", "Vielen Dank!", "Umtausch mit Bon",
    ):
        assert expected in body, expected
    assert "Schokolade" not in body  # voided before payment: never sold, never printed
    assert lines[-1] == ReceiptLine("cut")


def test_the_total_is_in_double_size_and_the_vat_rows_add_up() -> None:
    lines = layout_receipt(realistic_sale(), store=STORE, lane_name="1", seq=1)
    total = [x for x in lines if x.text.startswith("SUMME")]
    assert len(total) == 1 and total[0].size == "double" and total[0].bold
    rows = {x.text.split()[0]: x.text for x in lines if x.text[:2] in ("A ", "B ")}
    assert rows["A"].split()[-3:] == ["0,42", "0,08", "0,50"]
    assert rows["B"].split()[-3:] == ["3,77", "0,26", "4,03"]


@pytest.mark.parametrize("columns", [42, 48])
@pytest.mark.parametrize("lang", ["de", "en"])
def test_no_line_is_wider_than_the_paper(columns: int, lang: str) -> None:
    sale = realistic_sale()
    sale["lines"][0]["names"] = {"de": "Sehr langer Produktname " * 4, "en": "Long name " * 8}
    lines = layout_receipt(sale, store=STORE, lane_name="Kasse am Eingang", seq=123456,
                           lang=lang, columns=columns, e_receipt_url="https://e.example/r/1")
    for x in lines:
        if x.kind == "text":
            assert len(x.text) <= (columns // 2 if x.size == "double" else columns), x


def test_an_english_receipt_uses_english_words() -> None:
    body = "\n".join(texts(layout_receipt(realistic_sale(), store=STORE, lane_name="1", seq=7,
                                          lang="en", tz=BERLIN_WINTER)))
    for expected in ("TOTAL", "€4.53", "Paid Card", "Gross", "Lane 1", "Receipt 7",
                     "2026-03-02 10:00:12", "Apples Elstar loose", "0.456 kg x €2.99/kg",
                     "TSE data follows (KassenSichV)", "VAT ID DE123456789"):
        assert expected in body, expected


def test_a_fiscal_qr_and_an_e_receipt_qr_are_printed_when_given() -> None:
    lines = layout_receipt(realistic_sale(), store=STORE, lane_name="1", seq=1,
                           fiscal_qr="V0;KASSE1;Kassenbeleg-V1;...", e_receipt_url="https://e/1")
    qrs = [x.text for x in lines if x.kind == "qr"]
    assert qrs == ["V0;KASSE1;Kassenbeleg-V1;...", "https://e/1"]
    assert "TSE-Daten folgen (KassenSichV)" not in texts(lines)


def test_a_reprint_says_copy_at_the_top() -> None:
    lines = layout_receipt(realistic_sale(), store=STORE, lane_name="1", seq=1, copy=True)
    assert lines[0].text == "KOPIE / COPY" and lines[0].bold
    original = layout_receipt(realistic_sale(), store=STORE, lane_name="1", seq=1)
    assert "KOPIE / COPY" not in texts(original)


def test_a_card_payment_without_terminal_data_prints_method_and_amount_only() -> None:
    sale = realistic_sale()
    del sale["payments"][0]["terminal"]
    body = texts(layout_receipt(sale, store=STORE, lane_name="1", seq=1))
    assert any(t.startswith("Gegeben Karte") and t.endswith("4,53 €") for t in body)
    assert not any("Terminal-ID" in t for t in body)


@given(st.text(max_size=120), st.text(max_size=20), st.integers(10, 80))
def test_two_columns_never_exceed_the_width(left: str, right: str, width: int) -> None:
    for row in two_columns(left, right, width):
        assert len(row) <= width


def test_a_loyalty_card_prints_only_its_last_four_digits() -> None:
    sale = {**realistic_sale(), "loyalty_card": "LOYALTY-0004711"}
    body = "\n".join(texts(layout_receipt(sale, store=STORE, lane_name="1", seq=1)))
    assert "Kundenkarte ···4711" in body and "0004711" not in body
    plain = "\n".join(texts(layout_receipt(realistic_sale(), store=STORE, lane_name="1", seq=1)))
    assert "Kundenkarte" not in plain
