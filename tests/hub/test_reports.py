"""The store manager's reports over the real hub on 127.0.0.1: sales pushed through the real
ingest (POST /api/v1/sales with each lane's device token, hash chain by kiosk.hub.chain),
payloads built like `sale_record` from the domain's own Line, Intervention and price_basket."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from kiosk.domain.basket import Line
from kiosk.domain.interventions import raise_intervention
from kiosk.domain.money import VatRate
from kiosk.domain.policy import Reason
from kiosk.domain.pricing import price_basket
from kiosk.hub.chain import GENESIS_HASH, sale_hash
from kiosk.hub.managers import create_manager_token
from tests.hub.hubtest import Hub, running_hub

DAY = "2026-11-20"  # a Friday in November: Berlin is UTC+1
SCREENSHOTS = Path(__file__).parent / "screenshots"


def bananas(line_id: int, weight_g: int) -> Line:
    return Line(line_id, "BANANE", {"de": "Bananen", "en": "Bananas"}, 199, VatRate.REDUCED,
                weight_g=weight_g)


def milk(line_id: int, quantity: int = 1, voided_by: str | None = None) -> Line:
    return Line(line_id, "MILCH", {"de": "Vollmilch", "en": "Whole milk"}, 109,
                VatRate.REDUCED, quantity=quantity, voided_by=voided_by)


def beer(line_id: int) -> Line:
    return Line(line_id, "BIER", {"de": "Pils", "en": "Lager"}, 89, VatRate.STANDARD,
                age_limit=18)


def check(reason: Reason, raised: str, cleared: str, n: int) -> dict[str, Any]:
    """A cleared intervention as the sale record carries it (Intervention.to_dict)."""
    return raise_intervention(f"I-{n}", reason, {}, f"{DAY}T{raised}.000Z").cleared(
        by="A1", at=f"{DAY}T{cleared}.000Z", outcome="approved").to_dict()


def sale(lane_id: str, n: int, opened: str, finished: str, lines: list[Line],
         interventions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A sale payload with exactly the keys of kiosk.domain.checkout_sale.sale_record."""
    totals = price_basket(lines)
    return {
        "sale_id": f"S-{lane_id}-{n}", "basket_id": f"B-{lane_id}-{n}", "lane_id": lane_id,
        "opened_at": f"{DAY}T{opened}.000Z", "finished_at": f"{DAY}T{finished}.000Z",
        "lines": [line.to_dict() for line in lines], "totals": totals.to_dict(),
        "payments": [{"method": "card", "amount_cents": totals.total_cents,
                      "attempt_id": f"P-{lane_id}-{n}",
                      "approved_at": f"{DAY}T{finished}.000Z"}],
        "interventions": interventions or [], "coupons": [], "verified_age": None,
    }


