"""The manager's report page (`GET /reports`): one static HTML page with no secrets in it.

Why a static page and not a server-rendered form: the token must never ride in a URL (URLs end
up in logs, history and Referer headers), and a static page needs no session or CSRF machinery
on the hub. Its small inline script asks for the manager token once (kept in sessionStorage,
so it is gone when the tab closes), fetches `/api/v1/reports/{name}` with
`Authorization: Bearer`, and builds the tables with `textContent` only, never HTML from data.
The Content-Security-Policy allows exactly this script and style (by SHA-256) and connections
to this hub; nothing else loads. The 10 s goal is written out in words in the tables.
"""

from __future__ import annotations

import base64
import hashlib

from aiohttp import web

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #111; background: #fff; }
form { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; margin-bottom: 1rem; }
label { display: flex; flex-direction: column; font-size: .9rem; }
input, select, button { font-size: 1rem; padding: .35rem .5rem; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border: 1px solid #999; padding: .25rem .6rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
#error { color: #a00; font-weight: 600; }
[hidden] { display: none !important; }
"""

_SCRIPT = r"""
"use strict";
const KEY = "kiosk-manager-token";
const $ = (id) => document.getElementById(id);
const today = new Date().toISOString().slice(0, 10);
$("from").value = today; $("to").value = today;
function showToken() { $("token-form").hidden = !!sessionStorage.getItem(KEY); }
function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}
function ago(s) {
  if (s < 120) return s + " s ago";
  if (s < 7200) return Math.round(s / 60) + " min ago";
  if (s < 172800) return Math.round(s / 3600) + " h ago";
  return Math.round(s / 86400) + " days ago";
}
function cell(value, unit, tz) {
  if (value === null || value === undefined) return unit === "ago" ? "never" : "–";
  switch (unit) {
    case "cents": return (value / 100).toLocaleString("de-DE",
      {style: "currency", currency: "EUR"});
    case "g": return value.toLocaleString("de-DE") + " g";
    case "pcs": return value.toLocaleString("de-DE");
    case "share": return Math.round(value * 1000) / 10 + " %";
    case "s": return value.toLocaleString("de-DE") + " s";
    case "time": return new Date(value).toLocaleString("de-DE", {timeZone: tz});
    case "ago": return ago(value);
    default: return value;
  }
}
function render(report) {
  const out = $("report");
  out.replaceChildren();
  out.append(el("h2", report.title + " · " + report.from + " to " + report.to + " (UTC days)"));
  const notes = el("ul");
  for (const note of report.notes) notes.append(el("li", note));
  if (report.skipped_payloads) notes.append(el("li", report.skipped_payloads +
    " stored sale(s) could not be read and are left out."));
  out.append(notes);
  for (const t of report.tables) {
    const table = el("table");
    table.append(el("caption", t.title));
    const head = el("tr");
    for (const c of t.columns) head.append(el("th", c.label));
    table.append(el("thead")); table.tHead.append(head);
    const body = el("tbody");
    for (const row of t.rows) {
      const tr = el("tr");
      for (const c of t.columns) {
        const v = row[c.key];
        tr.append(el("td", cell(v, c.unit, report.timezone),
                     typeof v === "number" ? "num" : ""));
      }
      body.append(tr);
    }
    if (!t.rows.length) {
      const empty = el("td", "no sales in this range");
      empty.colSpan = t.columns.length;
      const tr = el("tr"); tr.append(empty); body.append(tr);
    }
    table.append(body);
    out.append(table);
  }
}
async function load(event) {
  if (event) event.preventDefault();
  $("error").textContent = "";
  const token = sessionStorage.getItem(KEY);
  if (!token) { showToken(); $("error").textContent = "Enter the manager token first."; return; }
  const url = "/api/v1/reports/" + encodeURIComponent($("name").value) + "?from=" +
    encodeURIComponent($("from").value) + "&to=" + encodeURIComponent($("to").value);
  try {
    const resp = await fetch(url, {headers: {Authorization: "Bearer " + token},
                                   cache: "no-store"});
    const body = await resp.json();
    if (resp.status === 401 || resp.status === 403) { sessionStorage.removeItem(KEY); showToken(); }
    if (!resp.ok) { $("error").textContent = body.error || ("refused: " + resp.status); return; }
    render(body);
  } catch (err) {
    $("error").textContent = "The hub did not answer (" + err + "); try again.";
  }
}
$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("token").value.trim();
  if (token) sessionStorage.setItem(KEY, token);
  $("token").value = "";
  showToken();
  load();
});
$("forget").addEventListener("click", () => { sessionStorage.removeItem(KEY); showToken(); });
$("query").addEventListener("submit", load);
showToken();
"""

_BODY = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Store reports</title>
<style>{style}</style>
</head>
<body>
<h1>Store reports</h1>
<form id="token-form" hidden>
  <label>Manager token (from <code>kiosk hub manager-token</code>)
    <input id="token" type="password" autocomplete="off" required></label>
  <button type="submit">Use token</button>
</form>
<form id="query">
  <label>Report <select id="name">
    <option value="sales-by-sku-hour">Sales per SKU and hour</option>
    <option value="interventions">Interventions by reason</option>
    <option value="checkout-time">First scan to paid (10 s goal)</option>
    <option value="upload-lag">Upload lag per lane</option>
  </select></label>
  <label>From (UTC day) <input id="from" type="date" required></label>
  <label>To (UTC day) <input id="to" type="date" required></label>
  <button type="submit">Show</button>
  <button type="button" id="forget">Forget token</button>
</form>
<p id="error" role="alert"></p>
<main id="report" aria-live="polite"></main>
<script>{script}</script>
</body>
</html>
"""

PAGE_HTML = _BODY.replace("{style}", _STYLE).replace("{script}", _SCRIPT)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


CSP = ("default-src 'none'; " f"script-src {_sha256(_SCRIPT)}; style-src {_sha256(_STYLE)}; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


async def reports_page(_request: web.Request) -> web.Response:
    """The static report page with its Content-Security-Policy."""
    return web.Response(text=PAGE_HTML, content_type="text/html", headers={
        "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"})
