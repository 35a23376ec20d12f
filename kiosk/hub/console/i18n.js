// The console's words, German first (the first market), English on the switch.
// Intervention reasons come from the lane itself (text_de / text_en); REASONS is the fallback.

export const TEXTS = {
  de: {
    title: "Konsole", logout: "Abmelden", sound_on: "Ton einschalten", lang_switch: "English",
    login_title: "Anmelden", attendant_id: "Personalnummer", pin: "PIN", login: "Anmelden",
    badge: "Ausweis scannen", login_badge: "Mit Ausweis anmelden",
    sound_hint: "Nach der Anmeldung meldet ein Ton jeden neuen Eingriff (der Browser spielt "
      + "Töne erst nach einem Klick).",
    login_wrong: "Falsche Personalnummer oder PIN.",
    login_locked: "Zu viele Fehlversuche: gesperrt bis {time}.",
    login_missing: "Bitte Personalnummer und PIN eingeben.",
    login_failed: "Anmeldung nicht möglich: {reason}",
    hub_unreachable: "Hub nicht erreichbar – bitte Netzwerk prüfen.",
    queue_title: "Offene Eingriffe", queue_empty: "Keine offenen Eingriffe.",
    lanes_title: "Kassen", lanes_empty: "Noch keine Kasse verbunden.",
    conn_lost: "Verbindung zum Hub verloren – neu verbinden …",
    role_attendant: "Personal", role_supervisor: "Aufsicht",
    st_idle: "Frei", st_in_transaction: "Kauf läuft", st_help: "Hilfe",
    st_intervention: "Eingriff nötig", st_fault: "Störung", st_out_of_service: "Außer Betrieb",
    st_closed: "Geschlossen", st_offline: "Offline seit {time}", st_offline_never: "Offline",
    items: "{n} Artikel", items_one: "1 Artikel", basket_empty: "Kein Einkauf",
    upload_pending: "{n} Verkäufe warten auf den Hub, ältester seit {age}",
    upload_pending_one: "1 Verkauf wartet auf den Hub, seit {age}",
    upload_quarantined: "{n} vom Hub abgelehnt (im Büro klären)",
    upload_error: "Upload: {error}",
    faults: "Gestört: {devices}",
    at_lane: "{name} ist an der Kasse",
    since: "seit {age}",
    approve: "Freigeben", reject: "Ablehnen", confirm_age: "Alter bestätigt",
    void_line: "Stornieren", cancel_basket: "Einkauf abbrechen",
    close_lane: "Kasse schließen", open_lane: "Kasse öffnen",
    show: "Zeigen", needs_supervisor: "Freigabe nur durch die Aufsicht.",
    ask_reject: "{lane}: „{reason}“ ablehnen?", yes_reject: "Ja, ablehnen",
    ask_cancel: "{lane}: den ganzen Einkauf ({total}) abbrechen?", yes_cancel: "Ja, abbrechen",
    ask_void: "{lane}: „{name}“ stornieren?", yes_void: "Ja, stornieren",
    back: "Zurück",
    busy: "wird gesendet …",
    res_applied: "{what}: erledigt",
    res_duplicate: "{what}: war schon erledigt",
    res_refused: "{what}: von der Kasse abgelehnt – {reason}",
    res_offline: "{lane} ist offline – bitte zur Kasse gehen",
    res_timeout: "{what}: keine Antwort – bitte an der Kasse prüfen",
    res_forbidden: "{what}: nicht erlaubt – {reason}",
    res_error: "{what}: nicht möglich – {reason}",
    new_iv: "Neuer Eingriff: {lane} – {reason}",
    ev_age: "ab {age} Jahren: {name}",
    ev_expected: "{name} erwartet {expected} g, gewogen {weighed} g",
    ev_change: "Änderung {delta} g (Waage {observed} g)",
    ev_void: "Storno: {name} ({amount})",
    ev_quantity: "{name}: {quantity} Stück (erlaubt: {limit})",
    ev_help_button: "Hilfe-Taste gedrückt",
    ev_help_idle: "Keine Eingabe seit {n} s",
    ev_line: "Position {n}",
    dev_scanner: "Scanner", dev_wedge: "Handscanner", dev_scale: "Waage",
    dev_bagging: "Ablagewaage", dev_camera: "Kamera", dev_printer: "Belegdrucker",
    dev_terminal: "Kartenterminal",
    age_min: "{m}:{s} min", age_h: "{h} Std. {m} Min.",
  },
  en: {
    title: "Console", logout: "Log out", sound_on: "Turn sound on", lang_switch: "Deutsch",
    login_title: "Log in", attendant_id: "Staff number", pin: "PIN", login: "Log in",
    badge: "Scan badge", login_badge: "Log in with badge",
    sound_hint: "After login a sound announces every new intervention (the browser plays "
      + "sound only after a click).",
    login_wrong: "Wrong staff number or PIN.",
    login_locked: "Too many failed attempts: locked until {time}.",
    login_missing: "Please enter staff number and PIN.",
    login_failed: "Cannot log in: {reason}",
    hub_unreachable: "Hub not reachable – please check the network.",
    queue_title: "Open interventions", queue_empty: "No open interventions.",
    lanes_title: "Lanes", lanes_empty: "No lane connected yet.",
    conn_lost: "Connection to the hub lost – reconnecting …",
    role_attendant: "Attendant", role_supervisor: "Supervisor",
    st_idle: "Free", st_in_transaction: "Checkout running", st_help: "Help",
    st_intervention: "Intervention needed", st_fault: "Fault", st_out_of_service: "Out of service",
    st_closed: "Closed", st_offline: "Offline since {time}", st_offline_never: "Offline",
    items: "{n} items", items_one: "1 item", basket_empty: "No basket",
    upload_pending: "{n} sales waiting for the hub, oldest for {age}",
    upload_pending_one: "1 sale waiting for the hub, for {age}",
    upload_quarantined: "{n} refused by the hub (settle in the office)",
    upload_error: "Upload: {error}",
    faults: "Faulty: {devices}",
    at_lane: "{name} is at the lane",
    since: "for {age}",
    approve: "Approve", reject: "Reject", confirm_age: "Age confirmed",
    void_line: "Void", cancel_basket: "Cancel basket",
    close_lane: "Close lane", open_lane: "Open lane",
    show: "Show", needs_supervisor: "Only a supervisor may clear this.",
    ask_reject: "{lane}: reject “{reason}”?", yes_reject: "Yes, reject",
    ask_cancel: "{lane}: cancel the whole basket ({total})?", yes_cancel: "Yes, cancel",
    ask_void: "{lane}: void “{name}”?", yes_void: "Yes, void",
    back: "Back",
    busy: "sending …",
    res_applied: "{what}: done",
    res_duplicate: "{what}: was already done",
    res_refused: "{what}: refused by the lane – {reason}",
    res_offline: "{lane} is offline – please go to the lane",
    res_timeout: "{what}: no answer – please check at the lane",
    res_forbidden: "{what}: not allowed – {reason}",
    res_error: "{what}: not possible – {reason}",
    new_iv: "New intervention: {lane} – {reason}",
    ev_age: "age {age}+: {name}",
    ev_expected: "{name} expected {expected} g, weighed {weighed} g",
    ev_change: "change {delta} g (scale {observed} g)",
    ev_void: "Void: {name} ({amount})",
    ev_quantity: "{name}: {quantity} pieces (allowed: {limit})",
    ev_help_button: "Help button pressed",
    ev_help_idle: "No input for {n} s",
    ev_line: "line {n}",
    dev_scanner: "Scanner", dev_wedge: "Hand scanner", dev_scale: "Scale",
    dev_bagging: "Bagging scale", dev_camera: "Camera", dev_printer: "Receipt printer",
    dev_terminal: "Card terminal",
    age_min: "{m}:{s} min", age_h: "{h} h {m} min",
  },
};

