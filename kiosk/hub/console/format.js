// Pure formatting: lane state -> words. No DOM here, so every rule reads in one place.
import { REASONS, getLang, t } from "./i18n.js";

// The tower light pattern (kiosk.lane.signals) decides the tile's colour, word and shape.
export const STATES = {
  idle: { cls: "st-idle", icon: "✓" },
  in_transaction: { cls: "st-busy", icon: "▶" },
  help: { cls: "st-help", icon: "?" },
  intervention: { cls: "st-intervention", icon: "!" },
  fault: { cls: "st-fault", icon: "⚠" },
  out_of_service: { cls: "st-oos", icon: "✕" },
  closed: { cls: "st-closed", icon: "—" },
  offline: { cls: "st-offline", icon: "⊘" },
};

/** The tile state key of a LANE_ROW: "offline" when the lane is not connected. */
export function stateOf(lane) {
  if (!lane.online) return "offline";
  return lane.light in STATES ? lane.light : "idle";
}

export function clockTime(iso) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return "?";
  return when.toLocaleTimeString(getLang() === "en" ? "en-GB" : "de-DE",
    { hour: "2-digit", minute: "2-digit" });
}

export function stateText(lane) {
  const key = stateOf(lane);
  if (key === "offline") {
    return lane.last_seen ? t("st_offline", { time: clockTime(lane.last_seen) })
      : t("st_offline_never");
  }
  return t(`st_${key}`);
}

export function money(cents) {
  const locale = getLang() === "en" ? "en-IE" : "de-DE";
  return new Intl.NumberFormat(locale, { style: "currency", currency: "EUR" })
    .format((cents ?? 0) / 100);
}

/** "1:35 min" below an hour, "1 Std. 5 Min." above; `seconds` >= 0. */
export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 3600) {
    return t("age_min", { m: Math.floor(s / 60), s: String(s % 60).padStart(2, "0") });
  }
  return t("age_h", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}

export function reasonText(iv) {
  const own = getLang() === "en" ? iv.text_en : iv.text_de;
  if (own) return own;
  return REASONS[getLang()][iv.reason] ?? iv.reason;
}

export function deviceName(device) {
  const key = `dev_${device}`;
  const text = t(key);
  return text === key ? device : text;
}

function lineName(lane, lineId) {
  const lines = lane.basket?.lines ?? [];
  const line = lines.find((l) => l.line_id === lineId);
  return line ? line.name : t("ev_line", { n: lineId });
}

function weightEvidence(lane, ev) {
  const name = ev.line_id !== undefined ? lineName(lane, ev.line_id) : "";
  if (ev.expected_g !== undefined && ev.expected_g !== null) {
    return t("ev_expected", { name, expected: ev.expected_g, weighed: ev.delta_g ?? "?" })
      .trim();
  }
  const delta = ev.delta_g > 0 ? `+${ev.delta_g}` : String(ev.delta_g ?? "?");
  return t("ev_change", { delta, observed: ev.observed_g ?? "?" });
}

const EVIDENCE = {
  age_check: (lane, ev) => t("ev_age", { age: ev.age, name: lineName(lane, ev.line_id) }),
  void_approval: (lane, ev) => t("ev_void", {
    name: ev.name ?? lineName(lane, ev.line_id), amount: money(ev.amount_cents),
  }),
  quantity_limit: (lane, ev) => t("ev_quantity", {
    name: lineName(lane, ev.line_id), quantity: ev.quantity, limit: ev.limit,
  }),
  help: (_lane, ev) => (ev.cause === "idle_timeout" ? t("ev_help_idle", { n: ev.idle_s })
    : t("ev_help_button")),
  device_fault: (_lane, ev) => [deviceName(ev.device ?? "?"), ev.detail].filter(Boolean)
    .join(": "),
  unexpected_item: weightEvidence,
  item_removed: weightEvidence,
  weight_not_placed: weightEvidence,
  weight_mismatch: weightEvidence,
};

/** The intervention's evidence in words, e.g. "Käse erwartet 500 g, gewogen 740 g". */
export function evidenceText(lane, iv) {
  const ev = iv.evidence ?? {};
  const rule = EVIDENCE[iv.reason];
  if (rule) return rule(lane, ev);
  return Object.entries(ev).filter(([, v]) => typeof v !== "object")
    .map(([k, v]) => `${k}: ${v}`).join(", ");
}

/** Devices that are not online, named: "Waage (keine Antwort)". */
export function faultText(lane) {
  const bad = (lane.devices ?? []).filter((d) => d.state !== "online" && d.state !== "ok");
  if (bad.length === 0) return "";
  const names = bad.map((d) => (d.detail ? `${deviceName(d.device)} (${d.detail})`
    : deviceName(d.device)));
  return t("faults", { devices: names.join(", ") });
}

export function uploadText(lane, ageOf) {
  const up = lane.upload ?? {};
  const parts = [];
  if (up.pending > 0) {
    const age = up.oldest_pending_at ? ageOf(up.oldest_pending_at) : "?";
    parts.push(up.pending === 1 ? t("upload_pending_one", { age })
      : t("upload_pending", { n: up.pending, age }));
  }
  if (up.quarantined > 0) parts.push(t("upload_quarantined", { n: up.quarantined }));
  if (up.last_error && up.pending > 0) parts.push(t("upload_error", { error: up.last_error }));
  return parts;
}

export function itemsText(basket) {
  if (!basket || !basket.basket_id) return t("basket_empty");
  const n = basket.items ?? 0;
  const items = n === 1 ? t("items_one") : t("items", { n });
  return `${items} · ${money(basket.total_cents)}`;
}
