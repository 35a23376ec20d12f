"""Representative views the UI tests draw: what present() would produce for a real basket."""

from __future__ import annotations

from dataclasses import replace

from kiosk.ui.viewmodel import (
    DiscountRowView,
    InterventionView,
    LaneView,
    LineView,
    MessageView,
    PayingView,
    ProduceView,
    VatRowView,
    WeighingView,
)

STORE = "Frischmarkt Südstadt"
LANE = "Kasse 3"

PRODUCE = (
    ProduceView("4011", "Bananen", "1,99 €/kg"),
    ProduceView("4131", "Äpfel Braeburn", "2,99 €/kg"),
    ProduceView("4087", "Tomaten", "3,49 €/kg"),
    ProduceView("4062", "Gurke", "0,79 €/kg"),
    ProduceView("4046", "Avocado", "5,99 €/kg"),
    ProduceView("4225", "Kartoffeln festkochend", "1,49 €/kg"),
)

# The lookup as present() builds it from a catalog with three categories (German and English).
PRODUCE_LOOKUP = (
    ProduceView("4011", "Bananen", "1,69 €/kg", "Obst & Gemüse"),
    ProduceView("4131", "Äpfel Fuji", "3,29 €/kg", "Obst & Gemüse"),
    ProduceView("4135", "Äpfel Gala", "2,79 €/kg", "Obst & Gemüse"),
    ProduceView("4022", "Weintrauben hell, kernlos", "4,49 €/kg", "Obst & Gemüse"),
    ProduceView("4072", "Kartoffeln, mehligkochend", "1,49 €/kg", "Obst & Gemüse"),
    ProduceView("4645", "Champignons weiß, lose", "5,99 €/kg", "Obst & Gemüse"),
    ProduceView("4664", "Rispentomaten", "3,99 €/kg", "Obst & Gemüse"),
    ProduceView("4053", "Zitrone", "0,55 €", "Obst & Gemüse"),
    ProduceView("4046", "Avocado Hass", "1,39 €", "Obst & Gemüse"),
    ProduceView("101", "Brötchen", "0,29 €", "Backwaren"),
    ProduceView("102", "Körnerbrötchen", "0,49 €", "Backwaren"),
    ProduceView("103", "Laugenbrezel", "0,59 €", "Backwaren"),
    ProduceView("900", "Tragetasche aus Papier", "0,30 €", "Non-Food"),
)
PRODUCE_LOOKUP_EN = (
    ProduceView("4011", "Bananas", "€1.69/kg", "Fruit & veg"),
    ProduceView("4131", "Fuji apples", "€3.29/kg", "Fruit & veg"),
    ProduceView("4135", "Gala apples", "€2.79/kg", "Fruit & veg"),
    ProduceView("4022", "Green seedless grapes", "€4.49/kg", "Fruit & veg"),
    ProduceView("4072", "Floury potatoes", "€1.49/kg", "Fruit & veg"),
    ProduceView("4645", "White mushrooms, loose", "€5.99/kg", "Fruit & veg"),
    ProduceView("4664", "Vine tomatoes", "€3.99/kg", "Fruit & veg"),
    ProduceView("4053", "Lemon", "€0.55", "Fruit & veg"),
    ProduceView("4046", "Hass avocado", "€1.39", "Fruit & veg"),
    ProduceView("101", "Bread roll", "€0.29", "Bakery"),
    ProduceView("102", "Seeded roll", "€0.49", "Bakery"),
    ProduceView("103", "Pretzel", "€0.59", "Bakery"),
    ProduceView("900", "Paper carrier bag", "€0.30", "Non-food"),
)

