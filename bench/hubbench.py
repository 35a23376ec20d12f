"""Shared pieces of the hub benchmarks (bench/hub_catchup.py, bench/hub_load.py).

- `backends(choice)`: the hub databases to run against. SQLite is a temporary file; PostgreSQL
  is a throwaway server from tests/pgserver.py (`TemporaryPostgres`), used only when that
  helper, the PostgreSQL binaries and the hub's PostgreSQL backend are all there; otherwise the
  backend is skipped with a note (the benchmark never crashes for it).
- `HubProcess`: `kiosk hub` served by a subprocess on 127.0.0.1 (a free port), like
  production, so the hub's CPU time is its own process's, read from /proc/PID/stat.
- `realistic_sale(lane, n)`: a finished sale as the checkout records it, 10-20 lines.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# tests/pgserver.py is a helper of the repository, not an installed module.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
_LISTENING = re.compile(r"listening on (http://\S+)")


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()  # the name in parentheses may hold spaces


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (/proc/PID/stat, fields 14 and 15)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS_PER_S


def server_tree_cpu_s(pid: int) -> float:
    """CPU seconds of a server process, its live children and its reaped children (fields 14
    to 17 of the parent, 14 and 15 of each child): a PostgreSQL postmaster and its backends."""
    fields = _stat(pid)
    total = sum(int(f) for f in fields[11:15]) / _CLOCK_TICKS_PER_S
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(_stat(int(entry.name))[1]) == pid:
                    total += process_cpu_s(int(entry.name))
    return total


@dataclass(frozen=True, slots=True)
class Backend:
    """One hub database: `name` ("sqlite" or "postgresql") and what `--db` gets;
    `server_pid` is the PostgreSQL server's postmaster (0 for SQLite: no server)."""

    name: str
    db: str
    server_pid: int = 0

    def server_cpu_s(self) -> float:
        return server_tree_cpu_s(self.server_pid) if self.server_pid else 0.0


@dataclass(frozen=True, slots=True)
class Skipped:
    name: str
    note: str


def postgres_missing() -> str:
    """Why PostgreSQL cannot be benchmarked here, or "" when it can."""
    if not (ROOT / "tests" / "pgserver.py").is_file():
        return "tests/pgserver.py (TemporaryPostgres) is not in this tree yet"
    if shutil.which("initdb") is None and not list(Path("/usr/lib/postgresql").glob("*/bin")):
        return "PostgreSQL is not installed (no initdb); install it to run this backend"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed, so the hub has no PostgreSQL backend here"
    return _hub_speaks_postgres()


def _hub_speaks_postgres() -> str:
    """"" when HubStore opens a throwaway PostgreSQL's URL, else why not (one start, ~2 s)."""
    from kiosk.hub.store import HubStore

    try:
        with durable_postgres() as (url, _), HubStore.open(url):
            return ""
    except Exception as e:  # any failure here means: skip the backend, say why
        return (f"HubStore cannot use PostgreSQL here yet ({type(e).__name__}: "
                f"{str(e)[:160]})")


@contextlib.contextmanager
def backend_db(name: str, folder: Path, label: str) -> Iterator[Backend]:
    """A fresh, empty hub database of kind `name` for one run called `label`."""
    if name == "sqlite":
        yield Backend(name, str(folder / f"hub-{label}.sqlite"))
        return
    with durable_postgres() as (url, pid):
        yield Backend(name, url, pid)


# What a real hub's PostgreSQL runs with; tests/pgserver.py turns fsync off for tests, which
# would make PostgreSQL's commits look cheaper than SQLite's synchronous=FULL ones.
PG_SETTINGS = {"fsync": "on", "full_page_writes": "on", "shared_buffers": "128MB"}


