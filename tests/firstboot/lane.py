"""What the firstboot tests share: a kiosk config over a state folder, the `kiosk firstboot`
subprocess, and systemd-creds (root only: the host key is root's)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL = "sudo apt-get install -y systemd   # and run the tests as root (the host key is root's)"


def creds_tool() -> str | None:
    """systemd-creds when it can encrypt here (installed, and we are root), else None."""
    found = shutil.which("systemd-creds")
    return found if found is not None and os.geteuid() == 0 else None


def need_creds() -> str:
    found = creds_tool()
    if found is None:
        reason = f"systemd-creds cannot encrypt here; {INSTALL}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must check the credential, but {reason}")
        pytest.skip(reason)
    return found


def decrypt(cred: Path) -> str:
    done = subprocess.run([need_creds(), "decrypt", "--name=hub-token", str(cred), "-"],
                          capture_output=True, check=True)
    return done.stdout.decode("ascii")


def stored_token(state: Path) -> str:
    """The hub token first boot left in `state`: the sealed credential decrypted where
    systemd-creds can encrypt (then no plain copy may be left), else the plain file."""
    if creds_tool() is None:
        return (state / "hub-token").read_text().strip()
    assert not (state / "hub-token").exists()  # no plain copy left behind
    return decrypt(state / "credstore" / "hub-token.cred")


def provision(boot: Path, hub_url: str, code: str, lane_id: str | None = None) -> Path:
    boot.mkdir(parents=True, exist_ok=True)
    path = boot / "kiosk-provision.toml"
    text = f'hub_url = "{hub_url}"\nenrol_code = "{code}"\n'
    path.write_text(text + (f'lane_id = "{lane_id}"\n' if lane_id else ""), encoding="utf-8")
    return path


def kiosk_config(tmp: Path, state: Path, extra: str = "") -> Path:
    """The image's /etc/kiosk/kiosk.toml: no device id, no hub, no secret."""
    path = tmp / "kiosk.toml"
    path.write_text(f'[paths]\ndata_dir = "{state}"\n[policy]\nopen_on_start = true\n' + extra,
                    encoding="utf-8")
    return path


async def firstboot(state: Path, boot: Path, *more: str) -> tuple[int, str]:
    """`kiosk firstboot` as its own process; (exit status, its log)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kiosk", "firstboot", "--state-dir", str(state),
        "--boot-dir", str(boot), "--network-wait-s", "0", *more,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT)
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()
