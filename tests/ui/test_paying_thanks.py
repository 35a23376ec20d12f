"""Paying and thanks in a real window: the terminal's prompts big with a picture each, cancel
while it still works, the decline banner over the basket (Pay is the retry), and the receipt
choice with an e-receipt QR code that a scanner reads back from the screenshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
import zxingcpp

from kiosk.ui.intents import Cancel, ChooseReceipt, Finish, Pay
from kiosk.ui.present import (
    PAYMENT_STATUS_KINDS,
    paying_view,
    payment_failure_text,
    payment_status_text,
)
from kiosk.ui.strings import t
from kiosk.ui.viewmodel import LaneView, MessageView, PayingView
from ui import views
from ui.conftest import KioskWindow

pytestmark = pytest.mark.ui

RECEIPT_URL = "https://beleg.frischmarkt.example/r/1A2B3C4D?k=9f86d081884c7d65"
PRINTER_DOWN_DE = "Der Drucker ist gestört – nutzen Sie den E-Beleg."

GERMAN_PROMPTS = {
    "connecting": "Verbindung zum Kartenterminal …",
    "insert_card": "Bitte Karte einstecken oder vorhalten",
    "enter_pin": "Bitte PIN eingeben",
    "pin_wrong": "PIN falsch – bitte erneut eingeben",
    "wait": "Bitte warten",
    "remove_card": "Bitte Karte entnehmen",
    "approved": "Zahlung erfolgreich",
    "declined": "Zahlung abgelehnt",
    "card_unreadable": "Karte nicht lesbar",
    "aborting": "Zahlung wird abgebrochen …",
    "other": "Bitte folgen Sie den Hinweisen am Kartenterminal",
}
# What the terminal itself might display beside a status (ZVT 04 FF text), shown small.
TERMINAL_TEXTS = {"enter_pin": "Betrag 13,27 EUR  PIN eingeben", "other": "Bitte warten ..."}


def paying(kind: str, lang: str = "de") -> LaneView:
    """The paying screen as the lead's controller fills it for a terminal status `kind`."""
    view = paying_view({"amount_cents": 1327}, lang, kind=kind,
                       terminal_text=TERMINAL_TEXTS.get(kind, ""))
    return replace(views.BASKET, screen="paying", lang=lang, paying=view)


def thanks(lang: str = "de", **receipt: object) -> LaneView:
    base = views.THANKS
    if lang == "en":
        base = replace(views.english(base), thanks_text=t("thanks_title", "en"),
                       receipt_text="Receipt 0042 · 2025-03-14 14:32 · Card")
    return replace(base, **receipt)  # type: ignore[arg-type]


def decode(path: Path) -> list[zxingcpp.Barcode]:
    """QR codes a scanner finds in the screenshot at `path`."""
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    assert image is not None, path
    return [b for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]


# -- the texts (no window) -------------------------------------------------------------------


def test_every_terminal_status_has_its_german_prompt() -> None:
    assert {k: payment_status_text(k, "de") for k in PAYMENT_STATUS_KINDS} == GERMAN_PROMPTS


def test_every_terminal_status_has_an_english_prompt_of_its_own() -> None:
    english = [payment_status_text(k, "en") for k in PAYMENT_STATUS_KINDS]
    assert len(set(english)) == len(english)
    assert payment_status_text("enter_pin", "en") == "Please enter your PIN"
    assert payment_status_text("remove_card", "en") == "Please remove your card"


def test_a_status_the_window_does_not_know_asks_to_follow_the_terminal() -> None:
    assert payment_status_text("dcc_offer", "de") == GERMAN_PROMPTS["other"]


def test_the_decline_banner_says_what_went_wrong_and_what_to_do() -> None:
    assert payment_failure_text("declined", 5, "de") == (
        "Ihre Karte wurde abgelehnt. Bitte erneut versuchen oder eine andere Karte nutzen.")
    assert "nicht gelesen" in payment_failure_text("declined", 0x64, "de")
    assert "abgelaufen" in payment_failure_text("declined", 0x78, "de")
    assert "abgebrochen" in payment_failure_text("aborted", 0x6C, "de")
    assert payment_failure_text("unknown", None, "de") == (
        "Die Zahlung wird geprüft. Ein Mitarbeiter kommt.")
    assert payment_failure_text("declined", 5, "en") == (
        "Your card was declined. Please try again or use another card.")
    assert payment_failure_text("approved", 0, "de") == ""
    assert payment_failure_text("something_new", None, "en")  # never an empty banner


