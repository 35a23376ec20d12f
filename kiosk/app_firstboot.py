"""`kiosk firstboot`: give a freshly flashed kiosk its identity, enrol it, seal its token.

Run by kiosk-firstboot.service (root, before kiosk.service) until the lane is enrolled:

1. the device id in `<state>/device-id`: the provisioning file's `lane_id`, else derived from
   /etc/machine-id (stable across reboots, and a hash, so the machine id itself is not sent
   anywhere), else random (a machine id not yet written); once written it never changes;
2. `kiosk-provision.toml` from the boot partition (`hub_url`, `enrol_code`, optional `lane_id`);
3. enrolment at the hub with the one-time code (kiosk.sync.enrol, as `kiosk enrol`);
4. the token sealed with `systemd-creds encrypt --name=hub-token` into
   `<state>/credstore/hub-token.cred` (root, 0600), which kiosk.service and
   kiosk-uploader.service load with `LoadCredentialEncrypted=`; without systemd-creds
   (development) the token stays in `<state>/hub-token` (0600) and the log says so;
5. `<state>/provisioned.toml` (lane id, hub URL: kiosk.config_overlay), `<state>/enrolled`, and
   the provisioning file renamed `.used` (the code is a secret and is spent now).

Every failure is written to `<state>/enrol-status.json` with its reason (the hub's own words for
a refused code), and the exit status is 1; `kiosk run` shows it on the lane's screen, where an
enrolment QR code (`KIOSK-ENROL:<hub_url>|<code>`) can still enrol it (kiosk.app_enrol_qr).
A provisioning file with `hub_url = ""` makes a standalone lane that sells without a hub.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from kiosk.config_overlay import CREDENTIAL_NAME, PROVISIONED_FILE
from kiosk.errors import KioskError
from kiosk.sync.enrol import enrol
from kiosk.sync.errors import SyncError
from kiosk.sync.http import hub_request

log = logging.getLogger("kiosk.firstboot")

PROVISION_FILE = "kiosk-provision.toml"
STATUS_FILE = "enrol-status.json"
ENROLLED_MARK = "enrolled"
DEVICE_ID_FILE = "device-id"
PLAIN_TOKEN_FILE = "hub-token"  # the config's default sync.token_file in the state folder
CRED_FILE = Path("credstore") / f"{CREDENTIAL_NAME}.cred"
DEFAULT_STATE_DIR = Path("/var/lib/kiosk")
# The Pi's firmware partition, then where an x86-64 image mounts its ESP.
DEFAULT_BOOT_DIRS = (Path("/boot/firmware"), Path("/efi"), Path("/boot/efi"), Path("/boot"))
MACHINE_ID = Path("/etc/machine-id")
_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_URL = re.compile(r"https?://[^\s/?#|]+(/[^\s?#|]*)?")


class FirstbootError(KioskError, RuntimeError):
    """First boot could not enrol the lane; the message is the reason shown on the screen."""


@dataclass(frozen=True, slots=True)
class Provision:
    """The boot partition's provisioning file: where the hub is and the one-time code."""

    path: Path
    hub_url: str
    enrol_code: str
    lane_id: str | None = None


def read_provision(boot_dirs: Sequence[Path]) -> Provision | None:
    """The first `kiosk-provision.toml` in `boot_dirs`, None when there is none.
    Raises FirstbootError naming the file and the key when it is malformed."""
    path = next((d / PROVISION_FILE for d in boot_dirs if (d / PROVISION_FILE).is_file()), None)
    if path is None:
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise FirstbootError(f"{path} is not readable TOML ({err}); fix it on the boot "
                             "partition") from None
    unknown = sorted(set(data) - {"hub_url", "enrol_code", "lane_id"})
    hub_url, code, lane_id = data.get("hub_url"), data.get("enrol_code", ""), data.get("lane_id")
    if unknown:
        raise FirstbootError(f"{path}: unknown key {unknown[0]!r}; the keys are hub_url, "
                             "enrol_code and lane_id")
    if not isinstance(hub_url, str) or (hub_url and not _URL.fullmatch(hub_url)):
        raise FirstbootError(f"{path}: hub_url must be the hub's address like "
                             f"'http://kiosk-hub.local:8080' (\"\" for a lane without hub), "
                             f"got {hub_url!r}")
    if not isinstance(code, str) or (hub_url and not code.strip()):
        raise FirstbootError(f"{path}: enrol_code must be the code from `kiosk hub enrol-code "
                             f"--device ID`, got {code!r}")
    if lane_id is not None and not (isinstance(lane_id, str) and _ID.fullmatch(lane_id)):
        raise FirstbootError(f"{path}: lane_id must be 1 to 64 letters, digits, '.', '_' or "
                             f"'-', got {lane_id!r}")
    return Provision(path, hub_url.rstrip("/"), code.strip(), lane_id)