LINES = (
    LineView(1, "Vollmilch 3,5 % 1 l", "2 x 1,29 €", "1,29 €", "2,58 €", quantity=2,
             can_change_quantity=True),
    LineView(2, "Mineralwasser still 1,5 l", "", "0,49 €", "0,49 €", can_change_quantity=True),
    LineView(3, "Pfand", "", "0,25 €", "0,25 €", is_deposit=True),
    LineView(4, "Äpfel Braeburn", "0,456 kg x 2,99 €/kg", "2,99 €/kg", "1,36 €"),
    LineView(5, "Weißwein Grauburgunder 0,75 l", "", "6,99 €", "6,99 €", age_limit=16,
             can_change_quantity=True),
    LineView(6, "Schokolade Zartbitter", "", "1,79 €", "1,79 €", voided=True),
    LineView(7, "Brötchen", "6 x 0,35 €", "0,35 €", "2,10 €", quantity=6,
             can_change_quantity=True),
)

VAT_ROWS = (
    VatRowView("A 19 %", "6,49 €", "1,23 €", "7,72 €"),
    VatRowView("B 7 %", "5,62 €", "0,39 €", "6,01 €"),
)

BASKET = LaneView(
    screen="basket", lang="de", store_name=STORE, lane_name=LANE, lines=LINES,
    total_text="13,27 €", item_count=11, vat_rows=VAT_ROWS,
    discount_rows=(DiscountRowView("3 für 2 Brötchen", "-0,35 €"),),
    deposit_text="0,25 €", can_pay=True, produce=PRODUCE,
)

EMPTY_BASKET = LaneView(
    screen="basket", store_name=STORE, lane_name=LANE, total_text="0,00 €", produce=PRODUCE,
)

NOT_FOUND = replace(
    BASKET,
    message=MessageView(
        "error", "Artikel nicht gefunden. Bitte wenden Sie sich an das Personal."
    ),
)

ATTRACT = LaneView(screen="attract", store_name=STORE, lane_name=LANE)

AGE_CHECK = replace(
    BASKET,
    can_pay=False,
    interventions=(
        InterventionView("iv-1", "Alterskontrolle: ab 16",
                         "Bitte warten Sie auf das Personal.", "Gesperrt: Bezahlen"),
    ),
)

AGE_CHECK_STAFF = replace(
    AGE_CHECK,
    attendant="Anna",
    interventions=(
        InterventionView("iv-1", "Alterskontrolle: ab 16", "Weißwein Grauburgunder 0,75 l",
                         "Gesperrt: Bezahlen", can_clear=True),
        InterventionView("iv-2", "Storno", "Schokolade Zartbitter – 1,79 €",
                         "Gesperrt: Bezahlen", can_clear=False),
    ),
)

WEIGHING = replace(
    BASKET, screen="weighing",
    weighing=WeighingView("4131", "Äpfel Braeburn", "2,99 €/kg", 299),
)

PAYING = replace(
    BASKET, screen="paying",
    paying=PayingView("Bitte Karte vorhalten, einstecken oder Smartphone auflegen.", "13,27 €"),
)

PAID = replace(PAYING, paying=PayingView("", "13,27 €", approved=True, can_cancel=False))

THANKS = replace(
    BASKET, screen="thanks", can_pay=False,
    thanks_text="Vielen Dank für Ihren Einkauf!",
    receipt_text="Beleg 0042 · 14.03.2025 14:32 · Girocard",
)

CLOSED = LaneView(screen="closed", store_name=STORE, lane_name=LANE)

OUT_OF_SERVICE = LaneView(
    screen="out_of_service", store_name=STORE, lane_name=LANE,
    notice_text="Der Kartenleser antwortet nicht.",
)


def english(view: LaneView) -> LaneView:
    return replace(view, lang="en")


def with_decrease(view: LaneView) -> LaneView:
    """`view` with the - button offered on every changeable line (as for an attendant)."""
    lines = tuple(replace(x, can_decrease=x.can_change_quantity) for x in view.lines)
    return replace(view, lines=lines)


LOOKUP = replace(BASKET, produce=PRODUCE_LOOKUP)
LOOKUP_EN = replace(BASKET, lang="en", produce=PRODUCE_LOOKUP_EN)
