"""What first boot (`kiosk firstboot`) adds to the config read from the image.

The image's /etc/kiosk/kiosk.toml carries no device ids and no secrets; first boot writes
`<data_dir>/provisioned.toml` with this device's `[lane] id` and the store's `[sync] hub_url`,
and this module lays it over the image's config. The hub token comes from systemd's credential
`hub-token` ($CREDENTIALS_DIRECTORY/hub-token, decrypted by `LoadCredentialEncrypted=`) when the
service has one; otherwise from `[sync] token_file` as before (development).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kiosk.errors import ConfigError

PROVISIONED_FILE = "provisioned.toml"
CREDENTIAL_NAME = "hub-token"
# Only these keys may come from the device's own file: who it is and where its hub is.
_OVERLAY_KEYS = {"lane": ("id",), "sync": ("hub_url",)}


def provisioned(data_dir: Path) -> dict[str, dict[str, Any]]:
    """The tables of `<data_dir>/provisioned.toml` ({} when there is none). Raises ConfigError
    naming the file when it is not TOML or sets anything but lane.id and sync.hub_url."""
    path = data_dir / PROVISIONED_FILE
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read it ({err}); run `kiosk firstboot` again or "
                          "delete the file") from None
    out: dict[str, dict[str, Any]] = {}
    for table, values in data.items():
        keys = _OVERLAY_KEYS.get(table, ())
        bad = [k for k in (values if isinstance(values, dict) else {"": None}) if k not in keys]
        if bad:
            raise ConfigError(f"{path}: only lane.id and sync.hub_url may be set here, got "
                              f"{table}.{bad[0]}; delete the file and run `kiosk firstboot`")
        out[table] = dict(values)
    return out


def overlay(data: Mapping[str, Any], extra: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """`data` with the tables of `extra` merged in (extra's keys win)."""
    merged = dict(data)
    for table, values in extra.items():
        base = merged.get(table, {})
        merged[table] = {**(base if isinstance(base, dict) else {}), **values}
    return merged


def credential_token_file(env: Mapping[str, str]) -> Path | None:
    """$CREDENTIALS_DIRECTORY/hub-token when systemd handed the service a non-empty one.

    First boot leaves an encrypted empty credential while the lane is not enrolled, so the
    unit's LoadCredentialEncrypted= always finds its file; empty means "no token here".
    """
    folder = env.get("CREDENTIALS_DIRECTORY", "")
    if not folder:
        return None
    path = Path(folder) / CREDENTIAL_NAME
    try:
        return path if path.stat().st_size > 0 else None
    except OSError:
        return None