def device_identity(state_dir: Path, lane_id: str | None = None,
                    machine_id: Path = MACHINE_ID) -> tuple[str, str]:
    """This device's id and where it came from; written to `<state>/device-id` once."""
    path = state_dir / DEVICE_ID_FILE
    known = path.read_text(encoding="ascii").strip() if path.is_file() else ""
    if lane_id:
        device, how = lane_id, "the provisioning file's lane_id"
    elif _ID.fullmatch(known):
        return known, f"kept from {path}"
    else:
        try:
            mid = machine_id.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            mid = ""
        if re.fullmatch(r"[0-9a-f]{32}", mid):
            # Hashed with our own label, as sd_id128_get_machine_app_specific() does: the id
            # is stable for this machine but does not reveal the machine id to the hub.
            digest = hashlib.sha256(f"kiosk-device-id:{mid}".encode()).hexdigest()
            device, how = f"kiosk-{digest[:12]}", f"derived from {machine_id}"
        else:
            device = f"kiosk-{secrets.token_hex(6)}"
            how = f"random ({machine_id} is missing or not yet initialised)"
    if device != known:
        write_file(path, device + "\n", 0o644)
    return device, how


def write_file(path: Path, text: str, mode: int) -> None:
    """Write `text` to `path` atomically (temp file, fsync, rename) with `mode`."""
    tmp = path.with_name(f".{path.name}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def write_status(state_dir: Path, *, enrolled: bool, reason: str = "", device_id: str = "",
                 hub_url: str = "", credential: str = "") -> None:
    """`<state>/enrol-status.json`: whether the lane is enrolled, and if not, why."""
    status = {"enrolled": enrolled, "reason": reason, "device_id": device_id,
              "hub_url": hub_url, "credential": credential,
              "at": datetime.now(UTC).isoformat(timespec="seconds")}
    write_file(state_dir / STATUS_FILE, json.dumps(status, indent=1) + "\n", 0o644)


def read_status(state_dir: Path) -> dict[str, Any]:
    """The last status first boot or the lane wrote ({} when none or unreadable)."""
    try:
        data = json.loads((state_dir / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_provisioned(state_dir: Path, lane_id: str, hub_url: str | None) -> None:
    """The overlay the kiosk reads over the image's config (kiosk.config_overlay)."""
    text = f'[lane]\nid = "{lane_id}"\n'
    if hub_url is not None:
        text += f'\n[sync]\nhub_url = "{hub_url}"\n'
    write_file(state_dir / PROVISIONED_FILE, text, 0o644)


def seal_token(state_dir: Path, creds_tool: str | None) -> str:
    """Move the plain token (`<state>/hub-token`) into the encrypted credential; returns
    "encrypted", or "plain" when systemd-creds is missing (the plain file stays, 0600)."""
    plain = state_dir / PLAIN_TOKEN_FILE
    if creds_tool is None:
        log.warning("systemd-creds is not installed: the hub token stays unencrypted in %s "
                    "(mode 0600); fine for development, not for a kiosk in a store", plain)
        # Owned like the state folder, so the kiosk's user can read it. Only here: the unit's
        # system call filter (~@privileged) refuses chown with EPERM, which in the x86-64
        # image failed every first boot right after the hub had spent the code.
        owner = state_dir.stat()
        if os.geteuid() == 0 and (owner.st_uid, owner.st_gid) != (0, 0):
            os.chown(plain, owner.st_uid, owner.st_gid)
        return "plain"
    encrypt(state_dir, plain.read_text(encoding="ascii").strip().encode(), creds_tool)
    plain.unlink()
    return "encrypted"


def encrypt(state_dir: Path, secret: bytes, creds_tool: str) -> Path:
    """`systemd-creds encrypt --name=hub-token` of `secret` into the credstore (root, 0600)."""
    cred = state_dir / CRED_FILE
    cred.parent.mkdir(mode=0o700, exist_ok=True)
    cred.parent.chmod(0o700)
    tmp = cred.with_name(f".{cred.name}.tmp")
    old_umask = os.umask(0o077)  # systemd-creds itself writes 0644
    try:
        done = subprocess.run([creds_tool, "encrypt", f"--name={CREDENTIAL_NAME}", "-",
                               str(tmp)], input=secret, capture_output=True, check=False)
    finally:
        os.umask(old_umask)
    if done.returncode != 0:
        tmp.unlink(missing_ok=True)
        why = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise FirstbootError(f"systemd-creds could not encrypt the hub token ({why[0]}); run "
                             "kiosk firstboot as root")
    tmp.chmod(0o600)
    os.replace(tmp, cred)
    return cred


def spend(path: Path) -> None:
    """Rename the provisioning file `.used` once the hub took its code. The hub has spent the
    code by then, so a boot partition that refuses the rename (read-only, full, a broken FAT)
    must not cost the lane its new token: the failure is logged and first boot goes on to
    seal the token (the file's code is worthless now)."""
    try:
        path.replace(path.with_name(PROVISION_FILE + ".used"))
        log.info("%s renamed .used (its code is spent)", path)
    except OSError as err:
        log.warning("could not rename %s to .used (%s); its code is spent at the hub anyway, "
                    "delete the file by hand", path, write_failure(err))


def write_failure(err: OSError) -> str:
    """The reason for enrol-status.json when a file could not be written or renamed: the
    file's own path (the boot partition's kiosk-provision.toml as well as the state folder)."""
    where = f" {err.filename}" if err.filename else ""
    return f"cannot write{where}: {err.strerror or err}"


async def reach_hub(hub_url: str, wait_s: float) -> None:
    """Wait up to `wait_s` for the hub's /api/v1/health to answer (the network may come up
    late at boot); raises FirstbootError naming the hub when it does not."""
    delay_s, waited_s = 1.0, 0.0
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                await hub_request(session, "GET", f"{hub_url}/api/v1/health", None, None, 10.0)
                return
            except SyncError as err:
                if waited_s >= wait_s:
                    raise FirstbootError(f"the hub {hub_url} cannot be reached "
                                         f"({str(err).removesuffix('; will retry')}); check "
                                         "the network cable and hub_url") from None
            await asyncio.sleep(min(delay_s, wait_s - waited_s))
            waited_s += delay_s
            delay_s = min(delay_s * 2, 10.0)


async def enrol_device(state_dir: Path, hub_url: str, code: str, device_id: str,
                       wait_s: float = 0.0) -> None:
    """Enrol `device_id` with the one-time `code`; the token lands in `<state>/hub-token`
    (0600, root's until seal_token encrypts it). Raises FirstbootError with the hub's reason."""
    await reach_hub(hub_url, wait_s)
    plain = state_dir / PLAIN_TOKEN_FILE
    try:
        await enrol(hub_url, code, device_id, plain)
    except SyncError as err:
        raise FirstbootError(str(err)) from None


@dataclass(frozen=True, slots=True)
class Firstboot:
    """One run of `kiosk firstboot`: where to look and what to use."""

    state_dir: Path = DEFAULT_STATE_DIR
    boot_dirs: tuple[Path, ...] = DEFAULT_BOOT_DIRS
    machine_id: Path = MACHINE_ID
    creds_tool: str | None = None
    network_wait_s: float = 45.0

    def run(self) -> int:
        """0 enrolled (or already), 1 not: the reason is in enrol-status.json and the log."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if (self.state_dir / ENROLLED_MARK).exists():
            log.info("already enrolled (%s exists); nothing to do", self.state_dir / ENROLLED_MARK)
            return 0
        device_id, hub_url = "", str(read_status(self.state_dir).get("hub_url", ""))
        try:
            provision = read_provision(self.boot_dirs)
            lane_id = provision.lane_id if provision is not None else None
            device_id, how = device_identity(self.state_dir, lane_id, self.machine_id)
            log.info("device id %s (%s)", device_id, how)
            hub_url = provision.hub_url if provision is not None else hub_url
            # The lane runs under its device id from now on, enrolled or not, so a code
            # scanned later at the lane is used for the same id its sales will carry.
            write_provisioned(self.state_dir, device_id, hub_url or None)
            self._enrol(provision, device_id, hub_url)
        except (FirstbootError, OSError) as err:
            reason = str(err) if isinstance(err, FirstbootError) else write_failure(err)
            log.error("lane not enrolled: %s", reason)
            self._placeholder()
            write_status(self.state_dir, enrolled=False, reason=reason, device_id=device_id,
                         hub_url=hub_url)
            return 1
        return 0

    def _enrol(self, provision: Provision | None, device_id: str, hub_url: str) -> None:
        if (self.state_dir / PLAIN_TOKEN_FILE).is_file():
            # A token the hub already gave: from an enrolment QR code, or from a first boot
            # cut off between enrolling and sealing (the file's code is spent then, and a
            # retry would only be refused).
            log.info("sealing the token the lane already got (an enrolment QR code or an "
                     "interrupted first boot)")
            if provision is not None and provision.hub_url:
                spend(provision.path)
        elif provision is None:
            looked = ", ".join(str(d) for d in self.boot_dirs)
            raise FirstbootError(f"no {PROVISION_FILE} on the boot partition (looked in "
                                 f"{looked}); put one there or show the hub's enrolment QR "
                                 "code to the scanner")
        elif not provision.hub_url:
            log.info("%s has no hub_url: a standalone lane, selling without a hub",
                     provision.path)
            write_provisioned(self.state_dir, device_id, "")
            self._done(provision, device_id, "", "none")
            return
        else:
            asyncio.run(enrol_device(self.state_dir, hub_url, provision.enrol_code, device_id,
                                     self.network_wait_s))
            log.info("enrolled as %s at %s", device_id, hub_url)
            spend(provision.path)
        self._done(None, device_id, hub_url, seal_token(self.state_dir, self.creds_tool))

    def _done(self, provision: Provision | None, device_id: str, hub_url: str,
              credential: str) -> None:
        if provision is not None:
            provision.path.replace(provision.path.with_name(PROVISION_FILE + ".used"))
        write_status(self.state_dir, enrolled=True, device_id=device_id, hub_url=hub_url,
                     credential=credential)
        write_file(self.state_dir / ENROLLED_MARK, f"{device_id}\n", 0o644)
        log.info("lane %s ready to sell (hub: %s, token: %s)", device_id, hub_url or "none",
                 credential)

    def _placeholder(self) -> None:
        """An encrypted empty credential while not enrolled: kiosk.service names the file in
        LoadCredentialEncrypted= with a path, and a missing file there fails the unit
        (243/CREDENTIALS) instead of showing why the lane is not enrolled."""
        if self.creds_tool is not None and not (self.state_dir / CRED_FILE).exists():
            try:
                encrypt(self.state_dir, b"", self.creds_tool)
            except (FirstbootError, OSError) as err:
                log.warning("no placeholder credential: %s", err)


def run_firstboot(state_dir: Path | None, boot_dirs: Sequence[Path] | None,
                  network_wait_s: float) -> int:
    """`kiosk firstboot`: see the module's docstring; returns the exit status."""
    return Firstboot(state_dir or DEFAULT_STATE_DIR,
                     tuple(boot_dirs) if boot_dirs else DEFAULT_BOOT_DIRS,
                     creds_tool=shutil.which("systemd-creds"),
                     network_wait_s=network_wait_s).run()
