"""Crash test: SIGKILL a lane process at random moments; nothing acknowledged is ever lost.

A child process (`crash_child.py`) runs a seeded script of German shopping trips (scans, Pfand,
loose bananas on the scale, quantity changes, voids with an attendant, age checks, declined and
approved payments) through `DurableCheckout` on a real SQLite file and prints each step it has
acknowledged. The parent kills it with SIGKILL at random moments, restarts it (it resumes from
what the journal says) and after every kill checks the file against the same script run purely
in memory.

SIGKILL ends the process, not the machine: the page cache survives, so this proves the
transaction boundaries and the restore path, not the disk's fsync behaviour (synchronous=FULL
and WAL cover that, as documented by SQLite).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kiosk.domain import commands as c
from kiosk.domain.basket import Line
from kiosk.domain.checkout import Checkout, facts_to_record
from kiosk.domain.policy import Reason
from kiosk.errors import KioskError
from kiosk.journal import basket_log, sales
from kiosk.journal.db import canonical_json, integrity_ok, open_db
from kiosk.journal.durable import DurableCheckout

from . import lane

CHILD = Path(__file__).with_name("crash_child.py")
SEED = 20250301
KILLS = 200
MAX_KILL_DELAY_S = 0.012


@dataclass
class Script:
    """The script and what the journal must hold after each number of completed steps."""

    steps: list[dict[str, object]] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    cum_facts: list[int] = field(default_factory=lambda: [0])
    snapshots: list[str] = field(default_factory=list)
    sales_after: list[int] = field(default_factory=lambda: [0])
    totals: list[int] = field(default_factory=list)


class ScriptWriter:
    """Runs commands on an in-memory checkout and keeps those that journal something."""

    def __init__(self) -> None:
        self.co = Checkout(lane_id=lane.LANE_ID, policy=lane.POLICY,
                           attendants=lane.attendants())
        self.shop = lane.catalog()
        self.script = Script(snapshots=[canonical_json(self.co.snapshot())])

    def __call__(self, command: c.Command, *, refused: bool = False) -> None:
        i = len(self.script.steps)
        try:
            facts = self.co.handle(command, lane.context(i, self.shop))
            assert not refused, f"{command!r} was meant to be refused"
        except KioskError as err:
            if not refused:
                raise
            facts = list(facts_to_record(err))
        if not facts:
            return  # nothing journaled: the step index stays free for the next command
        s = self.script
        s.steps.append(lane.command_to_dict(command))
        if refused:
            s.refused.append(i)
        s.cum_facts.append(s.cum_facts[-1] + len(facts))
        s.snapshots.append(canonical_json(self.co.snapshot()))
        sold = [f.data["sale"]["totals"]["total_cents"] for f in facts
                if f.kind == "sale_finished"]
        s.totals.extend(sold)
        s.sales_after.append(s.sales_after[-1] + len(sold))

    def attendant_clears(self, reason: Reason) -> None:
        for found in self.co.interventions:
            if found.reason is reason:
                self(c.AttendantLogin("A1", lane.PIN))
                self(c.Approve(found.intervention_id))

    def open_piece_lines(self) -> list[Line]:
        return [x for x in self.co.basket.active_lines()
                if not x.is_deposit and x.weight_g is None]


def shopping_trip(w: ScriptWriter, rng: random.Random) -> None:
    if rng.random() < 0.2:
        w(c.Start())
    for _ in range(rng.randint(1, 5)):
        w(c.Scan(rng.choice(lane.PIECE_CODES)))
    if rng.random() < 0.3:
        w(c.SelectItem(lane.BANANA_PLU))
        w(c.Weigh(rng.randint(150, 2500)))
    lines = w.open_piece_lines()
    if lines and rng.random() < 0.3:
        line = rng.choice(lines)
        w(c.SetQuantity(line.line_id, min(line.quantity + rng.randint(1, 3), 20)))
    if len(lines) >= 2 and rng.random() < 0.3:
        w(c.RequestVoid(rng.choice(lines).line_id))
        w.attendant_clears(Reason.VOID_APPROVAL)
    if rng.random() < 0.03:
        w(c.AttendantLogin("A1", "0000"), refused=True)
    w.attendant_clears(Reason.AGE_CHECK)
    w(c.Pay())
    if rng.random() < 0.15:
        w(c.PaymentResult(approved=False, amount_cents=w.co.amount_due_cents(),
                          reference="ABGELEHNT", detail="declined by issuer"))
        w(c.Pay())
    w(c.PaymentResult(approved=True, amount_cents=w.co.amount_due_cents(),
                      reference=f"TA-{len(w.script.steps)}"))
    if rng.random() < 0.8:
        w(c.Finish())


def build_script(seed: int, trips: int) -> Script:
    rng = random.Random(seed)
    w = ScriptWriter()
    w(c.AttendantLogin("A1", lane.PIN))
    w(c.Open("A1"))
    for _ in range(trips):
        shopping_trip(w, rng)
    return w.script


class Journal:
    """The parent's view of the child's journal file, checked after every kill."""

    def __init__(self, path: Path, script: Script) -> None:
        self.path = path
        self.script = script
        self.acked = -1  # highest step the child ever acknowledged

    def check(self, resumed_at: int = 0) -> int:
        """Check everything after a run that resumed at step `resumed_at`; returns the number
        of steps the journal holds."""
        db = open_db(self.path)
        try:
            assert integrity_ok(db), "PRAGMA integrity_check failed"
            count = basket_log.fact_count(db, lane.LANE_ID)
            s = self.script
            assert count in s.cum_facts, f"{count} facts is not a step boundary: a torn step"
            done = s.cum_facts.index(count)
            assert done >= self.acked + 1, f"step {self.acked} was acknowledged but is lost"
            # Only the step running when the kill came may be journaled without its ack.
            ran = max(self.acked + 1, resumed_at)
            assert done <= ran + 1, f"{done} steps journaled, but the run got to step {ran}"
            chain = sales.verify_chain(db, lane.LANE_ID)
            assert chain.ok, str(chain)
            recorded = sales.lane_sales(db, lane.LANE_ID)
            assert len(recorded) == s.sales_after[done], "a finished sale was lost or doubled"
            assert [r.total_cents for r in recorded] == s.totals[: len(recorded)]
            outbox = db.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
            assert outbox == len(recorded), "not exactly one upload record per sale"
            restored = DurableCheckout.restore(db, lane.LANE_ID, lane.POLICY, lane.attendants())
            assert canonical_json(restored.checkout.snapshot()) == s.snapshots[done], (
                f"the lane restored after {done} steps differs from the acknowledged lane")
            return done
        finally:
            db.close()

    def record_acks(self, output: str) -> bool:
        """Note every 'ack I' line; True when the child reported 'done'."""
        for line in output.splitlines():
            if line.startswith("ack "):
                self.acked = max(self.acked, int(line.split()[1]))
        return "done" in output.splitlines()


def start_child(db_path: Path, script_path: Path) -> subprocess.Popen[str]:
    # Spawning dominates the test's time: let the children share compiled bytecode in a
    # private folder (the environment may forbid writing it next to the sources).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(db_path.parent / "pycache")
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(db_path), str(script_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def wait_ready(proc: subprocess.Popen[str]) -> int:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("ready "):
        _, err = proc.communicate(timeout=30)
        raise AssertionError(f"child did not start: {line!r}\n{err}")
    return int(line.split()[1])


def drain(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """Everything a dead child wrote. Read through the same buffered files as `wait_ready`:
    `communicate` would read the raw pipe and miss lines `readline` already buffered."""
    assert proc.stdout is not None and proc.stderr is not None
    with proc.stdout, proc.stderr:
        out, err = proc.stdout.read(), proc.stderr.read()
    proc.wait(timeout=30)
    return out, err


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_sigkill_at_random_moments_loses_no_acknowledged_step_and_no_sale(tmp_path: Path
                                                                          ) -> None:
    script = build_script(SEED, trips=300)
    script_path = tmp_path / "script.json"
    script_path.write_text(json.dumps({"steps": script.steps, "cum_facts": script.cum_facts,
                                       "refused": script.refused}), encoding="utf-8")
    db_path = tmp_path / "lane.db"
    journal = Journal(db_path, script)
    rng = random.Random(SEED)
    kills = restarts_mid_basket = resume_at = 0
    finished = False
    while kills < KILLS and not finished:
        proc = start_child(db_path, script_path)
        assert wait_ready(proc) == resume_at, "the child resumed at another step than journaled"
        time.sleep(rng.uniform(0, MAX_KILL_DELAY_S))
        os.kill(proc.pid, signal.SIGKILL)
        out, err = drain(proc)
        finished = journal.record_acks(out)
        assert proc.returncode in (-signal.SIGKILL, 0), err
        kills += proc.returncode == -signal.SIGKILL
        done = resume_at = journal.check(resume_at)
        restarts_mid_basket += json.loads(script.snapshots[done])["basket"]["basket_id"] is not None
    assert kills >= KILLS, f"the script ended after {kills} kills; make it longer"
    assert restarts_mid_basket > KILLS // 4, "too few kills landed inside an open basket"
    # The last run goes to the end of the script without a kill.
    proc = start_child(db_path, script_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert journal.record_acks(out)
    assert journal.check(resume_at) == len(script.steps)
    db = open_db(db_path)
    recorded = sales.lane_sales(db, lane.LANE_ID)
    assert [r.total_cents for r in recorded] == script.totals
    assert sum(r.total_cents for r in recorded) == sum(script.totals)
    db.close()
