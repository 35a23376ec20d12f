"""The udev rules give every lane device a stable name the config can rely on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[2] / "systemd" / "udev" / "99-kiosk.rules"
PAIR = re.compile(r'\s*([A-Z_]+(?:\{[A-Za-z_]+\})?)\s*(==|!=|\+=|:=|=)\s*"([^"]*)"\s*(?:,|$)')
KNOWN_KEYS = {"ACTION", "SUBSYSTEM", "KERNEL", "ATTRS", "ENV", "SYMLINK", "GROUP", "MODE",
              "TAG", "GOTO", "LABEL"}


def rules() -> list[dict[str, tuple[str, str]]]:
    parsed = []
    for line in RULES.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pairs = PAIR.findall(line)
        assert "".join(f'{k}{op}"{v}"' for k, op, v in pairs) == re.sub(
            r'\s*,\s*', "", line.strip()), f"unparsable udev rule: {line}"
        for key, _, _ in pairs:
            assert key.split("{")[0] in KNOWN_KEYS, f"unknown key {key} in: {line}"
        parsed.append({k: (op, v) for k, op, v in pairs})
    return parsed


def naming_rules() -> list[dict[str, tuple[str, str]]]:
    return [r for r in rules() if "SYMLINK" in r]


def test_every_lane_device_has_a_stable_symlink() -> None:
    names = {r["SYMLINK"][1] for r in naming_rules()}
    assert names == {"kiosk-scanner", "kiosk-wedge", "kiosk-scale", "kiosk-bagging-scale",
                     "kiosk-printer", "kiosk-terminal"}


@pytest.mark.parametrize("rule", naming_rules(), ids=lambda r: r["SYMLINK"][1])
def test_each_named_device_is_matched_by_vendor_and_given_to_the_right_group(
        rule: dict[str, tuple[str, str]]) -> None:
    assert rule["SYMLINK"][0] == "+="
    assert re.fullmatch(r"[0-9a-f]{4}", rule["ATTRS{idVendor}"][1])
    assert rule["MODE"] == ("=", "0660")
    assert rule["TAG"] == ("+=", "systemd")
    group = {"tty": "dialout", "input": "input"}[rule["SUBSYSTEM"][1]]
    assert rule["GROUP"] == ("=", group)


def test_usb_serial_cables_are_told_apart_by_serial_or_socket() -> None:
    cables = [r for r in naming_rules() if r["ATTRS{idVendor}"][1] in ("0403", "067b")]
    assert len(cables) >= 3
    for rule in cables:
        assert "ATTRS{idProduct}" in rule
        assert "ATTRS{serial}" in rule or "ENV{ID_PATH}" in rule


def test_gpio_chips_belong_to_the_gpio_group_the_kiosk_is_in() -> None:
    chips = [r for r in rules() if r.get("SUBSYSTEM") == ("==", "gpio")]
    assert chips == [{"SUBSYSTEM": ("==", "gpio"), "KERNEL": ("==", "gpiochip*"),
                      "GROUP": ("=", "gpio"), "MODE": ("=", "0660")}]
