"""present(): what the shopper and the attendant read, from a real checkout (no window)."""

from __future__ import annotations

import pytest

from kiosk.domain import commands as c
from kiosk.domain.checkout import Checkout
from kiosk.domain.policy import Policy
from kiosk.ui.present import present
from kiosk.ui.viewmodel import MessageView
from ui.lane import ATTENDANTS, BEER, COLA, MILK, PRODUCTS, YOGHURT, Lane


@pytest.fixture()
def lane() -> Lane:
    return Lane()


def test_an_open_lane_without_a_basket_shows_the_attract_screen(lane: Lane) -> None:
    view = lane.view()
    assert (view.screen, view.store_name, view.lane_name) == ("attract", "Frischmarkt", "Kasse 3")
    assert view.can_pay is False and view.lines == ()


def test_a_closed_lane_shows_the_closed_screen() -> None:
    co = Checkout(lane_id="lane-1", policy=Policy(), attendants=ATTENDANTS)
    view = present(co, lang="de", store_name="S", lane_name="L")
    assert view.screen == "closed"


def test_basket_lines_read_like_a_german_receipt(lane: Lane) -> None:
    lane.do(c.Scan(MILK))
    lane.do(c.SetQuantity(1, 2))
    lane.do(c.Scan(COLA))
    lane.do(c.SelectItem("4011"))
    lane.do(c.Weigh(456))
    view = lane.view()
    milk, cola, pfand, bananas = view.lines
    assert view.screen == "basket"
    assert (milk.name, milk.qty_text, milk.amount_text) == ("Vollmilch 3,5 % 1 l", "2 x 1,19 €",
                                                           "2,38 €")
    assert milk.can_change_quantity is True
    assert (cola.qty_text, cola.amount_text) == ("", "1,49 €")
    assert pfand.is_deposit and (pfand.name, pfand.amount_text) == ("Pfand 0,25 €", "0,25 €")
    assert pfand.can_change_quantity is False
    # 456 g at 1,69 €/kg = 0,77064 € -> 0,77 €
    assert (bananas.qty_text, bananas.amount_text) == ("0,456 kg x 1,69 €/kg", "0,77 €")
    assert bananas.can_change_quantity is False
    assert view.total_text == "4,89 €"
    assert view.deposit_text == "0,25 €"
    assert view.item_count == 4  # 2 milk, 1 cola, bananas once; the deposit is no article
    assert [r.label for r in view.vat_rows] == ["A 19 %", "B 7 %"]
    assert (view.vat_rows[0].gross_text, view.vat_rows[0].vat_text) == ("1,74 €", "0,28 €")
    assert view.can_pay is True


def test_english_uses_english_names_and_number_formats(lane: Lane) -> None:
    lane.do(c.Scan(MILK))
    lane.do(c.SetQuantity(1, 2))
    lane.do(c.SelectItem("4011"))
    lane.do(c.Weigh(1250))
    milk, bananas = lane.view("en").lines
    assert (milk.name, milk.qty_text, milk.amount_text) == ("Whole milk 1 l", "2 x €1.19", "€2.38")
    assert (bananas.name, bananas.qty_text) == ("Bananas", "1.250 kg x €1.69/kg")


def test_a_voided_line_stays_visible_with_what_it_cost(lane: Lane) -> None:
    lane.do(c.Scan(COLA))
    lane.do(c.AttendantLogin("1001", "1234"))
    lane.do(c.RequestVoid(1))  # a logged-in attendant voids at once, deposit included
    view = lane.view()
    assert [(x.voided, x.amount_text) for x in view.lines] == [(True, "1,49 €"), (True, "0,25 €")]
    assert view.total_text == "0,00 €"
    assert view.can_pay is False
    assert view.lines[0].can_change_quantity is False


def test_an_age_check_tells_the_shopper_to_wait_and_blocks_pay(lane: Lane) -> None:
    lane.do(c.Scan(BEER))
    view = lane.view()
    (iv,) = view.interventions
    assert iv.title == "Alterskontrolle (ab 16)"
    assert iv.detail == "Bitte warten Sie auf das Personal."
    assert iv.blocks_text == "Gesperrt: Bezahlen"
    assert iv.can_clear is False
    assert view.can_pay is False
    assert view.lines[0].age_limit == 16


def test_a_logged_in_attendant_sees_which_item_and_may_clear_it(lane: Lane) -> None:
    lane.do(c.Scan(BEER))
    lane.do(c.AttendantLogin("1001", "1234"))
    view = lane.view()
    (iv,) = view.interventions
    assert view.attendant == "Anna"
    assert iv.detail == "Pils 0,5 l"
    assert iv.can_clear is True
    lane.do(c.Approve(iv.intervention_id))
    after = lane.view()
    assert after.interventions == () and after.can_pay is True


def test_a_void_request_shows_the_attendant_the_item_and_amount(lane: Lane) -> None:
    lane.do(c.Scan(MILK))
    lane.do(c.RequestVoid(1))
    shopper = lane.view()
    assert shopper.interventions[0].title == "Storno"
    assert shopper.interventions[0].blocks_text == "Gesperrt: Scannen, Bezahlen"
    lane.do(c.AttendantLogin("1001", "1234"))
    assert lane.view().interventions[0].detail == "Vollmilch 3,5 % 1 l – 1,19 €"