def test_cancel_is_offered_until_the_terminal_asks_the_bank() -> None:
    cancellable = {k for k in PAYMENT_STATUS_KINDS if paying(k).paying.can_cancel}  # type: ignore[union-attr]
    assert cancellable == {"connecting", "insert_card", "enter_pin", "pin_wrong",
                           "card_unreadable", "other"}
    assert paying("approved").paying.approved is True  # type: ignore[union-attr]


# -- paying in the window ----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("kind", PAYMENT_STATUS_KINDS)
def test_every_terminal_prompt_shows_big_with_the_amount(
    window: KioskWindow, kind: str, lang: str
) -> None:
    view = paying(kind, lang)
    assert view.paying is not None
    window.show(view)
    texts = window.texts()
    assert view.paying.status_text in texts
    assert view.paying.amount_text in texts
    prompt = window.widget(text=view.paying.status_text)["rect"]
    assert prompt[3] >= 42  # one line of >= 42 px type at 1280x800
    if kind in TERMINAL_TEXTS:
        label = ("Kartenterminal: " if lang == "de" else "Card terminal: ") + TERMINAL_TEXTS[kind]
        assert label in texts
        assert window.widget(text=label)["rect"][3] < prompt[3]  # the terminal's text is small
    assert ("cancel" in window.buttons()) is view.paying.can_cancel
    window.look(f"paying_{kind}_{lang}")


def test_cancel_sends_cancel_while_the_card_is_awaited(window: KioskWindow) -> None:
    window.show(paying("insert_card"))
    assert window.buttons()["cancel"]["text"] == "Abbrechen"
    window.tap(key="cancel")
    assert window.sent() == [Cancel()]
    window.show(paying("insert_card", "en"))
    assert window.buttons()["cancel"]["text"] == "Cancel"


def test_the_pictures_differ_in_shape_not_only_in_colour(window: KioskWindow) -> None:
    """Each picture group, in grey, differs from every other where the icon is drawn."""
    icons: dict[str, np.ndarray] = {}
    for kind in ("insert_card", "enter_pin", "pin_wrong", "wait", "remove_card", "approved",
                 "declined"):
        view = paying(kind)
        assert view.paying is not None
        window.show(view)
        x = int(window.widget(text=view.paying.status_text)["rect"][0])
        image = cv2.imread(str(window.screenshot(f"paying_icon_{kind}")), cv2.IMREAD_GRAYSCALE)
        height = image.shape[0]
        icons[kind] = image[int(height * 0.35):int(height * 0.85), :x].astype(np.int16)
    kinds = list(icons)
    for i, a in enumerate(kinds):
        for b in kinds[i + 1:]:
            assert np.abs(icons[a] - icons[b]).mean() > 2.0, (a, b)


def test_an_approval_from_an_older_controller_still_shows_the_tick(window: KioskWindow) -> None:
    window.show(views.PAID)
    assert "Zahlung erfolgreich" in window.texts()
    assert "cancel" not in window.buttons()


# -- the decline banner on the basket ------------------------------------------------------------


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_declined_card_returns_to_the_basket_with_a_banner_and_pay_retries(
    window: KioskWindow, lang: str
) -> None:
    text = payment_failure_text("declined", 5, lang)
    base = views.english(views.BASKET) if lang == "en" else views.BASKET
    window.show(replace(base, message=MessageView("error", text)))
    assert text in window.texts()
    assert window.buttons()["pay"]["disabled"] is False
    window.look(f"basket_declined_{lang}")
    window.tap(key="pay")
    assert window.sent() == [Pay()]


def test_an_unknown_outcome_tells_the_shopper_someone_comes(window: KioskWindow) -> None:
    text = payment_failure_text("unknown", None, "de")
    window.show(replace(views.BASKET, can_pay=False, message=MessageView("warning", text)))
    assert text in window.texts()
    window.look("basket_payment_unknown")


# -- thanks and the receipt choice -----------------------------------------------------------


@pytest.mark.parametrize("lang", ["de", "en"])
def test_thanks_offers_print_e_receipt_or_none_and_sends_the_choice(
    window: KioskWindow, lang: str
) -> None:
    window.show(thanks(lang, receipt_options=("print", "qr", "none")))
    buttons = window.buttons()
    names = {"de": ("Beleg drucken", "E-Beleg (QR-Code)", "Kein Beleg"),
             "en": ("Print receipt", "E-receipt (QR code)", "No receipt")}[lang]
    assert [buttons[k]["text"] for k in ("receipt_print", "receipt_qr", "receipt_none")] == \
        list(names)
    question = {"de": "Möchten Sie einen Beleg?", "en": "Would you like a receipt?"}[lang]
    assert question in window.texts()
    assert "finish" in buttons  # the next shopper need not wait for a choice
    window.look(f"thanks_receipt_choice_{lang}")
    for key in ("receipt_print", "receipt_qr", "receipt_none", "finish"):
        window.tap(key=key)
    assert window.sent() == [ChooseReceipt("print"), ChooseReceipt("qr"), ChooseReceipt("none"),
                             Finish()]


