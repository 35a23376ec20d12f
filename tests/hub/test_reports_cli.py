"""`kiosk hub report` and `kiosk hub manager-token` on a temporary hub file, and the upload-lag
report a manager reads to find a silent lane. Sales go through the real ingest with the hub's
receive time given, since lag is the hub's clock minus the lane's."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.hub.cli import run_hub
from kiosk.hub.errors import BadRequest
from kiosk.hub.ingest import ingest, parse_batch
from kiosk.hub.managers import is_manager_token
from kiosk.hub.reports import build_report
from kiosk.hub.reports_cli import cell
from kiosk.hub.store import HubStore

from .test_reports import DAY, chained, four_baskets, rows

RECEIVED = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)


def stocked(path: Path) -> HubStore:
    """A hub file holding the four baskets: lane-1's received at 11:00 UTC, lane-2's at 11:30;
    lane-3 enrolled but never sent a sale."""
    store = HubStore.open(path)
    lanes = four_baskets()
    for (lane_id, docs), at in zip(lanes.items(), (RECEIVED, RECEIVED + timedelta(minutes=30)),
                                   strict=True):
        results, _ = ingest(store, lane_id, parse_batch({"sales": chained(docs)}), now=at)
        assert {r.status for r in results} == {"accepted"}
    store.enrol(store.create_enrol_code("lane-3"), "lane-3")
    return store


def test_lane_2_last_uploaded_three_minutes_ago_and_lane_3_never(tmp_path: Path) -> None:
    with stocked(tmp_path / "hub.sqlite") as store:
        now = RECEIVED + timedelta(minutes=33)
        report = build_report(store, "upload-lag", date(2026, 11, 20), date(2026, 11, 20),
                              now=now)
    lanes = {r["lane_id"]: r for r in rows(report, "by_lane")}
    assert cell(lanes["lane-2"]["silent_s"], "ago") == "3 min ago"
    assert cell(lanes["lane-1"]["silent_s"], "ago") == "33 min ago"
    assert lanes["lane-2"]["last_received_at"] == "2026-11-20T11:30:00+00:00"
    # lane-1 finished at 09:10:08 and 09:40:05 UTC, both received at 11:00:00
    assert (lanes["lane-1"]["p50_lag_s"], lanes["lane-1"]["max_lag_s"]) == (4795.0, 6592.0)
    assert lanes["lane-3"]["last_received_at"] is None and lanes["lane-3"]["sales"] == 0


def test_manager_token_prints_a_token_the_hub_accepts(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "hub.sqlite"
    assert run_hub(["--db", str(db), "manager-token"]) == 0
    token = capsys.readouterr().out.strip()
    with HubStore.open(db) as store:
        assert is_manager_token(store, token)
        assert not is_manager_token(store, token[:-1])
        stored = store.query("SELECT token_sha256 FROM manager_tokens")
    assert token not in str(stored)  # only its hash is kept


def test_report_prints_a_readable_table_by_default(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "hub.sqlite"
    stocked(db).close()
    assert run_hub(["--db", str(db), "report", "checkout-time", "--from", DAY, "--to", DAY]) == 0
    text = capsys.readouterr().out
    assert "Time from first scan to paid (goal: 10 s)" in text
    all_lanes = next(line for line in text.splitlines() if line.startswith("all lanes"))
    assert "75 %" in all_lanes and "45.0 s" in all_lanes
    assert "within the 10 s goal" in text and "over the 10 s goal" in text
    assert run_hub(["--db", str(db), "report", "sales-by-sku-hour", "--from", DAY,
                    "--to", DAY]) == 0
    bananas = [line for line in capsys.readouterr().out.splitlines()
               if line.startswith("BANANE")]
    assert "2026-11-20 10:00–11:00" in bananas[0] and "1.234 g" in bananas[0]
    assert "2,46 €" in bananas[0]


def test_report_as_csv_and_json_carries_raw_figures(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "hub.sqlite"
    stocked(db).close()
    run_hub(["--db", str(db), "report", "interventions", "--from", DAY, "--to", DAY,
             "--format", "csv"])
    table = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert table[0] == ["Per reason"]
    age = dict(zip(table[1], next(r for r in table if r[0] == "Age check"), strict=True))
    assert (age["baskets"], age["share_of_baskets"], age["median_clear_s"]) == ("2", "0.5",
                                                                                 "12.0")
    run_hub(["--db", str(db), "report", "upload-lag", "--from", DAY, "--to", DAY,
             "--format", "json"])
    answer = json.loads(capsys.readouterr().out)
    assert answer["report"] == "upload-lag" and answer["sales_read"] == 4


def test_a_range_longer_than_31_days_is_refused_on_the_command_line(tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match="32 days; ask for at most 31"):
        run_hub(["--db", str(tmp_path / "hub.sqlite"), "report", "upload-lag",
                 "--from", "2026-11-01", "--to", "2026-12-02"])