export const REASONS = {
  de: {
    age_check: "Alterskontrolle", void_approval: "Storno freigeben",
    quantity_limit: "Mengengrenze", help: "Hilfe gerufen", device_fault: "Gerätestörung",
    unexpected_item: "Unerwarteter Artikel", item_removed: "Artikel entfernt",
    weight_not_placed: "Artikel nicht abgelegt", weight_mismatch: "Gewicht passt nicht",
    payment_failed: "Zahlung fehlgeschlagen",
  },
  en: {
    age_check: "Age check", void_approval: "Approve void", quantity_limit: "Quantity limit",
    help: "Help requested", device_fault: "Device fault", unexpected_item: "Unexpected item",
    item_removed: "Item removed", weight_not_placed: "Item not placed",
    weight_mismatch: "Weight mismatch", payment_failed: "Payment failed",
  },
};

let lang = "de";

export function setLang(code) {
  lang = code === "en" ? "en" : "de";
  document.documentElement.lang = lang;
}

export function getLang() {
  return lang;
}

/** The text `key` in the current language with {name} placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = TEXTS[lang][key] ?? TEXTS.de[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : ""));
}

/** Every element with data-t gets its text again (after a language switch). */
export function translateStatic(root = document) {
  for (const el of root.querySelectorAll("[data-t]")) {
    el.textContent = t(el.dataset.t);
  }
}