def test_a_help_call_blocks_nothing(lane: Lane) -> None:
    lane.do(c.Scan(MILK))
    lane.do(c.Help())
    view = lane.view("en")
    (iv,) = view.interventions
    assert iv.blocks_text == ""
    assert iv.detail == "A member of staff is on the way."
    assert view.can_pay is True


def test_loose_produce_asks_for_its_weight(lane: Lane) -> None:
    lane.do(c.SelectItem("4011"))
    view = lane.view()
    assert view.screen == "weighing"
    assert view.weighing is not None
    assert (view.weighing.product_name, view.weighing.price_per_kg_text, view.weighing.plu) == (
        "Bananen", "1,69 €/kg", "4011")
    assert view.weighing.price_per_kg_cents == 169


def test_the_produce_picker_offers_only_items_with_a_plu(lane: Lane) -> None:
    view = lane.view(produce=PRODUCTS)
    assert [(p.plu, p.name, p.price_text) for p in view.produce] == [
        ("4011", "Bananen", "1,69 €/kg"), ("4053", "Zitrone", "0,39 €")]


def test_a_multi_buy_shows_as_one_discount_row(lane: Lane) -> None:
    for _ in range(3):
        lane.do(c.Scan(YOGHURT))
    view = lane.view()
    assert [(d.label, d.amount_text) for d in view.discount_rows] == [("3 für 2", "-0,49 €")]
    assert view.total_text == "0,98 €"


def test_paying_shows_the_amount_due_and_what_to_do(lane: Lane) -> None:
    lane.do(c.Scan(MILK))
    lane.do(c.Pay())
    view = lane.view()
    assert view.screen == "paying" and view.paying is not None
    assert view.paying.amount_text == "1,19 €"
    assert view.paying.status_text.startswith("Bitte Karte vorhalten")


def test_the_thanks_screen_shows_the_finished_sale(lane: Lane) -> None:
    lane.do(c.Scan(COLA))
    lane.do(c.Pay())
    lane.do(c.PaymentResult(approved=True, amount_cents=174, reference="T1"))
    view = lane.view()
    assert view.screen == "thanks"
    assert [x.name for x in view.lines] == ["Cola 1,5 l", "Pfand 0,25 €"]
    assert view.total_text == "1,74 €"
    assert view.thanks_text == "Vielen Dank für Ihren Einkauf!"
    # ids are handed out in order: the basket, the payment attempt, then the sale (the third)
    assert view.receipt_text == "Beleg SALE0003 · 02.03.2026 09:00 · Karte"
    assert view.can_pay is False


def test_a_lost_device_puts_an_idle_lane_out_of_service_naming_it(lane: Lane) -> None:
    lane.do(c.DeviceLost("scanner", "no answer"))
    view = lane.view()
    assert view.screen == "out_of_service"
    assert view.notice_text == "Gestört: scanner"


def test_the_controllers_message_is_passed_through(lane: Lane) -> None:
    message = MessageView("error", "Artikel nicht gefunden.")
    assert lane.view(message=message).message == message


def test_only_an_attendant_is_offered_fewer_pieces_and_the_lane_actions(lane: Lane) -> None:
    lane.do(c.Scan(MILK))
    shopper = lane.view()
    assert shopper.lines[0].can_change_quantity and not shopper.lines[0].can_decrease
    assert shopper.lane_actions == ()
    lane.do(c.AttendantLogin("1001", "1234"))
    attendant = lane.view()
    assert attendant.lines[0].can_decrease
    assert attendant.lane_actions == ("cancel_basket",)


def test_the_staff_panel_flag_reaches_the_view(lane: Lane) -> None:
    assert lane.view(staff_panel=True).staff_panel
    assert not lane.view().staff_panel


def test_with_a_bagging_scale_the_shopper_is_told_which_item_to_bag_and_may_skip_if_allowed(
) -> None:
    lane = Lane(Policy(bagging=True, skip_bagging_max=1))
    lane.do(c.BaggingWeight(weight_g=0))  # the empty bagging area settles first
    lane.do(c.Scan(MILK))
    view = lane.view()
    assert view.message is not None and view.message.level == "info"
    assert view.message.text == "Bitte legen Sie „Vollmilch 3,5 % 1 l“ in den Ablagebereich."
    assert view.bag_line_id == 1 and view.can_skip_bagging
    lane.do(c.SkipBagging(line_id=1))
    after = lane.view()
    assert after.message is None and after.bag_line_id is None


def test_without_a_bagging_scale_nothing_asks_to_bag(lane: Lane) -> None:
    lane.do(c.Scan(MILK))
    view = lane.view()
    assert view.message is None and view.bag_line_id is None and not view.can_skip_bagging


def test_a_moving_weight_is_shown_but_never_priced() -> None:
    from kiosk.ui.present import weighing_view

    item = {"sku": "BAN", "names": {"de": "Bananen"}, "price_per_kg_cents": 169, "plu": "4011"}
    moving = weighing_view(item, "de", entry="scale", live_weight_g=1234, live_steady=False)
    steady = weighing_view(item, "de", entry="scale", live_weight_g=1234)
    assert moving is not None and steady is not None
    assert (moving.weight_text, moving.amount_text, moving.steady) == ("1,234 kg", "", False)
    assert (steady.weight_text, steady.amount_text, steady.steady) == ("1,234 kg", "2,09 €", True)