@contextlib.contextmanager
def durable_postgres() -> Iterator[tuple[str, int]]:
    """tests/pgserver.py's TemporaryPostgres started with PG_SETTINGS; yields its URL and the
    postmaster's pid."""
    from tests.pgserver import TemporaryPostgres

    class DurablePostgres(TemporaryPostgres):
        def _run(self, *argv: str) -> None:
            if argv[:2] == ("pg_ctl", "start"):
                options = argv[-1]
                for key, value in PG_SETTINGS.items():
                    options = re.sub(rf"-c {key}=\S+", "", options) + f" -c {key}={value}"
                argv = (*argv[:-1], options)
            super()._run(*argv)

    server = DurablePostgres()
    with server as url:
        assert server.folder is not None
        pid = int((server.folder / "data" / "postmaster.pid").read_text().split()[0])
        yield str(url), pid


def chosen_backends(choice: str) -> tuple[list[str], list[Skipped]]:
    """The backend names to run for `--backend` sqlite|postgresql|both, and the skipped ones."""
    wanted = ["sqlite", "postgresql"] if choice == "both" else [choice]
    run: list[str] = []
    skipped: list[Skipped] = []
    for name in wanted:
        missing = postgres_missing() if name == "postgresql" else ""
        if missing:
            skipped.append(Skipped(name, missing))
        else:
            run.append(name)
    return run, skipped


class HubProcess:
    """`python -m kiosk hub --db DB --listen 127.0.0.1:0` as a child process; `url`, `pid`."""

    def __init__(self, db: str, log_dir: Path) -> None:
        self._log = (log_dir / "hub.log").open("a", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "hub", "--db", db, "--listen", "127.0.0.1:0"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=self._log, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        found = _LISTENING.search(line)
        if found is None:
            self.stop()
            raise RuntimeError(f"kiosk hub did not start (said {line!r}); see {log_dir}/hub.log")
        self.url = found.group(1)
        self.pid = self.proc.pid

    def cpu_s(self) -> float:
        return process_cpu_s(self.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()

    def __enter__(self) -> HubProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def work_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="hubbench-") as tmp:
        yield Path(tmp)


_PRODUCTS = [(f"SKU-{i:05d}", f"42{i:011d}", f"Artikel {i}", 49 + (i * 37) % 900,
              7 if i % 3 else 19) for i in range(400)]


def realistic_sale(lane_id: str, n: int, rng: random.Random) -> dict[str, Any]:
    """Sale `n` of `lane_id` shaped like the checkout's sale record: 10-20 lines, totals by VAT
    rate, one card payment; about 4-7 KB of canonical JSON."""
    lines: list[dict[str, Any]] = []
    total = 0
    for line_id in range(1, rng.randint(10, 20) + 1):
        sku, gtin, name, price, vat = rng.choice(_PRODUCTS)
        quantity = rng.randint(1, 3)
        total += price * quantity
        lines.append({"line_id": line_id, "sku": sku, "names": {"de": name, "en": name},
                      "unit_price_cents": price, "vat_rate": vat, "quantity": quantity,
                      "weight_g": None, "price_override_cents": None, "code": gtin,
                      "age_limit": None, "deposit_of": None, "category": "Lebensmittel",
                      "voided_by": None, "extra": {}})
    minute, second = divmod(n % 3600, 60)
    at = f"2026-11-20T{8 + (n // 3600) % 12:02d}:{minute:02d}:{second:02d}.000Z"
    return {"sale_id": f"S-{lane_id}-{n}", "basket_id": f"B-{lane_id}-{n}", "lane_id": lane_id,
            "opened_at": at, "finished_at": at, "lines": lines,
            "totals": {"total_cents": total, "discount_cents": 0,
                       "vat": [{"rate": 7, "percent": "7", "gross_cents": total,
                                "net_cents": total * 100 // 107,
                                "vat_cents": total - total * 100 // 107}]},
            "payments": [{"method": "card", "amount_cents": total, "status": "approved",
                          "attempt_id": f"P-{lane_id}-{n}"}],
            "interventions": [], "coupons": [], "verified_age": None}


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def latency_figures(values_ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max of `values_ms` in milliseconds (empty: all 0)."""
    if not values_ms:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    return {"p50_ms": round(statistics.median(values_ms), 2),
            "p95_ms": round(percentile(values_ms, 95), 2),
            "p99_ms": round(percentile(values_ms, 99), 2), "max_ms": round(max(values_ms), 2)}
