"""The `kiosk` command: one entry point with a subcommand per job.

Every subcommand has `--help` a store technician can follow. Errors go to stderr as one plain
sentence with a non-zero exit status; a traceback is shown only with `--debug`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.errors import KioskError

log = logging.getLogger("kiosk")

EXIT_ERROR = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kiosk",
        description="Open self-checkout kiosk. Run `kiosk COMMAND --help` for each command.",
    )
    p.add_argument(
        "-c", "--config", type=Path, default=None,
        help="store/lane config file (TOML); default: $KIOSK_CONFIG, else built-in demo settings",
    )
    p.add_argument("--debug", action="store_true", help="verbose logs and full tracebacks")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run", help="start the lane: the shopper screen with its devices and journal",
        description="Start the self-checkout lane. Without a config it runs the demo store with "
        "simulated payment; type a barcode and press Enter in the window to scan.",
    )
    run.add_argument("--fullscreen", action="store_true", default=None,
                     help="fill the screen (default from the config's lane.fullscreen)")
    run.add_argument("--size", metavar="WxH", default=None,
                     help="window size, e.g. 1280x800 (default from the config)")

    code = sub.add_parser(
        "code", help="explain what the kiosk makes of a scanned code",
        description="Explain a scanned code: symbology (AIM id), kind (GTIN, German in-store "
        "weight/price code, GS1 element string, Digital Link), GTIN, weight or price, the product "
        "it finds in the catalog and the line price, or why it is refused. Put AIM ids first "
        "(']E04006381333931'); write the GS1 separator as \\x1d or use (AI) brackets.",
    )
    code.add_argument("code", help="the code as the scanner sends it")
    code.add_argument("--lang", choices=("de", "en"), default="en", help="language of the texts")

    dec = sub.add_parser(
        "decode", help="read barcodes and QR codes in image files with the camera pipeline",
        description="Run the live camera's decode pipeline on image files, one frame per image. "
        "Prints one line per code found: PATH<TAB>TEXT<TAB>SYMBOLOGY (TEXT with \\t, \\n and "
        "\\\\ escaped), and nothing for an image without a code. Exit 1 when an image "
        "cannot be read.",
    )
    dec.add_argument("images", nargs="+", metavar="IMAGE", help="png, jpg or webp files")

    ooo = sub.add_parser(
        "out-of-order", help="show the 'Außer Betrieb / Out of order' screen (systemd runs it)",
        description="The screen kiosk-out-of-order.service shows when kiosk.service gave up: "
        "German and English, with the reason systemd passes ($MONITOR_SERVICE_RESULT) and the "
        "failed unit's last error line when the journal is readable. Reads no config and no "
        "journal database.",
    )
    ooo.add_argument("--text", action="store_true",
                     help="print the screen's text instead of showing it")

    cat = sub.add_parser("catalog", help="manage the product catalog")
    cat_sub = cat.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    imp = cat_sub.add_parser(
        "import", help="replace the catalog with a CSV or JSON file",
        description="Validate FILE completely, then replace the lane's catalog in one "
        "transaction. If any record is bad, every problem is listed and nothing changes. "
        "The formats are described in docs/catalog.md.",
    )
    imp.add_argument("file", type=Path, help="catalog file (.csv or .json)")

    sim = sub.add_parser(
        "sim", help="start a device simulator and print the port to put into the config",
        description="Simulate a device on a pseudo-terminal, so the kiosk can be tried without "
        "hardware. Prints the port; point [devices.scanner] (or scale, bagging) at it in a "
        "config file and start `kiosk --config FILE run` in another terminal. Then type on "
        "stdin: codes for the scanner, grams (or over, under, ~1234 for moving) for a scale, "
        "a behaviour for the card terminal (approve, decline, next decline, hesitate, ...), "
        "paper states for the printer (ok, near_end, out, cover_open). The card terminal "
        "listens on 127.0.0.1:20007 (ZVT over TCP) unless --port names a serial link.",
    )
    sim.add_argument("device", choices=("scanner", "scale", "bagging", "terminal", "printer"),
                     help="what to simulate")
    sim.add_argument("--protocol", choices=("toledo", "nci", "mtsics"), default=None,
                     help="scale protocol (default: toledo for scale, mtsics for bagging)")
    sim.add_argument("--port", default=None,
                     help="path of the stable symlink to create (default: in a temp folder); "
                     "for the terminal a number is its TCP port (0: any free one)")

    hub = sub.add_parser(
        "hub", add_help=False, help="the store hub: receive sales, publish the catalog, enrol "
        "lanes (kiosk hub --help)",
        description="The store hub; everything after `hub` goes to it (kiosk hub --help).",
    )
    hub.add_argument("hub_args", nargs=argparse.REMAINDER, metavar="...")

    doctor = sub.add_parser(
        "doctor", help="check config, journal, upload queue and devices; say what to do",
        description="Check the lane: config, journal integrity, the sales hash chain, the upload "
        "queue, the catalog, and each configured device (its port exists and is accessible; a "
        "scale is probed to see which protocol answers). Exits 1 when something fails.",
    )
    doctor.add_argument("--probe", metavar="PORT", default=None,
                        help="only probe PORT: which scale protocol answers there")

    healthy = sub.add_parser(
        "healthy", help="after an OS update: confirm this slot once the kiosk stayed up",
        description="The update health gate (kiosk-healthy.timer runs it 10 minutes after "
        "boot). When kiosk.service reached READY, was never restarted since boot and has been "
        "up for --stable-s seconds, run `rauc status mark-good booted`, so the firmware keeps "
        "booting this slot. Otherwise mark nothing, say why and exit 1: the slot stays "
        "unconfirmed and the next reboot after an update starts the previous one.",
    )
    healthy.add_argument("--unit", default="kiosk.service", help="the unit to judge")
    healthy.add_argument("--stable-s", type=int, default=300, metavar="S",
                         help="seconds the unit must have been up without a restart (300)")
    healthy.add_argument("--dry-run", action="store_true",
                         help="decide and say so, but do not call rauc")

    upload = sub.add_parser(
        "upload", help="send finished sales to the store hub (its own process)",
        description="Upload the lane's queued sales to the hub in [sync] hub_url, each exactly "
        "once, and pull the hub's catalog changes. Runs until stopped; failures are retried "
        "with backoff. A sale the hub refuses is quarantined with its reason (see kiosk doctor).",
    )
    upload.add_argument("--once", action="store_true",
                        help="send one batch, print what happened and exit (1 if it failed)")

    enrol = sub.add_parser(
        "enrol", help="register this lane at the store hub with a one-time code",
        description="Trade a one-time code (made on the hub: kiosk hub enrol-code --device "
        "LANE) for this lane's upload token, stored in [sync] token_file with mode 0600.",
    )
    enrol.add_argument("--hub", default=None, metavar="URL",
                       help="the hub's address (default: sync.hub_url from the config)")
    enrol.add_argument("--code", required=True, help="the one-time code the hub printed")
    enrol.add_argument("--device", default=None,
                       help="the device id the code was made for (default: lane.id)")

    fb = sub.add_parser(
        "firstboot", help="first boot: device id, enrol with the boot partition's code, seal "
        "the token",
        description="Give this kiosk its device id, enrol it at the hub named in "
        "kiosk-provision.toml on the boot partition, encrypt the token with systemd-creds and "
        "write provisioned.toml; the file is then renamed .used. Does nothing once enrolled. "
        "A failure's reason goes to enrol-status.json, which the lane's screen shows (exit 1).",
    )
    fb.add_argument("--boot-dir", type=Path, action="append", default=None, metavar="DIR",
                    help="where kiosk-provision.toml is (repeatable; default: /boot/firmware, "
                    "/efi, /boot/efi, /boot)")
    fb.add_argument("--state-dir", type=Path, default=None, metavar="DIR",
                    help="the kiosk's state folder (default: /var/lib/kiosk)")
    fb.add_argument("--network-wait-s", type=float, default=45.0, metavar="S",
                    help="how long to wait for the hub to answer at boot (default 45)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    head, hub_args = _split_hub(words)
    args = _parser().parse_args(head)
    if args.command == "hub":
        args.hub_args = hub_args
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "out-of-order":  # no config: the lane's may be what broke it
        from kiosk.ui.out_of_order import run_out_of_order

        return run_out_of_order(os.environ, text_only=args.text)
    try:
        if args.command == "firstboot":  # root, before any config exists: needs none
            from kiosk.app_firstboot import run_firstboot

            return run_firstboot(args.state_dir, args.boot_dir, args.network_wait_s)
        return _hub(args.hub_args) if args.command == "hub" else _dispatch(args)
    except KioskError as err:
        if args.debug:
            raise
        print(f"kiosk: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in ("sim", "healthy"):  # neither needs the lane's config
        return _simulate(args) if args.command == "sim" else _healthy(args)
    from kiosk import app

    if args.command == "decode":
        return _decode(args.images)
    if args.command == "doctor" and args.probe:
        from kiosk.doctor import FAIL, probe_port

        finding = probe_port(args.probe)
        print(finding)
        return EXIT_ERROR if finding.level == FAIL else 0
    config = app.load(args.config)
    if args.command == "doctor":
        from kiosk.doctor import FAIL, examine

        findings = examine(config, app.devices_of(config))
        for finding in findings:
            print(finding)
        return EXIT_ERROR if any(f.level == FAIL for f in findings) else 0
    if args.command == "code":
        for label, value in app.explain_code(config, args.code.replace("\\x1d", "\x1d"), args.lang):
            print(f"{label:<18} {value}")
        return 0
    if args.command == "catalog":
        report = app.import_catalog(config, args.file)
        print(report)
        return 0
    if args.command in ("upload", "enrol"):
        from kiosk import app_sync

        if args.command == "upload":
            return app_sync.run_upload(config, once=args.once)
        return app_sync.run_enrol(config, args.hub, args.code, args.device)
    if args.command == "run":
        size = _parse_size(args.size) if args.size else None
        return app.run(config, fullscreen=args.fullscreen, size=size)
    raise AssertionError(f"unhandled command {args.command}")


def _healthy(args: argparse.Namespace) -> int:
    from kiosk.app_health import run_healthy

    return run_healthy(args.unit, stable_s=args.stable_s, dry_run=args.dry_run)


def _hub(hub_args: list[str]) -> int:
    from kiosk.hub.cli import run_hub
    from kiosk.journal.catalog_import import read_catalog_file

    return run_hub(hub_args, read_catalog=read_catalog_file)


def _split_hub(words: list[str]) -> tuple[list[str], list[str]]:
    """`kiosk [-c FILE] [--debug] hub ...`: the words after "hub" go to the hub untouched
    (argparse's REMAINDER cannot take options such as --db first)."""
    for i, word in enumerate(words):
        if word == "hub":
            return words[: i + 1], words[i + 1:]
        if not word.startswith("-") and (i == 0 or words[i - 1] not in ("-c", "--config")):
            break
    return words, []


def _decode(images: Sequence[str]) -> int:
    from hardware.camera_decode import DecodePipeline, format_line, load_gray
    from hardware.errors import HardwareError

    pipeline = DecodePipeline()  # one pipeline for all images, as the live camera keeps one
    status = 0
    for path in images:
        try:
            gray = load_gray(path)
        except HardwareError as err:
            print(f"kiosk: {err}", file=sys.stderr)
            status = EXIT_ERROR
            continue
        for read in pipeline.decode(gray):
            print(format_line(path, read))
    return status


def _simulate(args: argparse.Namespace) -> int:
    if args.device == "terminal":
        from hardware.sim.zvt import run_cli as run_terminal

        port = str(args.port or "")
        return run_terminal(["--port", port] if port.isdigit() else
                            ["--serial", port] if port else [])
    if args.device == "printer":
        from hardware.sim.printer import run as run_printer

        return run_printer(Path(args.port) if args.port else None)
    if args.device == "scanner":
        from hardware.sim.scanner import run_cli

        return run_cli(["--port", str(args.port)] if args.port else [])
    from hardware.sim.scale import run

    protocol = args.protocol or ("mtsics" if args.device == "bagging" else "toledo")
    return run(protocol, args.port)


def _parse_size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit() or int(w) < 320 or int(h) < 240:
        raise SystemExit(f"kiosk: --size {text!r} must look like 1280x800 (at least 320x240)")
    return int(w), int(h)


if __name__ == "__main__":
    sys.exit(main())
