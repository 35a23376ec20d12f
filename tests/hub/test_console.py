"""Console logins over the real hub: PIN and badge, lockout that survives a restart, sessions,
logout, the audit trail for supervisors, the page's headers, and `kiosk hub attendant`."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.hub.console_auth import (
    add_attendant,
    audit_rows,
    create_session,
    disable_attendant,
    session_for,
)
from kiosk.hub.store import HubStore
from tests.hub.consoletest import store_with_staff
from tests.hub.hubtest import running_hub

KIOSK = [sys.executable, "-m", "kiosk"]


def test_a_wrong_pin_and_an_unknown_id_get_the_same_401(hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db) as store:
            console = await store.console()
            assert await console.login("1001", "9999") == (401, {"error": "Wrong ID or PIN."})
            assert await console.login("4711", "1234") == (401, {"error": "Wrong ID or PIN."})
            status, _ = await console.request("GET", "/console/api/me")
            assert status == 401
            trail = audit_rows(store.hub.store, 10)
            assert [(r["action"], r["attendant_id"], r["result"]) for r in trail] == [
                ("login", "4711", "failed"), ("login", "1001", "failed")]

    asyncio.run(go())


def test_five_wrong_pins_lock_the_id_even_across_a_hub_restart(hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db) as store:
            console = await store.console()
            for _ in range(4):
                assert (await console.login("1001", "0000"))[0] == 401
            status, answer = await console.login("1001", "0000")
            assert status == 429 and "locked until" in answer["error"]
            status, answer = await console.login("1001", "1234")  # the right PIN, too late
            assert status == 429 and "locked until" in answer["error"]
            assert (await console.login("2001", "9876"))[0] == 200  # others are not locked
        async with running_hub(hub_db) as hub:
            status, answer = await hub.call("GET", "/api/v1/health")
            assert status == 200
            async with hub.http.post(hub.url + "/console/api/login",
                                     json={"attendant_id": "1001", "pin": "1234"},
                                     headers={"Origin": hub.url}) as resp:
                assert resp.status == 429
                assert "locked until" in (await resp.json())["error"]
            results = [r["result"] for r in audit_rows(hub.store, 20)
                       if r["attendant_id"] == "1001"]
            assert results == ["locked", "locked", "locked", "failed", "failed", "failed",
                               "failed"]

    asyncio.run(go())


def test_a_login_gives_a_strict_cookie_and_logout_ends_the_session(hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db) as store:
            console = await store.console()
            async with console.http.post(store.hub.url + "/console/api/login",
                                         json={"attendant_id": "1001", "pin": "1234"},
                                         headers={"Origin": store.hub.url}) as resp:
                assert resp.status == 200
                answer = await resp.json()
                cookie = resp.headers["Set-Cookie"]
            assert answer["attendant"] == {"id": "1001", "name": "Anna", "role": "attendant"}
            assert "kiosk_console=" in cookie and "HttpOnly" in cookie
            assert "SameSite=Strict" in cookie and "Path=/" in cookie
            assert "Secure" not in cookie  # plain http on the store LAN
            console.csrf = answer["csrf_token"]
            status, me = await console.request("GET", "/console/api/me")
            assert status == 200 and me == answer
            status, _ = await console.request("POST", "/console/api/logout", csrf="forged")
            assert status == 403
            status, _ = await console.request("POST", "/console/api/logout")
            assert status == 204
            status, _ = await console.request("GET", "/console/api/me")
            assert status == 401

    asyncio.run(go())


def test_a_login_from_a_foreign_page_is_refused(hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db) as store:
            console = await store.console()
            status, answer = await console.request(
                "POST", "/console/api/login", {"attendant_id": "1001", "pin": "1234"},
                origin="http://evil.example")
            assert status == 403 and "Origin" in answer["error"]
            status, _ = await console.request("GET", "/console/api/me")
            assert status == 401

    asyncio.run(go())


def test_a_supervisor_logs_in_with_a_badge_and_reads_the_audit_trail(
        hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db) as store:
            sven = await store.console()
            status, answer = await sven.request("POST", "/console/api/login",
                                                {"badge": "STAFF-NOBODY"})
            assert status == 401 and answer["error"] == "Badge not recognised."
            status, answer = await sven.request("POST", "/console/api/login",
                                                {"badge": "STAFF-SVEN-1"})
            assert status == 200 and answer["attendant"]["role"] == "supervisor"
            status, trail = await sven.request("GET", "/console/api/audit?limit=5")
            assert status == 200
            assert [(r["action"], r["result"]) for r in trail["audit"]][:2] == [
                ("login", "ok"), ("login", "failed")]
            assert trail["audit"][0]["attendant_id"] == "2001"
            assert trail["audit"][0]["remote_addr"] == "127.0.0.1"
            anna = await store.logged_in()
            status, answer = await anna.request("GET", "/console/api/audit")
            assert status == 403 and "supervisor" in answer["error"]
            status, _ = await sven.request("GET", "/console/api/audit?limit=0")
            assert status == 400

    asyncio.run(go())


def test_the_console_page_is_served_with_a_strict_csp_and_never_cached(tmp_path: Path) -> None:
    async def go() -> None:
        async with running_hub(tmp_path / "hub.sqlite") as hub:
            async with hub.http.get(hub.url + "/console") as resp:
                assert resp.status == 200
                assert resp.headers["Cache-Control"] == "no-store"
                csp = resp.headers["Content-Security-Policy"]
                assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
                assert resp.content_type == "text/html"
                assert "<html" in await resp.text()
            for name in ("../store.py", ".hidden.js", "nothing-here.js"):
                async with hub.http.get(hub.url + "/console/static/" + name) as resp:
                    assert resp.status == 404

    asyncio.run(go())


def test_kiosk_hub_attendant_adds_lists_and_disables_attendants(tmp_path: Path) -> None:
    db = str(tmp_path / "hub.sqlite")

    def hub(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([*KIOSK, "hub", "--db", db, "attendant", *args], input=stdin,
                              capture_output=True, text=True, timeout=60)

    done = hub("add", "--id", "1001", "--name", "Anna", "--role", "attendant", "--pin-stdin",
               stdin="2468\n")
    assert done.returncode == 0, done.stderr
    assert "2468" not in done.stdout + done.stderr
    done = hub("add", "--id", "1002", "--name", "Ben", "--pin-stdin", stdin="12\n")
    assert done.returncode != 0 and "PIN must be 4 to 8 digits" in done.stderr
    done = hub("add", "--id", "1001", "--name", "Anna", "--pin-stdin", stdin="1357\n")
    assert done.returncode != 0 and "already exists" in done.stderr
    done = hub("add", "--id", "2001", "--name", "Sven", "--role", "supervisor", "--badge",
               "--pin-stdin", stdin="1357\nSTAFF-SVEN-1\n")
    assert done.returncode == 0, done.stderr
    assert hub("list").stdout.splitlines() == ["1001\tAnna\tattendant\tactive",
                                               "2001\tSven\tsupervisor\tactive, badge"]
    assert hub("disable", "1001").returncode == 0
    assert hub("disable", "9999").returncode == 1
    assert hub("list").stdout.splitlines()[0] == "1001\tAnna\tattendant\tdisabled"
    with HubStore.open(db) as store:
        [(pin_hash,)] = store.query("SELECT pin_hash FROM attendants WHERE attendant_id = ?",
                                    ("1001",))
    assert str(pin_hash).startswith("scrypt$16384$8$1$") and "2468" not in str(pin_hash)


def test_a_session_ends_after_15_idle_minutes_or_12_hours_or_when_disabled(
        hub_db: Path | str) -> None:
    with HubStore.open(hub_db) as store:
        add_attendant(store, "1001", "Anna", "attendant", "1234")
        start = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
        idle, _ = create_session(store, "1001", start)
        assert session_for(store, idle, start + timedelta(minutes=14)) is not None
        assert session_for(store, idle, start + timedelta(minutes=28)) is not None  # touched
        assert session_for(store, idle, start + timedelta(minutes=44)) is None
        busy, _ = create_session(store, "1001", start)
        at = start
        while at < start + timedelta(hours=11, minutes=50):
            at += timedelta(minutes=10)
            assert session_for(store, busy, at) is not None
        assert session_for(store, busy, start + timedelta(hours=12, minutes=1)) is None
        later, _ = create_session(store, "1001", start)
        disable_attendant(store, "1001")
        assert session_for(store, later, start) is None
