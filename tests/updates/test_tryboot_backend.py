"""RAUC's tryboot backend (provisioning/rauc/tryboot-backend) run as RAUC runs it, with /sh.

The Pi is played by files in a temp dir: autoboot.txt (partition 1), the firmware's device-tree
properties (chosen/bootloader/partition and tryboot, 32-bit big-endian) and the kernel's
boot_id. Each test walks the update flow RAUC and the firmware go through and asserts what the
firmware would boot next (autoboot.txt) and what `rauc status` would report.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.updates.conftest import RAUC_DIR, need_tools

BACKEND = RAUC_DIR / "tryboot-backend"
PART = {"A": 2, "B": 3}


class Pi:
    """A Pi's boot state as files, and the backend run against them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.autoboot = root / "autoboot.txt"
        self.autoboot.write_text((RAUC_DIR / "autoboot.txt").read_text())
        (root / "dt").mkdir()
        self.boot_count = 0
        self.boot("A")

    def boot(self, slot: str, *, tryboot: bool = False) -> None:
        """A (re)boot into `slot`'s boot partition; `tryboot` as the firmware's one-shot flag."""
        self.boot_count += 1
        (self.root / "boot_id").write_text(f"boot-{self.boot_count}\n")
        (self.root / "dt" / "partition").write_bytes(PART[slot].to_bytes(4, "big"))
        (self.root / "dt" / "tryboot").write_bytes(int(tryboot).to_bytes(4, "big"))

    def reboot_as_firmware_would(self, *, tryboot: bool) -> None:
        """What the firmware boots after `reboot` or `reboot '0 tryboot'`, per autoboot.txt."""
        section = "tryboot" if tryboot else "all"
        slot = {v: k for k, v in PART.items()}[self.autoboot_partition(section)]
        self.boot(slot, tryboot=tryboot)

    def autoboot_partition(self, section: str) -> int:
        current = ""
        for line in self.autoboot.read_text().splitlines():
            if line.startswith("["):
                current = line.strip("[]")
            elif current == section and line.startswith("boot_partition="):
                return int(line.split("=", 1)[1])
        raise AssertionError(f"no boot_partition in [{section}] of {self.autoboot}")

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": "/usr/bin:/bin",
            "KIOSK_TRYBOOT_AUTOBOOT": str(self.autoboot),
            "KIOSK_TRYBOOT_STATE": str(self.root / "var" / "kiosk-tryboot.state"),
            "KIOSK_TRYBOOT_DT": str(self.root / "dt"),
            "KIOSK_TRYBOOT_BOOT_ID": str(self.root / "boot_id"),
        }
        return subprocess.run(["/bin/sh", str(BACKEND), *args], env=env, capture_output=True,
                              text=True, timeout=30, check=False)

    def ask(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, f"tryboot-backend {' '.join(args)}: {result.stderr}"
        return result.stdout.strip()

    def install_into(self, slot: str) -> None:
        """What `rauc install` asks of the backend around writing `slot`."""
        self.ask("set-state", slot, "bad")
        self.ask("set-primary", slot)


@pytest.fixture
def pi(tmp_path: Path) -> Pi:
    return Pi(tmp_path)


def test_a_fresh_image_boots_slot_a_and_reports_it_good(pi: Pi) -> None:
    assert pi.ask("get-current") == "A"
    assert pi.ask("get-primary") == "A"
    assert pi.ask("get-state", "A") == "good"
    assert pi.ask("get-state", "B") == "good"


def test_an_installed_slot_is_primary_but_a_plain_reboot_still_starts_the_old_one(pi: Pi) -> None:
    pi.install_into("B")
    assert pi.ask("get-primary") == "B"
    assert pi.autoboot_partition("all") == PART["A"]
    assert pi.autoboot_partition("tryboot") == PART["B"]


def test_a_trial_boot_confirmed_by_the_health_gate_becomes_the_normal_boot(pi: Pi) -> None:
    pi.install_into("B")
    pi.reboot_as_firmware_would(tryboot=True)
    assert pi.ask("get-current") == "B"
    assert pi.ask("get-primary") == "B"

    pi.ask("set-state", "B", "good")  # rauc status mark-good, from kiosk healthy

    assert pi.autoboot_partition("all") == PART["B"]
    assert pi.autoboot_partition("tryboot") == PART["A"]
    pi.reboot_as_firmware_would(tryboot=False)
    assert pi.ask("get-current") == "B"
    assert pi.ask("get-primary") == "B"
    assert pi.ask("get-state", "B") == "good"


def test_a_trial_boot_that_was_never_confirmed_falls_back_and_is_reported_bad(pi: Pi) -> None:
    pi.install_into("B")
    pi.reboot_as_firmware_would(tryboot=True)
    # the kiosk crashed: no mark-good; a watchdog reset or power cut clears the tryboot flag
    pi.reboot_as_firmware_would(tryboot=False)

    assert pi.ask("get-current") == "A"
    assert pi.ask("get-primary") == "A"
    assert pi.ask("get-state", "B") == "bad"
    assert pi.autoboot_partition("all") == PART["A"]


def test_mark_good_on_a_normal_boot_commits_nothing(pi: Pi) -> None:
    pi.install_into("B")
    pi.ask("set-state", "B", "good")  # before the trial boot: B never ran, so it is not committed
    assert pi.autoboot_partition("all") == PART["A"]
    pi.ask("set-state", "A", "good")  # the health gate on the old slot, every boot
    assert pi.autoboot_partition("all") == PART["A"]
    assert pi.ask("get-primary") == "B"


def test_a_failed_trial_can_be_retried_by_installing_again(pi: Pi) -> None:
    pi.install_into("B")
    pi.reboot_as_firmware_would(tryboot=True)
    pi.reboot_as_firmware_would(tryboot=False)
    assert pi.ask("get-state", "B") == "bad"

    pi.install_into("B")
    assert pi.ask("get-state", "B") == "good"
    pi.reboot_as_firmware_would(tryboot=True)
    pi.ask("set-state", "B", "good")
    assert pi.autoboot_partition("all") == PART["B"]


def test_the_next_update_after_a_committed_one_goes_back_into_slot_a(pi: Pi) -> None:
    pi.install_into("B")
    pi.reboot_as_firmware_would(tryboot=True)
    pi.ask("set-state", "B", "good")
    pi.reboot_as_firmware_would(tryboot=False)

    pi.install_into("A")
    pi.reboot_as_firmware_would(tryboot=True)
    assert pi.ask("get-current") == "A"
    pi.ask("set-state", "A", "good")
    assert pi.autoboot_partition("all") == PART["A"]
    assert pi.autoboot_partition("tryboot") == PART["B"]


def test_an_install_during_an_unconfirmed_trial_cannot_overwrite_the_fallback_slot(
        pi: Pi) -> None:
    pi.install_into("B")
    pi.reboot_as_firmware_would(tryboot=True)
    refused = pi.run("set-state", "A", "bad")  # RAUC's first step before writing slot A
    assert refused.returncode == 1
    assert "slot A is the fallback of the trial boot running now" in refused.stderr
    assert pi.ask("get-state", "A") == "good"


def test_marking_the_pending_slot_bad_cancels_its_trial(pi: Pi) -> None:
    pi.install_into("B")
    pi.ask("set-state", "B", "bad")
    assert pi.ask("get-primary") == "A"
    assert pi.ask("get-state", "B") == "bad"


def test_making_the_running_slot_primary_again_cancels_a_pending_trial(pi: Pi) -> None:
    pi.install_into("B")
    pi.ask("set-primary", "A")  # rauc status mark-active booted
    assert pi.ask("get-primary") == "A"
    assert pi.autoboot_partition("all") == PART["A"]


def test_autoboot_txt_keeps_the_firmwares_ab_switch_and_no_stray_temp_file(pi: Pi) -> None:
    pi.install_into("B")
    pi.reboot_as_firmware_would(tryboot=True)
    pi.ask("set-state", "B", "good")
    text = pi.autoboot.read_text()
    assert text.splitlines()[:2] == ["[all]", "tryboot_a_b=1"]
    assert len(text.encode()) <= 512  # the firmware reads at most 512 bytes of autoboot.txt
    assert sorted(p.name for p in pi.root.iterdir()) == ["autoboot.txt", "boot_id", "dt", "var"]


@pytest.mark.parametrize(("args", "complaint"), [
    (("get-state", "C"), "slot 'C' is not a bootname of this system (A or B)"),
    (("set-state", "A", "fine"), "state 'fine' is neither good nor bad"),
    (("reboot",), "unknown command 'reboot'"),
])
def test_a_wrong_call_fails_with_a_sentence_naming_it(
        pi: Pi, args: tuple[str, ...], complaint: str) -> None:
    result = pi.run(*args)
    assert result.returncode == 1
    assert complaint in result.stderr


def test_a_missing_autoboot_partition_is_named_with_where_it_should_be(pi: Pi) -> None:
    pi.autoboot.unlink()
    result = pi.run("get-primary")
    assert result.returncode != 0
    assert "is the autoboot partition (partition 1) mounted" in result.stderr


def test_the_update_scripts_are_plain_posix_sh_that_shellcheck_passes() -> None:
    need_tools("shellcheck")
    scripts = [RAUC_DIR / name for name in
               ("tryboot-backend", "bundle-hook", "make-bundle", "check-bundle")]
    result = subprocess.run(["shellcheck", "-s", "sh", *map(str, scripts)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout
