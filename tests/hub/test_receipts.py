"""The e-receipt page at a real hub on 127.0.0.1: a sale uploaded by the real uploader shows
with its lines and total on a phone-sized page; names are escaped; unknown links get a kind 404."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from kiosk.config import StoreConfig
from kiosk.journal import sales
from kiosk.journal.db import open_db
from kiosk.sync.uploader import Uploader
from tests.domain.test_receipt import STORE, realistic_sale
from tests.hub.hubtest import Hub, running_hub

SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")


def lane_sale(**changes: Any) -> dict[str, Any]:
    sale = realistic_sale()
    sale_id = uuid.uuid4().hex
    sale.update(sale_id=sale_id, basket_id=f"B-{sale_id}", lane_id="L1", **changes)
    return sale


async def page(hub: Hub, path: str, **headers: str) -> tuple[int, str, dict[str, str]]:
    async with hub.http.get(hub.url + path, headers=headers) as resp:
        return resp.status, await resp.text(), dict(resp.headers)


async def uploaded(hub: Hub, tmp_path: Path, *sale_dicts: dict[str, Any]) -> None:
    db = open_db(tmp_path / "lane.sqlite")
    try:
        for sale in sale_dicts:
            sales.record_sale(db, sale)
        token = await hub.enrol("L1")
        report = await Uploader(sales.JournalOutbox(db), hub.url, token).run_once()
        assert report.acked == len(sale_dicts)
    finally:
        db.close()


def test_an_uploaded_sale_shows_its_lines_vat_card_and_total_in_german_and_english(
        tmp_path: Path, hub_db: Path | str) -> None:
    sale = lane_sale()

    async def go() -> None:
        async with running_hub(hub_db, receipt_header=STORE) as hub:
            await uploaded(hub, tmp_path, sale)
            # The path of the QR link the lane prints (the default store.e_receipt_url).
            link = urlsplit(StoreConfig().e_receipt_url.format(
                sale_id=sale["sale_id"]))
            status, german, headers = await page(hub, link.path)
            assert status == 200 and headers["Content-Type"].startswith("text/html")
            for text in ("Markt Musterstadt", "Mineralwasser 1,5 l", "Pfand 0,25 € (Einweg)",
                         "0,456 kg x 2,99 €/kg", "3 für 2 Joghurt", "SUMME", "4,53 €",
                         "girocard ############1234", "Brutto", "A 19 %", "Kasse L1",
                         "Bon-Nr. 1", "02.03.2026 10:00:12"):
                assert text in german, text
            assert "Schokolade" not in german  # voided: not on paper, not on screen
            assert 'name="viewport"' in german and "<script" not in german
            assert "http" not in german.split("</head>")[0]  # no external assets
            assert headers["Cache-Control"] == "private, no-store"
            assert headers["X-Content-Type-Options"] == "nosniff"
            assert headers["Referrer-Policy"] == "no-referrer"
            assert "default-src 'none'" in headers["Content-Security-Policy"]
            _, english, _ = await page(hub, f"/receipts/{sale['sale_id']}?lang=en")
            assert "TOTAL" in english and "Fresh whole milk 1 l" in english
            _, preferred, _ = await page(hub, f"/receipts/{sale['sale_id']}",
                                         **{"Accept-Language": "en-GB,en;q=0.9,de;q=0.5"})
            assert "TOTAL" in preferred
            save(german, "receipt-de")

    asyncio.run(go())


def test_a_product_name_with_markup_is_shown_as_text(tmp_path: Path,
                                                     hub_db: Path | str) -> None:
    sale = lane_sale()
    sale["lines"][0]["names"] = {"de": '<script>alert("x")</script> & <b>Wasser</b>'}

    async def go() -> None:
        async with running_hub(hub_db) as hub:
            await uploaded(hub, tmp_path, sale)
            status, text, _ = await page(hub, f"/receipts/{sale['sale_id']}")
            assert status == 200
            assert "<script" not in text and "<b>Wasser" not in text
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
            save(text, "receipt-escaped")

    asyncio.run(go())


@pytest.mark.parametrize("sale_id", [uuid.uuid4().hex, "not-a-sale", "A" * 32,
                                     "%3Cscript%3E", "1" * 33])
def test_an_unknown_or_malformed_link_gets_a_friendly_not_yet_page(hub_db: Path | str,
                                                                   sale_id: str) -> None:
    async def go() -> None:
        async with running_hub(hub_db) as hub:
            status, text, headers = await page(hub, f"/receipts/{sale_id}")
            assert status == 404 and headers["Content-Type"].startswith("text/html")
            assert "nicht im Markt angekommen" in text and "<script" not in text
            assert headers["Cache-Control"] == "private, no-store"
            _, english, _ = await page(hub, f"/receipts/{sale_id}?lang=en")
            assert "try again shortly" in english

    asyncio.run(go())


def test_posting_to_a_receipt_is_not_allowed(hub_db: Path | str) -> None:
    async def go() -> None:
        async with running_hub(hub_db) as hub:
            status, _ = await hub.call("POST", f"/receipts/{uuid.uuid4().hex}", body={})
            assert status == 405

    asyncio.run(go())


def save(html_text: str, name: str) -> None:
    """Keep the page for a human to look at; a PNG too when Chromium is installed."""
    SCREENSHOTS.mkdir(exist_ok=True)
    target = SCREENSHOTS / f"{name}.html"
    target.write_text(html_text, encoding="utf-8")
    chromium = shutil.which("chromium") or (str(CHROMIUM) if CHROMIUM.exists() else None)
    if chromium is None:
        return
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--window-size=412,1400", f"--screenshot={SCREENSHOTS / f'{name}.png'}",
                    target.resolve().as_uri()], check=True, capture_output=True, timeout=60)
