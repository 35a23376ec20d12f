"""The sysusers and tmpfiles files make the users, groups and folders the units expect.

systemd-sysusers and systemd-tmpfiles run against a temporary root (`--root=`), after Debian's
own basic users (/usr/lib/sysusers.d/basic.conf), as at the appliance's first boot.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYSUSERS = ROOT / "systemd" / "sysusers.d" / "kiosk.conf"
TMPFILES = ROOT / "systemd" / "tmpfiles.d" / "kiosk.conf"
BASIC = Path("/usr/lib/sysusers.d/basic.conf")


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None or not BASIC.exists():
        reason = f"{name} is not installed. Run: sudo apt-get install -y systemd"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must check the sysusers and tmpfiles files, but {reason}")
        pytest.skip(reason)
    return found


def run(*args: str) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and "Failed" not in result.stderr, result.stderr


@pytest.fixture()
def booted_root(tmp_path: Path) -> Path:
    (tmp_path / "etc").mkdir()
    run(tool("systemd-sysusers"), f"--root={tmp_path}", str(BASIC), str(SYSUSERS))
    return tmp_path


def members(root: Path) -> dict[str, set[str]]:
    groups = {}
    for line in (root / "etc" / "group").read_text().splitlines():
        name, _, _, users = line.split(":")
        groups[name] = set(filter(None, users.split(",")))
    return groups


def test_the_kiosk_user_is_in_exactly_the_groups_its_devices_need(booted_root: Path) -> None:
    groups = members(booted_root)
    assert {g for g, users in groups.items() if "kiosk" in users} == {
        "video", "render", "input", "dialout", "gpio", "audio"}
    assert "kiosk-hub" in groups and not any("kiosk-hub" in u for u in groups.values())


def test_the_kiosk_users_cannot_log_in(booted_root: Path) -> None:
    passwd = {line.split(":")[0]: line.split(":") for line in
              (booted_root / "etc" / "passwd").read_text().splitlines()}
    for user, home in (("kiosk", "/var/lib/kiosk"), ("kiosk-hub", "/var/lib/kiosk-hub")):
        assert passwd[user][5] == home
        assert passwd[user][6].endswith("nologin")


def test_the_state_folders_exist_and_only_root_can_open_the_credential_store(
        booted_root: Path) -> None:
    run(tool("systemd-tmpfiles"), f"--root={booted_root}", "--create", str(TMPFILES))
    kiosk_uid = next(int(line.split(":")[2]) for line in
                     (booted_root / "etc" / "passwd").read_text().splitlines()
                     if line.startswith("kiosk:"))
    state = booted_root / "var" / "lib" / "kiosk"
    assert state.stat().st_uid == kiosk_uid and state.stat().st_mode & 0o777 == 0o750
    credstore = state / "credstore"
    assert credstore.stat().st_uid == 0 and credstore.stat().st_mode & 0o777 == 0o700
    assert (booted_root / "var" / "lib" / "kiosk-hub").is_dir()


def test_the_units_find_the_hub_token_through_the_credential_search_path(
        booted_root: Path) -> None:
    run(tool("systemd-tmpfiles"), f"--root={booted_root}", "--create", str(TMPFILES))
    link = booted_root / "run" / "credstore.encrypted" / "hub-token"
    assert link.is_symlink()
    assert str(link.readlink()) == "/var/lib/kiosk/credstore/hub-token.cred"
    for unit in ("kiosk.service", "kiosk-uploader.service"):
        text = (ROOT / "systemd" / unit).read_text()
        assert "\nLoadCredentialEncrypted=hub-token\n" in text, unit
