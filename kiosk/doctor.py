"""`kiosk doctor`: what is configured, what is wrong, and what to do (part of the composition
root: it reads the config, the journal and the devices, and changes nothing).

Each check prints one line: OK, WARN or FAIL, the thing checked, and for a problem the next step.
A scale port is probed with each protocol's own line settings, so a scale that speaks another
protocol than configured is named. The exit status is 1 when any check fails.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import Config
from kiosk.config_devices import DevicesConfig, ScaleConfig

OK, WARN, FAIL = "OK", "WARN", "FAIL"


@dataclass(frozen=True, slots=True)
class Finding:
    level: str
    what: str
    detail: str

    def __str__(self) -> str:
        return f"{self.level:<4}  {self.what:<10}  {self.detail}"


def examine(config: Config, devices: DevicesConfig) -> list[Finding]:
    """Every check for this lane, in the order a technician would go through them."""
    return [*_config(config), *_journal(config), *_devices(devices)]


def _probe(url: str) -> str | None:
    """The scale protocol answering on `url`, or None; raises HardwareError if it won't open."""
    from hardware.scale import probe

    return asyncio.run(probe(url))


def probe_port(url: str) -> Finding:
    """Which scale protocol answers on `url` (for `kiosk doctor --probe PORT`)."""
    from hardware.errors import HardwareError

    try:
        protocol = _probe(url)
    except HardwareError as err:
        return Finding(FAIL, "probe", f"{err}")
    if protocol is None:
        return Finding(WARN, "probe", f"{url}: no scale protocol answered (toledo, nci, mtsics); "
                       "check the cable, power and line settings")
    return Finding(OK, "probe", f"{url}: a scale answers in the {protocol} protocol; set "
                   f'protocol = "{protocol}" for it')


def _config(config: Config) -> Iterator[Finding]:
    where = str(config.source) if config.source else "built-in demo settings (no config file)"
    yield Finding(OK, "config", f"{where}; store {config.store.id}, lane {config.lane.id}")
    if not config.attendants:
        yield Finding(WARN, "config", "no attendants: nobody can clear an intervention; add "
                      "[[attendants]] with `python -m kiosk.config hash-pin`")


def _journal(config: Config) -> Iterator[Finding]:
    from kiosk.errors import KioskError
    from kiosk.journal import sales
    from kiosk.journal.catalog import CatalogStore
    from kiosk.journal.db import integrity_ok, open_db

    path = config.paths.journal
    if not path.exists():
        yield Finding(WARN, "journal", f"{path} does not exist yet; `kiosk run` creates it")
        return
    try:
        db = open_db(path)
    except KioskError as err:
        yield Finding(FAIL, "journal", f"{err}")
        return
    try:
        if not integrity_ok(db):
            yield Finding(FAIL, "journal", f"{path} fails PRAGMA integrity_check; keep the file "
                          "and restore the lane from its last backup")
        chain = sales.verify_chain(db, config.lane.id)
        count = len(list(sales.lane_sales(db, config.lane.id)))
        state = OK if chain.ok else FAIL
        yield Finding(state, "sales", f"{count} sale(s) on lane {config.lane.id}; hash chain "
                      f"{'intact' if chain.ok else 'BROKEN at seq ' + str(chain.first_bad_seq)}")
        box = sales.outbox_status(db)
        level = OK if box.pending == 0 else WARN
        detail = f"{box.pending} sale(s) waiting for upload"
        if box.pending:
            detail += f", oldest from {box.oldest_pending_at}"
        if box.last_error:
            detail += f"; last error: {box.last_error}"
        yield Finding(level, "outbox", detail)
        if box.quarantined:
            yield Finding(WARN, "quarantine", f"{box.quarantined} sale(s) refused by the hub and "
                          f"set aside (kept, not sent again); newest reason: "
                          f"{box.newest_quarantine_reason}; report them to the store's IT")
        yield _disk(path, config.journal.keep_acked_days)
        store = CatalogStore(db)
        level = OK if len(store) else WARN
        yield Finding(level, "catalog", f"{len(store)} products, version {store.version}")
    finally:
        db.conn.close()


def _disk(path: Path, keep_acked_days: int) -> Finding:
    """The journal's size and the free space where it lives; low space is a warning because a
    lane that cannot write its journal refuses the next scan and payment (JournalError)."""
    from kiosk.journal.retention import disk_status

    disk = disk_status(path)
    if disk.low:
        return Finding(WARN, "disk", f"{disk}: low on space; the lane stops selling when the "
                       "journal cannot be written; free space, or get the uploader through to "
                       f"the hub so sales older than {keep_acked_days} days can be pruned")
    return Finding(OK, "disk", f"{disk}; acknowledged sales are kept {keep_acked_days} days")


