"""The published catalog (full and delta by version, removals) and the `kiosk hub` commands."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kiosk.hub.cli import run_hub
from kiosk.journal.catalog_import import read_catalog_file
from tests.hub.hubtest import lane_sales, running_hub

HEADER = "sku,name_de,price,vat_rate,ean\n"
MILK = "MILCH,Vollmilch,\"1,09\",7,4200200000015\n"
WATER = "WASSER,Mineralwasser,\"0,25\",19,4200400000013\n"


def import_csv(tmp_path: Path, db: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    path = tmp_path / "catalog.csv"
    path.write_text(text, encoding="utf-8")
    status = run_hub(["--db", str(db), "catalog", "import", str(path)],
                     read_catalog=read_catalog_file)
    out, err = capsys.readouterr()
    assert status == 0, err
    return out


def test_a_lane_gets_the_full_catalog_then_only_what_changed_and_what_was_removed(
        tmp_path: Path, hub_db: Path | str, capsys: pytest.CaptureFixture[str]) -> None:
    db = hub_db
    assert "catalog version 1" in import_csv(tmp_path, db, HEADER + MILK + WATER, capsys)
    cheaper_milk = MILK.replace("1,09", "0,99")
    assert "catalog version 2" in import_csv(tmp_path, db, HEADER + cheaper_milk, capsys)

    async def go() -> None:
        async with running_hub(db) as hub:
            token = await hub.enrol("lane-3")
            status, full = await hub.call("GET", "/api/v1/catalog?since=0", token=token)
            assert status == 200 and full["full"] is True and full["version"] == 2
            assert [(p["sku"], p["price_cents"]) for p in full["products"]] == [("MILCH", 99)]
            _, delta = await hub.call("GET", "/api/v1/catalog?since=1", token=token)
            assert delta["full"] is False
            assert [p["sku"] for p in delta["products"]] == ["MILCH"]
            assert delta["removed"] == ["WASSER"] and delta["promotions"] is None
            _, current = await hub.call("GET", "/api/v1/catalog?since=2", token=token)
            assert (current["products"], current["removed"]) == ([], [])
            _, unknown = await hub.call("GET", "/api/v1/catalog?since=99", token=token)
            assert unknown["full"] is True and len(unknown["products"]) == 1
            status, bad = await hub.call("GET", "/api/v1/catalog?since=-1", token=token)
            assert status == 400 and "since" in bad["error"]
            assert (await hub.call("GET", "/api/v1/catalog"))[0] == 401
            assert (await hub.call("GET", "/api/v1/health"))[1]["catalog_version"] == 2
    asyncio.run(go())


def test_importing_the_same_file_again_keeps_the_version(
        tmp_path: Path, hub_db: Path | str, capsys: pytest.CaptureFixture[str]) -> None:
    db = hub_db
    import_csv(tmp_path, db, HEADER + MILK, capsys)
    assert "catalog version 1" in import_csv(tmp_path, db, HEADER + MILK, capsys)


def test_a_bad_catalog_file_publishes_nothing(tmp_path: Path, hub_db: Path | str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    db = hub_db
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "MILCH,Vollmilch,teuer,7,\n", encoding="utf-8")
    assert run_hub(["--db", str(db), "catalog", "import", str(path)],
                   read_catalog=read_catalog_file) == 1
    assert "line 2" in capsys.readouterr().err


def test_enrol_code_prints_a_code_the_lane_can_use(tmp_path: Path, hub_db: Path | str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    db = hub_db
    assert run_hub(["--db", str(db), "enrol-code", "--device", "lane-3"]) == 0
    code = capsys.readouterr().out.strip()
    assert len(code) == 24 and code.count("-") == 4

    async def go() -> None:
        async with running_hub(db) as hub:
            status, _ = await hub.call("POST", "/api/v1/enrol",
                                       body={"code": code, "device_id": "lane-3"})
            assert status == 201
    asyncio.run(go())


def test_export_writes_the_sales_of_the_date_range_as_csv(
        tmp_path: Path, hub_db: Path | str, capsys: pytest.CaptureFixture[str]) -> None:
    db = hub_db
    monday = lane_sales(tmp_path, "lane-3", 2, day="2026-11-16")

    async def go() -> None:
        async with running_hub(db) as hub:
            token = await hub.enrol("lane-3")
            _, answer = await hub.send(token, monday)
            assert [r["status"] for r in answer["results"]] == ["accepted"] * 2
    asyncio.run(go())
    out = tmp_path / "sales.csv"
    assert run_hub(["--db", str(db), "export", "--from", "2026-11-16", "--to", "2026-11-16",
                    "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "lane_id,seq,sale_id,finished_at,total_cents,hash,received_at"
    assert [line.split(",")[:5] for line in lines[1:]] == [
        ["lane-3", "1", "S-lane-3-1", "2026-11-16T10:01:00.000Z", "109"],
        ["lane-3", "2", "S-lane-3-2", "2026-11-16T10:02:00.000Z", "209"]]
    assert run_hub(["--db", str(db), "export", "--from", "2026-11-17", "--to", "2026-11-30"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == []
