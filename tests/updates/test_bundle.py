"""The update bundle: built with provisioning/rauc/make-bundle from a small dummy root and boot
tree, signed with a development key, and checked with RAUC 1.8 itself.

A good bundle verifies against its keyring and against the image's system.conf; a bundle with
one flipped byte, or signed by another key, is refused. The bundle hook gives each boot slot's
cmdline.txt its own root partition.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.updates.conftest import RAUC_DIR, need_tools

TOOLS = ("rauc", "mksquashfs", "openssl", "mkfs.ext4", "mkfs.vfat", "mcopy")
CMDLINE = "console=tty1 root=PARTLABEL=rootfs-a rootwait ro rauc.slot=A systemd.firstboot=0\n"


@dataclass(frozen=True)
class Built:
    bundle: Path
    cert: Path
    key: Path
    stdout: str


def run(*argv: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=120,
                          check=False, env=env)


def make_key(folder: Path, name: str) -> tuple[Path, Path]:
    cert, key = folder / f"{name}-cert.pem", folder / f"{name}-key.pem"
    made = run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
               "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", f"/CN={name}",
               "-keyout", key, "-out", cert)
    assert made.returncode == 0, made.stderr
    return cert, key


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    need_tools(*TOOLS)
    tmp = tmp_path_factory.mktemp("bundle")
    root, boot = tmp / "rootfs", tmp / "boot"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text("ID=debian\nVARIANT_ID=kiosk\n")
    (root / "opt" / "kiosk").mkdir(parents=True)
    (root / "opt" / "kiosk" / "BUILD").write_text("dummy rootfs for the bundle test\n")
    boot.mkdir()
    (boot / "cmdline.txt").write_text(CMDLINE)
    (boot / "config.txt").write_text("arm_64bit=1\nkernel=vmlinuz\n")
    cert, key = make_key(tmp, "test")
    out = tmp / "kiosk-test.raucb"
    made = run(RAUC_DIR / "make-bundle", "--rootfs", root, "--boot", boot, "--out", out,
               "--version", "9.9.9", "--cert", cert, "--key", key)
    assert made.returncode == 0, made.stderr
    yield Built(out, cert, key, made.stdout)


def info(bundle: Path, keyring: Path, *conf: str) -> subprocess.CompletedProcess[str]:
    return run("rauc", *conf, f"--keyring={keyring}", "info", bundle)


def check(bundle: Path, keyring: Path) -> subprocess.CompletedProcess[str]:
    return run(RAUC_DIR / "check-bundle", bundle, keyring)


def flipped(bundle: Path, offset: int, dest: Path) -> Path:
    data = bytearray(bundle.read_bytes())
    data[offset] ^= 0xFF
    dest.write_bytes(bytes(data))
    return dest


def test_the_bundle_verifies_and_names_the_kiosk_its_version_and_both_images(
        built: Built) -> None:
    assert built.stdout.strip() == str(built.bundle)
    shown = info(built.bundle, built.cert)
    assert shown.returncode == 0, shown.stderr
    assert "Compatible: \t'open-selfcheckout-kiosk-rpi-arm64'" in shown.stdout
    assert "Version:    \t'9.9.9'" in shown.stdout
    assert "Bundle Format: \tverity" in shown.stdout
    assert "rootfs.ext4" in shown.stdout and "boot.vfat" in shown.stdout
    assert check(built.bundle, built.cert).returncode == 0


def test_the_bundle_is_accepted_by_the_images_own_system_conf(built: Built, tmp_path: Path) -> None:
    conf = tmp_path / "system.conf"
    conf.write_text((RAUC_DIR / "system.conf").read_text().replace(
        "/etc/rauc/keyring.pem", str(built.cert)))
    shown = run("rauc", f"--conf={conf}", "info", built.bundle)
    assert shown.returncode == 0, shown.stderr


def test_a_bundle_signed_by_another_key_is_refused(built: Built, tmp_path: Path) -> None:
    other_cert, _ = make_key(tmp_path, "other")
    result = check(built.bundle, other_cert)
    assert result.returncode == 1
    assert "is not signed by a key in" in result.stderr


def test_a_flipped_byte_in_the_payload_is_refused_although_rauc_info_passes_it(
        built: Built, tmp_path: Path) -> None:
    tampered = flipped(built.bundle, 4096, tmp_path / "tampered.raucb")
    # RAUC checks a verity bundle's payload block by block only as it reads it (dm-verity):
    assert info(tampered, built.cert).returncode == 0
    result = check(tampered, built.cert)
    assert result.returncode == 1
    assert "does not match its signed hash" in result.stderr


def test_a_flipped_byte_in_the_signature_is_refused(built: Built, tmp_path: Path) -> None:
    size = built.bundle.stat().st_size
    tampered = flipped(built.bundle, size - 200, tmp_path / "tampered.raucb")
    assert info(tampered, built.cert).returncode != 0
    assert check(tampered, built.cert).returncode == 1


def test_without_a_key_a_development_key_is_made_in_build_and_kept_private(
        built: Built, tmp_path: Path) -> None:
    need_tools(*TOOLS)
    keys = RAUC_DIR.parents[1] / "build" / "rauc" / "dev-keys"
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "os-release").write_text("ID=debian\n" * 500)
    (tmp_path / "boot").mkdir()
    (tmp_path / "boot" / "cmdline.txt").write_text(CMDLINE)
    made = run(RAUC_DIR / "make-bundle", "--rootfs", tmp_path / "root", "--boot",
               tmp_path / "boot", "--out", tmp_path / "dev.raucb")
    assert made.returncode == 0, made.stderr
    assert (keys / "dev-key.pem").stat().st_mode & 0o077 == 0
    assert check(tmp_path / "dev.raucb", keys / "dev-cert.pem").returncode == 0
    # build/ is git-ignored, so the development key can never be committed by accident.
    ignored = (RAUC_DIR.parents[1] / ".gitignore").read_text().splitlines()
    assert "build/" in ignored


def test_the_hook_points_slot_bs_boot_partition_at_slot_bs_root(tmp_path: Path) -> None:
    (tmp_path / "cmdline.txt").write_text(CMDLINE)
    env = {**os.environ, "RAUC_SLOT_CLASS": "boot", "RAUC_SLOT_NAME": "boot.1",
           "RAUC_SLOT_MOUNT_POINT": str(tmp_path)}
    done = run("/bin/sh", RAUC_DIR / "bundle-hook", "slot-post-install", env=env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cmdline.txt").read_text() == CMDLINE.replace(
        "rootfs-a", "rootfs-b").replace("rauc.slot=A", "rauc.slot=B")


def test_the_hook_refuses_a_boot_image_whose_cmdline_it_cannot_rewrite(tmp_path: Path) -> None:
    (tmp_path / "cmdline.txt").write_text("console=tty1 root=/dev/mmcblk0p2\n")
    env = {**os.environ, "RAUC_SLOT_CLASS": "boot", "RAUC_SLOT_NAME": "boot.0",
           "RAUC_SLOT_MOUNT_POINT": str(tmp_path)}
    done = run("/bin/sh", RAUC_DIR / "bundle-hook", "slot-post-install", env=env)
    assert done.returncode == 1
    assert "names no root=PARTLABEL=rootfs-a|b and rauc.slot=A|B" in done.stderr
    assert (tmp_path / "cmdline.txt").read_text() == "console=tty1 root=/dev/mmcblk0p2\n"