def _devices(devices: DevicesConfig) -> Iterator[Finding]:
    if devices.simulate:
        yield Finding(OK, "devices", "simulated (devices.simulate = true): no hardware checked")
        return
    if not devices.any:
        yield Finding(WARN, "devices", "none configured: codes are typed on the screen; see "
                      "docs/devices.md")
        return
    if devices.scanner is not None:
        yield _port("scanner", devices.scanner.port)
    if devices.wedge is not None:
        yield _port("wedge", devices.wedge.path)
    for name, scale in (("scale", devices.scale), ("bagging", devices.bagging)):
        if scale is not None:
            yield _scale(name, scale)
    if devices.gpio is not None:
        yield _gpio(devices.gpio.pin_factory)
    if devices.terminal is not None:
        yield _terminal(devices.terminal.url)
    if devices.printer is not None:
        url = devices.printer.url
        if url.startswith("file://"):
            folder = Path(url.removeprefix("file://")).parent
            ok = folder.is_dir() and os.access(folder, os.W_OK)
            yield Finding(OK if ok else FAIL, "printer", f"{url}: receipts are written to a file"
                          + ("" if ok else f"; {folder} is not a writable folder"))
        elif url.startswith("tcp://"):
            yield _reachable("printer", url)
        else:
            yield _port("printer", url)


def _terminal(url: str) -> Finding:
    """The card terminal: a serial port like any other, or a TCP address that must accept."""
    return _reachable("terminal", url) if url.startswith("tcp://") else _port("terminal", url)


def _reachable(name: str, url: str, timeout_s: float = 3.0) -> Finding:
    """Whether `tcp://host:port` accepts a connection (closed at once; nothing is sent)."""
    import socket

    host, _, port = url.removeprefix("tcp://").rpartition(":")
    if not host or not port.isdigit():
        return Finding(FAIL, name, f"{url}: expected tcp://HOST:PORT")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            pass
    except OSError as err:
        return Finding(FAIL, name, f"{url}: no connection ({err.strerror or err}); check the "
                       "address, the cable, and that the device is switched on")
    return Finding(OK, name, f"{url}: accepts connections")


def _port(name: str, url: str) -> Finding:
    if "://" in url:
        return Finding(OK, name, f"{url} (a network URL: not checked without connecting)")
    path = Path(url)
    if not path.exists():
        return Finding(FAIL, name, f"{url} does not exist: check the cable and the udev rule "
                       "that makes the symlink (docs/devices.md)")
    if not os.access(path, os.R_OK | os.W_OK):
        return Finding(FAIL, name, f"{url} is not readable and writable by this user: add it to "
                       "the 'dialout' (serial) or 'input' (wedge) group")
    target = os.path.realpath(path)
    return Finding(OK, name, f"{url} -> {target}")


def _scale(name: str, scale: ScaleConfig) -> Finding:
    found = _port(name, scale.line.port)
    if found.level != OK or "://" in scale.line.port:
        return found
    from hardware.errors import HardwareError

    try:
        spoken = _probe(scale.line.port)
    except HardwareError as err:
        return Finding(FAIL, name, f"{err}")
    if spoken is None:
        return Finding(FAIL, name, f"{scale.line.port}: configured as {scale.protocol} but "
                       "nothing answers (is the kiosk holding the port? stop it first)")
    if spoken != scale.protocol:
        return Finding(FAIL, name, f"{scale.line.port}: configured as {scale.protocol} but the "
                       f"scale speaks {spoken}; set protocol = \"{spoken}\"")
    return Finding(OK, name, f"{scale.line.port}: answers as {scale.protocol}")


def _gpio(factory: str) -> Finding:
    from hardware.errors import HardwareError
    from hardware.gpio import make_pin_factory

    try:
        pins = make_pin_factory(factory)
    except HardwareError as err:
        return Finding(FAIL, "gpio", f"{err}")
    except Exception as err:  # any backend failure is a finding, not a crash
        return Finding(FAIL, "gpio", f"pin factory {factory!r} does not work here: {err}")
    close = getattr(pins, "close", None)
    if close is not None:
        close()
    return Finding(OK, "gpio", f"pin factory {factory!r} is available")
