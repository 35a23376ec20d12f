"""Every fixed text of the kiosk window, in German and English.

German is the store's language and the fallback. `t(key, lang, **values)` fills `{name}` fields.
A missing key raises KeyError on purpose: a typo in a screen must fail in the UI tests, not show
an empty button to a shopper.
"""

from __future__ import annotations

_TEXTS: dict[str, tuple[str, str]] = {
    # key: (German, English)
    "lang_toggle": ("English", "Deutsch"),
    "attract_title": ("Willkommen!", "Welcome!"),
    "attract_hint": (
        "Bildschirm berühren oder ersten Artikel scannen",
        "Touch the screen or scan your first item",
    ),
    "attract_start": ("Einkauf starten", "Start shopping"),
    "pay": ("Bezahlen", "Pay"),
    "help": ("Hilfe", "Help"),
    "produce": ("Artikel ohne Barcode", "Item without barcode"),
    "total": ("Summe", "Total"),
    "items_one": ("1 Artikel", "1 item"),
    "items_many": ("{n} Artikel", "{n} items"),
    "deposit_included": ("davon Pfand", "incl. deposit"),
    "vat_title": ("MwSt.", "VAT"),
    "vat_net": ("Netto", "Net"),
    "vat_gross": ("Brutto", "Gross"),
    "empty_basket": ("Bitte scannen Sie Ihren ersten Artikel.", "Please scan your first item."),
    "voided": ("storniert", "voided"),
    "age_badge": ("ab {n}", "{n}+"),
    "back": ("Zurück", "Back"),
    "ok": ("OK", "OK"),
    "clear": ("Löschen", "Clear"),
    "weigh_title": ("Bitte Ware auf die Waage legen", "Please place the item on the scale"),
    "weigh_hint": ("Gewicht in Gramm (Demo ohne Waage)", "Weight in grams (demo without scale)"),
    "weigh_hint_simulated": (
        "Gewicht für die simulierte Waage (Demo)", "Weight for the simulated scale (demo)"),
    "weigh_live": ("Auf der Waage", "On the scale"),
    "bag_item": ("Bitte legen Sie „{name}“ in den Ablagebereich.",
                 "Please place “{name}” in the bagging area."),
    "skip_bagging": ("Nicht ablegen", "Don't bag this"),
    "weigh_put_on": ("Warte auf ein ruhiges Gewicht …", "Waiting for a steady weight …"),
    "weigh_confirm": ("Übernehmen", "Add to basket"),
    "cancel": ("Abbrechen", "Cancel"),
    "paying_title": ("Bezahlung", "Payment"),
    "paying_approved": ("Zahlung erfolgreich", "Payment approved"),
    "thanks_title": ("Vielen Dank für Ihren Einkauf!", "Thank you for shopping with us!"),
    "receipt_title": ("Ihr Einkauf", "Your purchase"),
    "finish": ("Fertig", "Done"),
    "closed_title": ("Kasse geschlossen", "Lane closed"),
    "closed_hint": ("Bitte nutzen Sie eine andere Kasse.", "Please use another lane."),
    "oos_title": ("Außer Betrieb", "Out of service"),
    "oos_hint": (
        "Das Personal ist informiert. Bitte nutzen Sie eine andere Kasse.",
        "Staff have been told. Please use another lane.",
    ),
    "wait_staff": (
        "Bitte warten Sie – das Personal kommt gleich.",
        "Please wait – a member of staff is on the way.",
    ),
    "staff_only": ("Nur für Personal", "Staff only"),
    "staff": ("Personal", "Staff"),
    "close_panel": ("Schließen", "Close"),
    "no_interventions": ("Keine offenen Meldungen.", "No open interventions."),
    "open_lane": ("Kasse öffnen", "Open lane"),
    "close_lane": ("Kasse schließen", "Close lane"),
    "cancel_basket": ("Einkauf abbrechen", "Cancel this sale"),
    "attendant_id": ("Personalnummer", "Staff number"),
    "pin": ("PIN", "PIN"),
    "login": ("Anmelden", "Log in"),
    "logout": ("Abmelden", "Log out"),
    "logged_in_as": ("Personal: {name}", "Staff: {name}"),
    "approve": ("Freigeben", "Approve"),
    "reject": ("Ablehnen", "Reject"),
    "not_allowed": ("Keine Berechtigung", "Not permitted"),
    "typed": ("Eingabe: {code}", "Input: {code}"),
    "vat_label": ("{letter} {percent} %", "{letter} {percent} %"),
    "per_kg": ("{price}/kg", "{price}/kg"),
    "discount": ("Rabatt", "Discount"),
    "error_generic": (
        "Das hat nicht geklappt. Bitte wenden Sie sich an das Personal.",
        "That did not work. Please ask a member of staff.",
    ),
    "pay_prompt": (
        "Bitte Karte vorhalten, einstecken oder Smartphone auflegen.",
        "Please tap or insert your card, or hold your phone to the reader.",
    ),
    "receipt_no": ("Beleg {number}", "Receipt {number}"),
    "method_card": ("Karte", "Card"),
    "device_faults": ("Gestört: {devices}", "Not working: {devices}"),
    # Interventions (titles come from kiosk.domain.interventions): what the shopper should do,
    # what the attendant needs to know, what is blocked.
    "iv_quantity_evidence": (
        "{name}: {quantity} Stück (erlaubt: {limit})",
        "{name}: {quantity} pieces (limit {limit})",
    ),
    "iv_bagging_evidence": (
        "{name} erwartet {expected} g ({low}–{high} g), Änderung {delta:+d} g, Waage {observed} g",
        "{name} expected {expected} g ({low}–{high} g), change {delta:+d} g, scale {observed} g",
    ),
    "iv_bagging_change": (
        "Änderung {delta:+d} g (Waage {observed} g, vorher {baseline} g)",
        "Change {delta:+d} g (scale {observed} g, before {baseline} g)",
    ),
    "iv_age_check_detail": (
        "Bitte warten Sie auf das Personal.",
        "Please wait for a member of staff.",
    ),
    "iv_void_approval_detail": (
        "Das Personal bestätigt das Entfernen.",
        "A member of staff will confirm the removal.",
    ),
    "iv_quantity_limit_detail": (
        "Diese Menge muss das Personal freigeben.",
        "A member of staff must approve this quantity.",
    ),
    "iv_help_detail": (
        "Das Personal kommt gleich zu Ihnen.",
        "A member of staff is on the way.",
    ),
    "iv_device_fault_detail": (
        "Ein Gerät der Kasse antwortet nicht.",
        "A device of this lane does not respond.",
    ),
    "iv_unexpected_item_detail": (
        "Bitte legen Sie nur gescannte Artikel in den Ablagebereich.",
        "Please only place scanned items in the bagging area.",
    ),
    "iv_item_removed_detail": (
        "Bitte legen Sie den Artikel zurück in den Ablagebereich.",
        "Please put the item back in the bagging area.",
    ),
    "iv_weight_not_placed_detail": (
        "Bitte legen Sie den Artikel in den Ablagebereich.",
        "Please place the item in the bagging area.",
    ),
    "iv_weight_mismatch_detail": (
        "Das Gewicht passt nicht zum Artikel. Bitte warten Sie auf das Personal.",
        "The weight does not match the item. Please wait for a member of staff.",
    ),
    "iv_payment_failed_detail": (
        "Die Zahlung wurde nicht ausgeführt. Bitte warten Sie auf das Personal.",
        "The payment did not go through. Please wait for a member of staff.",
    ),
    "blocks_scan": ("Scannen", "scanning"),
    "blocks_pay": ("Bezahlen", "payment"),
    "blocks_prefix": ("Gesperrt: {what}", "Paused: {what}"),
    # The "item without barcode" lookup; "category:<catalog name>" translates a category.
    "lookup_title": ("Artikel ohne Barcode", "Item without barcode"),
    "lookup_search": ("Suchen: Name oder PLU", "Search: name or PLU"),
    "lookup_none": ("Nichts gefunden. Bitte anders schreiben oder das Personal fragen.",
                    "Nothing found. Try another spelling or ask a member of staff."),
    "lookup_count": ("{n} Artikel", "{n} items"),
    "lookup_other": ("Sonstiges", "Other"),
    "category:Obst & Gemüse": ("Obst & Gemüse", "Fruit & veg"),
    "category:Backwaren": ("Backwaren", "Bakery"),
    "category:Non-Food": ("Non-Food", "Non-food"),
    "category:Käsetheke": ("Käsetheke", "Cheese counter"),
    "category:Fleisch & Wurst": ("Fleisch & Wurst", "Meat & sausage"),
    # Attendant panel: device status and the upload queue.
    "panel_devices": ("Geräte", "Devices"),
    "device_online": ("in Betrieb", "online"),
    "device_offline": ("getrennt", "offline"),
    "device_outages_one": ("1 Ausfall", "1 outage"),
    "device_outages_many": ("{n} Ausfälle", "{n} outages"),
    "device:scanner": ("Scanner", "Scanner"),
    "device:wedge": ("Handscanner", "Hand scanner"),
    "device:scale": ("Waage", "Scale"),
    "device:bagging": ("Ablagewaage", "Bagging scale"),
    "device:camera": ("Kamera", "Camera"),
    "no_devices": ("Keine Geräte überwacht", "No devices supervised"),
    "panel_upload": ("Upload", "Upload"),
    "upload_done": ("Alle Verkäufe hochgeladen", "All sales uploaded"),
    "upload_pending_one": ("1 Verkauf wartet, seit {age}", "1 sale waiting, for {age}"),
    "upload_pending": ("{n} Verkäufe warten, ältester seit {age}",
                       "{n} sales waiting, oldest for {age}"),
    "upload_error": ("Letzter Fehler: {error}", "Last error: {error}"),
    # No-break spaces: "12 Min." never wraps between number and unit.
    "age_s": ("{n}\u00a0s", "{n}\u00a0s"),
    "age_min": ("{n}\u00a0Min.", "{n}\u00a0min"),
    "age_h": ("{h}\u00a0Std. {m}\u00a0Min.", "{h}\u00a0h {m}\u00a0min"),
}

LANGS = ("de", "en")


def t(key: str, lang: str = "de", **values: object) -> str:
    """The text for `key` in `lang` ("de" or "en"; anything else gets German), with `values`
    filled into its `{name}` fields.
    """
    german, english = _TEXTS[key]
    text = english if lang == "en" else german
    return text.format(**values) if values else text


def both(key: str) -> tuple[str, str]:
    """The German and the English text for `key`, unfilled."""
    return _TEXTS[key]


def has(key: str) -> bool:
    """Whether `key` is in the table (for texts looked up by a domain value, e.g. a reason)."""
    return key in _TEXTS


def keys() -> tuple[str, ...]:
    """All keys, for the test that every text exists in both languages."""
    return tuple(_TEXTS)