def chained(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One lane's sales on the wire, seq from 1, each hash chained to the one before."""
    out, prev = [], GENESIS_HASH
    for seq, doc in enumerate(docs, start=1):
        payload = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        digest = sale_hash(prev, payload, seq, doc["sale_id"])
        out.append({"sale_id": doc["sale_id"], "lane_id": doc["lane_id"], "seq": seq,
                    "payload": payload, "prev_hash": prev, "hash": digest})
        prev = digest
    return out


def four_baskets() -> dict[str, list[dict[str, Any]]]:
    """Two lanes, four sold baskets (times in UTC; 09:xx UTC is 10:xx in Berlin):
    lane-1: 8 s and 9 s; lane-2: 10 s and 45 s. Bananas 734 g + 500 g between 10 and 11 local.
    Age checks in 2 baskets (cleared after 4 s and 20 s); one weight mismatch (6 s)."""
    return {
        "lane-1": [
            sale("lane-1", 1, "09:10:00", "09:10:08", [bananas(1, 734), milk(2, 2)],
                 [check(Reason.AGE_CHECK, "09:10:02", "09:10:06", 1)]),
            sale("lane-1", 2, "09:39:56", "09:40:05", [bananas(1, 500), milk(2, 1, "A1")]),
        ],
        "lane-2": [
            sale("lane-2", 1, "10:05:00", "10:05:10", [beer(1), beer(2)],
                 [check(Reason.AGE_CHECK, "10:05:01", "10:05:21", 2)]),
            sale("lane-2", 2, "10:30:00", "10:30:45", [milk(1)],
                 [check(Reason.WEIGHT_MISMATCH, "10:30:10", "10:30:16", 3)]),
        ],
    }


async def stock(hub: Hub, lanes: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """Enrol each lane, push its sales through POST /api/v1/sales; the lanes' tokens."""
    tokens = {}
    for lane_id, docs in lanes.items():
        tokens[lane_id] = await hub.enrol(lane_id)
        status, answer = await hub.send(tokens[lane_id], chained(docs))
        assert status == 200 and {r["status"] for r in answer["results"]} == {"accepted"}
    return tokens


async def get(hub: Hub, name: str, token: str | None, first: str = DAY,
              last: str = DAY) -> tuple[int, Any]:
    return await hub.call("GET", f"/api/v1/reports/{name}?from={first}&to={last}", token=token)


def rows(report: dict[str, Any], table: str) -> list[dict[str, Any]]:
    return next(t["rows"] for t in report["tables"] if t["key"] == table)


def reports(tmp_path: Path, *names: str) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with running_hub(tmp_path / "hub.sqlite") as hub:
            await stock(hub, four_baskets())
            manager = create_manager_token(hub.store)
            found = {}
            for name in names:
                status, found[name] = await get(hub, name, manager)
                assert status == 200, found[name]
            return found

    return asyncio.run(go())


def test_a_manager_reads_grams_of_bananas_and_pieces_of_milk_per_local_hour(
        tmp_path: Path) -> None:
    report = reports(tmp_path, "sales-by-sku-hour")["sales-by-sku-hour"]
    by_hour = {(r["sku"], r["hour"]): r for r in rows(report, "by_sku_hour")}
    morning = by_hour[("BANANE", "2026-11-20 10:00–11:00")]
    assert (morning["name"], morning["weight_g"], morning["quantity_pcs"]) == ("Bananen", 1234, 0)
    assert morning["revenue_cents"] == 146 + 100  # 1.99 €/kg: 734 g and 500 g, rounded half up
    assert by_hour[("MILCH", "2026-11-20 10:00–11:00")]["quantity_pcs"] == 2  # the void: none
    assert by_hour[("MILCH", "2026-11-20 11:00–12:00")]["quantity_pcs"] == 1
    assert by_hour[("BIER", "2026-11-20 11:00–12:00")]["quantity_pcs"] == 2
    per_sku = {r["sku"]: r for r in rows(report, "by_sku")}
    assert per_sku["MILCH"]["quantity_pcs"] == 3 and per_sku["MILCH"]["revenue_cents"] == 327
    assert report["summary"]["baskets"] == 4
    assert report["summary"]["line_revenue_cents"] == 246 + 327 + 178
    assert report["timezone"] == "Europe/Berlin" and report["skipped_payloads"] == 0


def test_two_of_four_sold_baskets_had_an_age_check_cleared_in_a_median_of_twelve_seconds(
        tmp_path: Path) -> None:
    report = reports(tmp_path, "interventions")["interventions"]
    by_reason = {r["reason"]: r for r in rows(report, "by_reason")}
    age = by_reason["age_check"]
    assert (age["title"], age["baskets"], age["share_of_baskets"]) == ("Age check", 2, 0.5)
    assert age["median_clear_s"] == 12.0  # 4 s and 20 s
    assert by_reason["weight_mismatch"]["share_of_baskets"] == 0.25
    assert by_reason["help"]["count"] == 0 and by_reason["help"]["median_clear_s"] is None
    assert report["summary"] == {"sold_baskets": 4, "interventions": 3, "baskets_with_any": 3}
    assert any("cancelled baskets are not uploaded" in n.lower() for n in report["notes"])


def test_three_of_four_baskets_are_within_the_ten_second_goal(tmp_path: Path) -> None:
    report = reports(tmp_path, "checkout-time")["checkout-time"]
    lanes = {r["lane_id"]: r for r in rows(report, "by_lane")}
    everyone = lanes["all lanes"]
    assert (everyone["baskets"], everyone["within_goal"]) == (4, 3)
    assert everyone["within_goal_share"] == 0.75
    assert (everyone["p50_s"], everyone["p90_s"], everyone["max_s"]) == (9.0, 45.0, 45.0)
    assert lanes["lane-1"]["within_goal_share"] == 1.0
    assert lanes["lane-2"]["within_goal_share"] == 0.5  # exactly 10 s counts as within
    histogram = {r["bucket"]: r for r in rows(report, "histogram")}
    assert histogram["0–10 s"]["baskets"] == 3
    assert histogram["0–10 s"]["goal"] == "within the 10 s goal"
    assert histogram["30–60 s"]["baskets"] == 1
    assert histogram["30–60 s"]["goal"] == "over the 10 s goal"
    assert any("first scan" in n and "start screen" in n for n in report["notes"])


def test_reports_open_with_a_manager_token_only(tmp_path: Path) -> None:
    async def go() -> None:
        async with running_hub(tmp_path / "hub.sqlite") as hub:
            lane_token = (await stock(hub, four_baskets()))["lane-1"]
            manager = create_manager_token(hub.store)
            assert (await get(hub, "checkout-time", manager))[0] == 200
            status, answer = await get(hub, "checkout-time", lane_token)
            assert status == 403 and "device token" in answer["error"]
            status, answer = await get(hub, "checkout-time", None)
            assert status == 401 and "manager-token" in answer["error"]
            status, answer = await get(hub, "checkout-time", "guessed-" + manager)
            assert status == 401

    asyncio.run(go())


def test_bad_ranges_and_unknown_reports_get_a_400_naming_the_problem(tmp_path: Path) -> None:
    async def go() -> None:
        async with running_hub(tmp_path / "hub.sqlite") as hub:
            manager = create_manager_token(hub.store)
            cases = [
                ("upload-lag", "2026-11-21", "2026-11-20", "is after to"),
                ("upload-lag", "2026-13-01", "2026-11-20", "from '2026-13-01' is not a day"),
                ("upload-lag", "2026-11-20", "yesterday", "to 'yesterday' is not a day"),
                ("upload-lag", "2026-10-01", "2026-11-20", "51 days; ask for at most 31"),
                ("best-sellers", DAY, DAY, "report 'best-sellers' is unknown"),
            ]
            for name, first, last, words in cases:
                status, answer = await get(hub, name, manager, first, last)
                assert status == 400 and words in answer["error"], answer
            status, answer = await hub.call("GET", "/api/v1/reports/interventions",
                                            token=manager)
            assert status == 400 and "from is missing" in answer["error"]

    asyncio.run(go())


def test_a_payload_the_reports_cannot_read_is_counted_as_skipped(tmp_path: Path) -> None:
    async def go() -> None:
        async with running_hub(tmp_path / "hub.sqlite") as hub:
            token = await hub.enrol("lane-1")
            good = sale("lane-1", 1, "09:00:00", "09:00:07", [milk(1)])
            odd = {"sale_id": "S-lane-1-2", "lane_id": "lane-1",
                   "finished_at": f"{DAY}T09:05:00.000Z", "lines": "not a list"}
            status, _ = await hub.send(token, chained([good, odd]))
            assert status == 200
            manager = create_manager_token(hub.store)
            for name in ("sales-by-sku-hour", "interventions", "checkout-time"):
                status, report = await get(hub, name, manager)
                assert status == 200 and report["skipped_payloads"] == 1, (name, report)
            status, report = await get(hub, "checkout-time", manager)
            assert rows(report, "by_lane")[-1]["baskets"] == 1

    asyncio.run(go())


def test_the_report_page_is_static_with_a_strict_policy_and_no_html_from_data(
        tmp_path: Path) -> None:
    async def go() -> tuple[str, str]:
        async with running_hub(tmp_path / "hub.sqlite") as hub, \
                hub.http.get(hub.url + "/reports") as resp:
            assert resp.status == 200 and resp.content_type == "text/html"
            return await resp.text(), resp.headers["Content-Security-Policy"]

    page, csp = asyncio.run(go())
    script = re.search(r"<script>(.*)</script>", page, re.S)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp
    assert "connect-src 'self'" in csp and "unsafe-inline" not in csp
    assert "innerHTML" not in page and "sessionStorage" in page and "textContent" in page
    assert "10 s goal" in page
    # Chromium is not installed here, so the page is kept as HTML rather than a screenshot.
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "reports.html").write_text(page, encoding="utf-8")
