"""Enrolment: trade a one-time code from the hub for this lane's upload token.

`kiosk hub enrol-code --device lane-3` on the hub prints the code; `kiosk enrol --hub URL --code
CODE` on the lane posts it (POST /api/v1/enrol) and stores the token the hub answers in the
token file, readable by the kiosk's user only (mode 0600), replaced atomically.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from kiosk.sync.errors import EnrolError, SyncError
from kiosk.sync.http import hub_request

TOKEN_FILE_MODE = 0o600


@dataclass(frozen=True, slots=True)
class EnrolResult:
    """Who the hub says we are, and where the token went."""

    device_id: str
    store_id: str
    token_file: Path

    def __str__(self) -> str:
        return (f"enrolled as {self.device_id} in store {self.store_id}; token stored in "
                f"{self.token_file} (mode 0600); `kiosk upload` can start")


async def enrol(hub_url: str, code: str, device_id: str, token_file: Path, *,
                session: aiohttp.ClientSession | None = None,
                timeout_s: float = 30.0) -> EnrolResult:
    """Post the code for `device_id` and store the token in `token_file` (0600).

    Raises EnrolError when the hub refuses the code (its reason is in the message) or the
    token cannot be written; SyncError when the hub cannot be reached.
    """
    url = f"{hub_url.rstrip('/')}/api/v1/enrol"
    body = {"code": code.strip(), "device_id": device_id}
    try:
        if session is None:
            async with aiohttp.ClientSession() as own:
                answer = await hub_request(own, "POST", url, None, body, timeout_s)
        else:
            answer = await hub_request(session, "POST", url, None, body, timeout_s)
    except SyncError as err:
        raise EnrolError(f"enrolment of {device_id} failed: {str(err).removesuffix('; will retry')}"
                         "; check the code (ask for a new one: kiosk hub enrol-code --device "
                         f"{device_id}) and the hub URL") from None
    token = answer.get("token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not _plausible(token):
        raise EnrolError(f"hub {url} answered without a usable token ({str(answer)[:60]!r}); "
                         "nothing was stored")
    write_token(token_file, token)
    return EnrolResult(str(answer.get("device_id", device_id)),
                       str(answer.get("store_id", "")), token_file)


def _plausible(token: str) -> bool:
    return 16 <= len(token) <= 512 and token.isascii() and token.isprintable() \
        and " " not in token


def write_token(path: Path, token: str) -> None:
    """Store `token` in `path` with mode 0600: written to a sibling temp file, synced, then
    renamed over the old one, so a crash leaves the old token or the new one."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, TOKEN_FILE_MODE)
        try:
            os.fchmod(fd, TOKEN_FILE_MODE)  # an older temp file may have had another mode
            os.write(fd, (token + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as err:
        raise EnrolError(f"cannot store the token in {path}: {err.strerror or err}; check the "
                         "folder and its permissions (sync.token_file)") from None


def read_token(path: Path) -> str:
    """The lane's token from `path`; raises SyncError saying how to enrol when it is missing."""
    try:
        token = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        token = ""
    except (OSError, UnicodeDecodeError) as err:
        raise SyncError(f"cannot read the hub token {path}: {err}; enrol the lane again: "
                        "kiosk enrol --hub URL --code CODE") from None
    if not token:
        raise SyncError(f"no hub token in {path}: this lane is not enrolled; get a code on the "
                        "hub (kiosk hub enrol-code --device LANE) and run kiosk enrol --hub URL "
                        "--code CODE")
    return token
