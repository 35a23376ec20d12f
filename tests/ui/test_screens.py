"""Every screen drawn in a real window: what it shows, what its buttons send, and a screenshot
(tests/ui/screenshots/<name>.png) for a person to look at.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.domain import commands as c
from kiosk.ui.intents import (
    Approve,
    AttendantLogout,
    AttendantPin,
    Cancel,
    Finish,
    Help,
    Pay,
    Reject,
    SelectItem,
    Start,
    WeightEntered,
)
from ui import views
from ui.conftest import KioskWindow
from ui.lane import BEER, COLA, MILK, PRODUCTS, Lane

pytestmark = pytest.mark.ui


def test_the_attract_screen_welcomes_and_a_touch_starts(window: KioskWindow) -> None:
    window.show(views.ATTRACT)
    texts = window.texts()
    assert {"Frischmarkt Südstadt", "Willkommen!", "Einkauf starten"} <= set(texts)
    assert "Bildschirm berühren oder ersten Artikel scannen" in texts
    window.look("attract")
    window.tap(text="Willkommen!")
    assert window.sent() == [Start()]


def test_the_basket_shows_lines_totals_vat_and_the_big_buttons(window: KioskWindow) -> None:
    window.show(views.BASKET)
    texts = window.texts()
    for expected in ("Vollmilch 3,5 % 1 l", "2 x 1,29 €", "2,58 €", "Pfand", "Äpfel Braeburn",
                     "0,456 kg x 2,99 €/kg", "ab 16", "storniert", "Summe", "13,27 €",
                     "11 Artikel", "MwSt. A 19 %", "1,23 €", "davon Pfand", "3 für 2 Brötchen",
                     "-0,35 €", "Bezahlen", "Hilfe", "Artikel ohne Barcode"):
        assert expected in texts, expected
    buttons = window.buttons()
    assert buttons["pay"]["disabled"] is False
    window.look("basket")


def test_only_active_articles_get_quantity_and_remove_buttons(window: KioskWindow) -> None:
    window.show(views.BASKET)
    keys = [b["key"] for b in window.call("buttons")]
    # 7 lines: the deposit and the voided line get none; weighed apples can only be removed.
    assert keys.count("remove") == 5
    assert keys.count("more") == 4


def test_an_empty_basket_invites_the_first_scan_and_cannot_be_paid(window: KioskWindow) -> None:
    window.show(views.EMPTY_BASKET)
    assert "Bitte scannen Sie Ihren ersten Artikel." in window.texts()
    assert window.buttons()["pay"]["disabled"] is True
    window.tap(key="pay")
    assert window.sent() == []
    window.look("basket_empty")


def test_an_error_shows_as_a_red_banner_over_the_basket(window: KioskWindow) -> None:
    window.show(views.NOT_FOUND)
    assert "Artikel nicht gefunden. Bitte wenden Sie sich an das Personal." in window.texts()
    window.look("basket_not_found")


def test_the_english_basket_is_english_throughout(window: KioskWindow) -> None:
    window.show(views.english(views.BASKET))
    texts = window.texts()
    assert {"Pay", "Help", "Total", "Item without barcode", "Deutsch", "11 items",
            "incl. deposit"} <= set(texts)
    assert "Bezahlen" not in texts
    window.look("basket_en")


def test_pay_and_help_send_their_intents(window: KioskWindow) -> None:
    window.show(views.BASKET)
    window.tap(key="pay")
    window.tap(key="help")
    assert window.sent() == [Pay(), Help()]


def test_the_produce_picker_selects_by_tile_or_by_plu(window: KioskWindow) -> None:
    # One category: the lookup opens straight on its tiles (more in test_produce.py).
    window.show(views.BASKET)
    window.tap(key="produce")
    assert "Artikel ohne Barcode" in window.texts()
    window.look("produce_picker")
    window.tap(text="Bananen\n1,99 €/kg")
    window.tap(key="lookup_search")
    for digit in "4131":
        window.tap(key=f"osk_{digit}")
    window.tap(key="4131")
    assert window.sent() == [SelectItem("4011"), SelectItem("4131")]
    window.tap(key="produce_back")
    window.tap(key="produce_back")
    assert "Vollmilch 3,5 % 1 l" in window.texts()


def test_an_age_check_covers_the_basket_so_pay_cannot_be_pressed(window: KioskWindow) -> None:
    window.show(views.AGE_CHECK)
    texts = window.texts()
    assert {"Alterskontrolle: ab 16", "Bitte warten Sie auf das Personal.", "Gesperrt: Bezahlen",
            "Nur für Personal", "Personalnummer", "PIN"} <= set(texts)
    assert "Bitte warten Sie – das Personal kommt gleich." in texts
    window.look("overlay_age_check")
    window.tap(key="help")  # the shopper's Help button lies under the overlay
    assert window.sent() == []
    assert window.state()["overlay"] is True


def test_an_attendant_logs_in_with_number_and_pin_on_the_pad(window: KioskWindow) -> None:
    window.show(views.AGE_CHECK)
    for digit in "1001":
        window.tap(key=digit)
    window.tap(key="login")  # on to the PIN field
    for digit in "2468":
        window.tap(key=digit)
    texts = window.texts()
    assert "1001" in texts and "●●●●" in texts and "2468" not in texts  # the PIN is masked
    window.look("overlay_pin_entry")
    window.tap(key="login")
    assert window.sent() == [AttendantPin("1001", "2468")]
    assert "●●●●" not in window.texts()  # a sent PIN is forgotten at once


def test_a_logged_in_attendant_approves_rejects_and_logs_out(window: KioskWindow) -> None:
    window.show(views.AGE_CHECK_STAFF)
    texts = window.texts()
    assert {"Personal: Anna", "Weißwein Grauburgunder 0,75 l", "Keine Berechtigung"} <= set(texts)
    window.look("overlay_attendant")
    window.tap(key="approve", index=0)
    window.tap(key="reject", index=0)
    window.tap(key="approve", index=1)  # this one is not hers to clear: disabled
    window.tap(key="logout")
    assert window.sent() == [Approve("iv-1"), Reject("iv-1"), AttendantLogout()]


def test_weighing_takes_grams_from_the_pad_and_previews_the_price(window: KioskWindow) -> None:
    window.show(views.WEIGHING)
    assert {"Äpfel Braeburn", "2,99 €/kg   ·   PLU 4131", "0 g"} <= set(window.texts())
    assert window.buttons()["weigh_ok"]["disabled"] is True
    for digit in "456":
        window.tap(key=digit)
    texts = window.texts()
    assert "456 g" in texts
    assert "0,456 kg = 1,36 €" in texts  # 456 g x 2,99 €/kg = 1,36344 €
    window.look("weighing")
    window.tap(key="weigh_ok")
    window.tap(key="cancel")
    assert window.sent() == [WeightEntered(456), Cancel()]


def test_paying_shows_the_amount_and_then_the_approval(window: KioskWindow) -> None:
    window.show(views.PAYING)
    texts = window.texts()
    assert {"13,27 €", "Bitte Karte vorhalten, einstecken oder Smartphone auflegen."} <= set(texts)
    window.look("paying")
    window.tap(key="cancel")
    assert window.sent() == [Cancel()]
    window.show(views.PAID)
    assert "Zahlung erfolgreich" in window.texts()
    assert "cancel" not in window.buttons()
    window.look("paid")


def test_thanks_shows_the_receipt_without_voided_lines_and_done(window: KioskWindow) -> None:
    window.show(views.THANKS)
    texts = window.texts()
    assert {"Vielen Dank für Ihren Einkauf!", "Summe  13,27 €",
            "Beleg 0042 · 14.03.2025 14:32 · Girocard", "Brötchen"} <= set(texts)
    assert "Schokolade Zartbitter" not in texts
    assert "remove" not in window.buttons()
    window.look("thanks")
    window.tap(key="finish")
    assert window.sent() == [Finish()]


def test_closed_and_out_of_service_say_so_and_what_to_do(window: KioskWindow) -> None:
    window.show(views.CLOSED)
    assert {"Kasse geschlossen", "Bitte nutzen Sie eine andere Kasse."} <= set(window.texts())
    window.look("closed")
    window.show(views.OUT_OF_SERVICE)
    assert {"Außer Betrieb", "Der Kartenleser antwortet nicht."} <= set(window.texts())
    window.look("out_of_service")
    window.show(replace(views.english(views.OUT_OF_SERVICE), notice_text=""))
    assert "Out of service" in window.texts()


def test_a_real_checkout_presented_in_english_draws_cleanly(window: KioskWindow) -> None:
    lane = Lane()
    lane.do(c.Scan(MILK))
    lane.do(c.SetQuantity(1, 2))
    lane.do(c.Scan(COLA))
    lane.do(c.SelectItem("4011"))
    lane.do(c.Weigh(456))
    lane.do(c.Scan(BEER))
    window.show(lane.view("en", produce=PRODUCTS))
    texts = window.texts()
    assert {"Age check (16+)", "Please wait for a member of staff.", "Paused: payment",
            "Staff only"} <= set(texts)
    window.look("checkout_en_age_check")
    lane.do(c.AttendantLogin("1001", "1234"))
    window.show(lane.view("en", produce=PRODUCTS))
    assert {"Staff: Anna", "Pilsner 0.5 l", "Approve", "Reject"} <= set(window.texts())
    window.tap(key="approve")
    assert window.sent() == [Approve(lane.co.interventions[0].intervention_id)]
    lane.do(c.Approve(lane.co.interventions[0].intervention_id))
    window.show(lane.view("en", produce=PRODUCTS))
    texts = window.texts()
    for expected in ("Whole milk 1 l", "2 x €1.19", "€2.38", "Deposit €0.25",
                     "0.456 kg x €1.69/kg", "Total", "€5.88", "5 items", "VAT A 19 %"):
        assert expected in texts, expected
    assert window.buttons()["pay"]["disabled"] is False
    window.look("checkout_en_basket")


def test_with_a_real_scale_the_weighing_screen_shows_the_live_weight_and_takes_no_typing(
    window: KioskWindow,
) -> None:
    assert views.WEIGHING.weighing is not None
    on_scale = replace(views.WEIGHING, weighing=replace(
        views.WEIGHING.weighing, entry="scale", weight_text="0,612 kg", amount_text="1,83 €"))
    window.show(on_scale)
    texts = window.texts()
    assert "Auf der Waage" in texts
    assert "0,612 kg = 1,83 €" in texts
    assert "weigh_ok" not in window.buttons()  # a legal weight is read, never typed
    window.look("weighing_scale")
    waiting = replace(on_scale, weighing=replace(on_scale.weighing, weight_text="",
                                                 amount_text=""))
    window.show(waiting)
    assert "Warte auf ein ruhiges Gewicht …" in window.texts()
    moving = replace(on_scale, weighing=replace(on_scale.weighing, weight_text="0,640 kg",
                                                amount_text="", steady=False))
    window.show(moving)
    texts = window.texts()
    assert "0,640 kg" in texts and "Bitte warten – die Waage wiegt …" in texts
    assert not any("€" in text and "kg =" in text for text in texts)  # no price while moving
    window.look("weighing_scale_moving")


def test_the_bagging_prompt_shows_and_skip_bagging_sends_its_line(window: KioskWindow) -> None:
    from kiosk.ui.intents import SkipBagging
    from kiosk.ui.viewmodel import MessageView

    waiting = replace(
        views.BASKET, bag_line_id=7, can_skip_bagging=True,
        message=MessageView("info", "Bitte legen Sie „Brötchen“ in den Ablagebereich."))
    window.show(waiting)
    assert "Bitte legen Sie „Brötchen“ in den Ablagebereich." in window.texts()
    window.look("basket_bagging_prompt")
    window.tap(key="skip_bagging")
    assert window.sent() == [SkipBagging(7)]
    window.show(views.BASKET)
    assert "skip_bagging" not in window.buttons()


def test_a_camera_preview_appears_in_the_header_so_the_shopper_sees_where_to_hold_a_code(
    window: KioskWindow,
) -> None:
    window.show(views.BASKET)
    assert window.call("preview", width=320, height=180) is True
    window.look("basket_camera_preview")


def test_basket_lines_show_the_products_picture_or_its_initials(window: KioskWindow,
                                                                tmp_path: Path) -> None:
    import cv2
    import numpy as np

    picture = tmp_path / "milk.png"
    cv2.imwrite(str(picture), np.full((64, 64, 3), (0, 0, 255), np.uint8))  # pure red (BGR)
    milk, *rest = views.BASKET.lines
    window.show(replace(views.BASKET, lines=(replace(milk, image=str(picture)), *rest)))
    texts = window.texts()
    assert "ÄB" in texts  # Äpfel Braeburn has no picture: its initials on a tile
    assert "V3" not in texts  # the milk shows its picture instead of "V3"
    shot = cv2.imread(str(window.look("basket_pictures")))
    red = (shot[:, :, 2] > 200) & (shot[:, :, 1] < 60) & (shot[:, :, 0] < 60)
    assert red.sum() > 1500  # the picture is drawn (about 60 x 60 px at this size)