def test_without_a_printer_only_the_e_receipt_and_none_are_offered(window: KioskWindow) -> None:
    window.show(thanks(receipt_options=("qr", "none"), receipt_note=PRINTER_DOWN_DE))
    buttons = window.buttons()
    assert "receipt_print" not in buttons
    assert {"receipt_qr", "receipt_none"} <= set(buttons)
    assert PRINTER_DOWN_DE in window.texts()
    window.look("thanks_printer_down")


def test_once_printing_was_chosen_the_note_replaces_the_buttons(window: KioskWindow) -> None:
    window.show(thanks(receipt_options=("print", "qr", "none"), receipt_choice="print",
                       receipt_note="Ihr Beleg wird gedruckt."))
    assert "Ihr Beleg wird gedruckt." in window.texts()
    assert not {"receipt_print", "receipt_qr", "receipt_none"} & set(window.buttons())
    assert "Möchten Sie einen Beleg?" not in window.texts()
    window.look("thanks_printing")


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_e_receipt_qr_code_scans_back_to_its_url(window: KioskWindow, lang: str) -> None:
    window.show(thanks(lang, receipt_options=("print", "qr", "none"), receipt_choice="qr",
                       receipt_qr=RECEIPT_URL))
    hint = {"de": "Scannen Sie den Code für Ihren E-Beleg",
            "en": "Scan the code for your e-receipt"}[lang]
    assert hint in window.texts()
    assert "Brötchen" not in window.texts()  # the code stands where the summary was
    found = decode(window.look(f"thanks_qr_{lang}"))
    assert [b.text for b in found] == [RECEIPT_URL]
    # Big enough for a phone at 30 cm: over 300 px (about 5 cm on a 10" 1280x800 panel).
    pos = found[0].position
    assert pos.top_right.x - pos.top_left.x > 300


def test_no_code_is_drawn_before_the_e_receipt_was_chosen(window: KioskWindow) -> None:
    window.show(thanks(receipt_options=("print", "qr", "none")))
    assert decode(window.screenshot("thanks_before_choice")) == []
    assert "Brötchen" in window.texts()


# -- the other panels --------------------------------------------------------------------------

SIZED: dict[str, LaneView] = {
    "paying_pin_en": paying("enter_pin", "en"),
    "paying_other_de": paying("other", "de"),
    "basket_declined_de": replace(views.BASKET, message=MessageView(
        "error", payment_failure_text("declined", 0x64, "de"))),
    "thanks_choice_en": thanks("en", receipt_options=("print", "qr", "none")),
    "thanks_printer_down_de": thanks(receipt_options=("qr", "none"), receipt_note=PRINTER_DOWN_DE),
    "thanks_qr_de": thanks(receipt_options=("qr", "none"), receipt_choice="qr",
                           receipt_qr=RECEIPT_URL, receipt_note="Ihr E-Beleg ist bereit."),
}


# 1280x800 is the size every other test here runs at.
@pytest.fixture(params=[(1024, 600), (1920, 1080)], ids=["1024x600", "1920x1080"])
def sized(window: KioskWindow, request: pytest.FixtureRequest) -> Iterator[KioskWindow]:
    width, height = request.param
    window.resize(width, height)
    yield window
    window.resize(1280, 800)


@pytest.mark.slow
def test_paying_and_thanks_fit_every_panel_and_the_code_still_scans(sized: KioskWindow) -> None:
    width, height = sized.state()["window"]
    for name, view in SIZED.items():
        sized.show(view)
        if width > 1280 or height > 800:
            # The offscreen window's surface keeps its first size (1280x800): beyond it the
            # pixels read back are garbage, so the larger panel gets the layout check only.
            assert sized.layout_problems() == [], name
            continue
        shot = sized.look(f"{width}x{height}_{name}")
        if view.receipt_qr:
            assert [b.text for b in decode(shot)] == [RECEIPT_URL], name


def test_a_paying_view_without_a_terminal_status_shows_the_general_prompt() -> None:
    view = paying_view({"amount_cents": 100}, "de")
    assert view == PayingView("Bitte Karte vorhalten, einstecken oder Smartphone auflegen.",
                              "1,00 €")
