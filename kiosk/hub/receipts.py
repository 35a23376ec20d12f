"""E-receipts: `GET /receipts/{sale_id}`, the receipt of an uploaded sale as a phone-sized page.

The lane shows or prints a QR code of `store.e_receipt_url` (default
"http://kiosk-hub.local:8080/receipts/{sale_id}"). The page is laid out by the same code as the
paper receipt (`kiosk.domain.receipt.layout_receipt`: lines, Pfand, VAT table, card data,
total), rendered as monospace HTML so the columns line up as on paper. German by default,
English with `?lang=en` or an Accept-Language that prefers English.

No login: a sale id is a uuid4 hex (122 random bits), so knowing the link is the permission
to read the receipt (a capability link). Anything else than 32 lowercase hex digits is refused
like an unknown id. The page has no scripts and no external assets; every text is escaped
(product names come from the catalog); it is never cached or sent on as a referrer.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from kiosk.domain.receipt import ReceiptLine, StoreHeader, layout_receipt
from kiosk.hub.api import STORE_KEY
from kiosk.hub.store import HubStore

SALE_ID = re.compile(r"^[0-9a-f]{32}$")
COLUMNS = 42  # the narrower paper roll: fits a phone screen in portrait
BERLIN = ZoneInfo("Europe/Berlin")
HEADER_KEY: web.AppKey[StoreHeader] = web.AppKey("receipt_header", StoreHeader)

HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
}

TEXTS = {
    "title": {"de": "Ihr Kassenbon", "en": "Your receipt"},
    "missing_title": {"de": "Bon noch nicht da", "en": "Receipt not here yet"},
    "missing": {"de": "Dieser Bon ist (noch) nicht im Markt angekommen. Er kommt wenige "
                      "Minuten nach dem Bezahlen an; bitte versuchen Sie es gleich noch einmal.",
                "en": "This receipt is not (yet) at the store. It arrives within minutes of "
                      "paying; please try again shortly."},
}

_STYLE = """
body{margin:0;padding:1rem;background:#eee;color:#111;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:30rem;margin:0 auto;background:#fff;padding:1rem;border-radius:.5rem}
.r{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:clamp(.6rem,3.2vw,.95rem);
white-space:pre;overflow-x:auto}
.l{min-height:1.2em}.c{text-align:center}.right{text-align:right}.b{font-weight:bold}
.d{font-size:2em}.f{height:.8em}hr{border:0;border-top:1px dashed #999;margin:.3em 0}
@media print{body{background:#fff;padding:0}main{padding:0}}
"""


def language(request: web.Request) -> str:
    """"en" for `?lang=en` or an Accept-Language whose first choice is English, else "de"."""
    asked = request.query.get("lang", "").lower()
    if asked in ("de", "en"):
        return asked
    first = request.headers.get("Accept-Language", "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "de"


def find_sale(store: HubStore, sale_id: str) -> tuple[str, int, str] | None:
    """(lane_id, seq, payload) of the uploaded sale `sale_id`, or None."""
    rows = store.query("SELECT lane_id, seq, payload FROM sales WHERE sale_id = ? "
                       "ORDER BY lane_id LIMIT 1", (sale_id,))
    if not rows:
        return None
    lane_id, seq, payload = rows[0]
    return str(lane_id), int(seq), str(payload)


def _line_html(line: ReceiptLine) -> str:
    if line.kind == "rule":
        return "<hr>"
    if line.kind == "feed":
        return '<div class="f"></div>'
    if line.kind != "text":  # QR codes (TSE, e-receipt) and the cut have no place on screen
        return ""
    classes = ["l"]
    classes += ["c"] if line.align == "center" else ["right"] if line.align == "right" else []
    classes += ["b"] if line.bold else []
    classes += ["d"] if line.size == "double" else []
    return f'<div class="{" ".join(classes)}">{html.escape(line.text)}</div>'


def page(title: str, body: str, lang: str) -> str:
    """A whole HTML document: viewport for phones, inline style only, no scripts."""
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="robots" content="noindex">'
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body><main>{body}</main></body></html>\n")


def receipt_html(sale: dict[str, Any], *, header: StoreHeader, lane_id: str, seq: int,
                 lang: str) -> str:
    """The receipt page of `sale` (the stored sale record) in `lang`."""
    lines: Sequence[ReceiptLine] = layout_receipt(
        sale, store=header, lane_name=lane_id, seq=seq, tz=BERLIN, lang=lang, columns=COLUMNS)
    body = '<div class="r">' + "".join(_line_html(x) for x in lines) + "</div>"
    return page(TEXTS["title"][lang], body, lang)


def missing_html(lang: str) -> str:
    """The friendly page for a receipt not (yet) uploaded, or a malformed link."""
    body = (f"<h1>{html.escape(TEXTS['missing_title'][lang])}</h1>"
            f"<p>{html.escape(TEXTS['missing'][lang])}</p>")
    return page(TEXTS["missing_title"][lang], body, lang)


def _answer(text: str, status: int) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8",
                        headers=HEADERS)


async def receipt_page(request: web.Request) -> web.Response:
    lang = language(request)
    sale_id = request.match_info.get("sale_id", "")
    if not SALE_ID.match(sale_id):
        return _answer(missing_html(lang), 404)
    store = request.app[STORE_KEY]
    found = await store.call(find_sale, store, sale_id)
    if found is None:
        return _answer(missing_html(lang), 404)
    lane_id, seq, payload = found
    sale = json.loads(payload)
    if not isinstance(sale, dict):  # ingest stores only objects; a broken row stays unshown
        return _answer(missing_html(lang), 404)
    header = request.app.get(HEADER_KEY) or StoreHeader(await store.call(lambda: store.store_id))
    return _answer(receipt_html(sale, header=header, lane_id=lane_id, seq=seq, lang=lang), 200)
