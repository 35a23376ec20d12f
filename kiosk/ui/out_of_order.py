"""The "Außer Betrieb / Out of order" screen (`kiosk out-of-order`, kiosk-out-of-order.service).

systemd starts it through kiosk.service's OnFailure= once the lane gave up (the start limit was
hit). It must work while whatever broke the lane is still broken, so it reads no config and no
journal database: only what systemd hands an OnFailure= unit ($MONITOR_SERVICE_RESULT,
$MONITOR_EXIT_CODE, $MONITOR_EXIT_STATUS, $MONITOR_UNIT; systemd >= 251) and, when the system
journal is readable, the failed unit's last error line, for the technician. The shopper reads
German and English; the technician's detail stays in the words the logs used.
"""

from __future__ import annotations

import logging
import re
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

log = logging.getLogger(__name__)

TITLE = "Außer Betrieb\nOut of order"
ASK = ("Bitte benutzen Sie eine andere Kasse. Unser Personal ist informiert.\n"
       "Please use another checkout. Our staff have been told.")
# $MONITOR_SERVICE_RESULT -> (German, English); {status} is $MONITOR_EXIT_STATUS.
REASONS = {
    "start-limit-hit": ("Die Kasse ist mehrmals hintereinander ausgefallen.",
                        "The lane failed several times in a row."),
    "watchdog": ("Die Kasse hat nicht mehr reagiert (Watchdog).",
                 "The lane stopped responding (watchdog)."),
    "exit-code": ("Die Kasse wurde mit Fehler {status} beendet.",
                  "The lane stopped with exit status {status}."),
    "signal": ("Die Kasse wurde durch Signal {status} beendet.",
               "The lane was killed by signal {status}."),
    "core-dump": ("Die Kasse ist abgestürzt (Signal {status}).",
                  "The lane crashed (signal {status})."),
    "timeout": ("Die Kasse ist nicht rechtzeitig gestartet.",
                "The lane did not start in time."),
}
GENERIC = ("Ein technischer Fehler ist aufgetreten.", "A technical fault occurred.")
JOURNAL_TIMEOUT_S = 3.0
DETAIL_MAX_CHARS = 200
# A line worth showing: a logged error, or the exception line that ends a traceback.
ERROR_LINE = re.compile(r"\b(ERROR|CRITICAL)\b|^\w+(\.\w+)*(Error|Exception): ")


def reason(env: Mapping[str, str]) -> tuple[str, str]:
    """Why the lane failed, (German, English), from the $MONITOR_* variables systemd sets."""
    result = env.get("MONITOR_SERVICE_RESULT", "")
    status = env.get("MONITOR_EXIT_STATUS", "") or "?"
    de, en = REASONS.get(result, GENERIC)
    return de.format(status=status), en.format(status=status)


def last_error(lines: Sequence[str]) -> str | None:
    """The last error-looking line of the failed unit's log, shortened; None if there is none."""
    for line in reversed(lines):
        text = line.strip()
        if ERROR_LINE.search(text):
            return text if len(text) <= DETAIL_MAX_CHARS else text[:DETAIL_MAX_CHARS - 1] + "…"
    return None


def read_journal(unit: str, lines: int = 40) -> list[str]:
    """The unit's last `lines` log lines from the system journal, or [] when it cannot be read
    (no permission, no journalctl, a broken journal): the screen never waits for or on it."""
    try:
        done = subprocess.run(
            ["journalctl", "--no-pager", "--quiet", "--output=cat", f"--lines={lines}",
             f"--unit={unit}"],
            capture_output=True, text=True, timeout=JOURNAL_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError) as err:
        log.info("cannot read the journal of %s (%s); showing the generic reason", unit, err)
        return []
    return done.stdout.splitlines() if done.returncode == 0 else []


def screen_text(env: Mapping[str, str], journal: Sequence[str]) -> tuple[str, str, str]:
    """(title, what to do, reason and technician detail) as the screen shows them."""
    de, en = reason(env)
    detail = last_error(journal)
    unit = env.get("MONITOR_UNIT", "kiosk.service")
    why = f"{de}\n{en}\n\n{unit}: {detail}" if detail else f"{de}\n{en}"
    return TITLE, ASK, why


def run_out_of_order(env: Mapping[str, str], *, text_only: bool = False) -> int:
    """Show the screen until stopped (systemd stops it when kiosk.service starts again);
    `text_only` prints the same text and returns, for a technician's shell."""
    unit = env.get("MONITOR_UNIT", "kiosk.service")
    title, ask, why = screen_text(env, read_journal(unit))
    if text_only:
        print(f"{title}\n\n{ask}\n\n{why}")
        return 0
    _show(title, ask, why)
    return 0


def _show(title: str, ask: str, why: str) -> None:
    import os

    os.environ.setdefault("KIVY_NO_ARGS", "1")
    # Kivy logs through our logging (one line each in the journal, at our level), not
    # through its own coloured console copy and a log file on the SD card.
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    from kivy.app import App
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("graphics", "fullscreen", "auto")

    class OutOfOrderApp(App):
        def build(self) -> Any:
            from kivy.clock import Clock
            from kivy.core.window import Window
            from kivy.uix.boxlayout import BoxLayout
            from kivy.uix.label import Label

            Window.clearcolor = (0.55, 0.05, 0.05, 1)  # the red of the tower light's fault
            Window.show_cursor = False
            box = BoxLayout(orientation="vertical", padding=40, spacing=20)
            for text, size in ((title, "64sp"), (ask, "28sp"), (why, "18sp")):
                label = Label(text=text, font_size=size, halign="center", valign="middle")
                label.bind(size=lambda lbl, value: setattr(lbl, "text_size", value))
                box.add_widget(label)
            Clock.schedule_once(lambda _dt: log.info("out-of-order screen shown: %s",
                                                     why.replace("\n", " / ")), 0)
            return box

    OutOfOrderApp(title="Außer Betrieb / Out of order").run()
