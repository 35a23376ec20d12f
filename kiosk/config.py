"""The store/lane configuration: one TOML file, read once at start, validated completely.

`load_config(path)` reads the file; `load_config(None)` gives the built-in demo settings with the
two demo attendants, so `make run` needs no file. Every mistake is a ConfigError naming the key
path and the bad value ("lane.window_size: expected two positive integers, got [0, 800]");
an unknown key is an error that suggests the closest known one. `docs/configuration.md`
describes every key; `docs/kiosk.example.toml` is a complete example.

    python -m kiosk.config check FILE     validate a file and print what it sets
    python -m kiosk.config hash-pin       make a pin_hash for an [[attendants]] table
    python -m kiosk.config hash-badge     make a badge_hash (scan the badge at the prompt)
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kiosk.config_devices import parse_devices
from kiosk.config_overlay import credential_token_file, overlay, provisioned
from kiosk.config_table import Table, clip, suggest
from kiosk.domain.attendants import (
    Attendant,
    hash_badge,
    hash_pin,
    is_valid_badge,
    is_valid_pin,
    is_valid_pin_hash,
)
from kiosk.domain.policy import Policy, Reason, Role
from kiosk.errors import ConfigError

# The languages the window offers are its translation files (kiosk/ui/locale/<code>.po).
LANGUAGES: tuple[str, ...] = tuple(sorted(
    (p.stem for p in (Path(__file__).parent / "ui" / "locale").glob("*.po")),
    key=lambda code: (code != "de", code != "en", code))) or ("de", "en")
CURRENCIES = ("EUR",)
PAYMENT_KINDS = ("simulated",)
DEMO_CATALOG = Path(__file__).parent / "data" / "demo_catalog.json"
_ATTENDANT_ID = re.compile(r"[0-9]{1,10}")

# Demo only, never for a real store: 1001 Anna (PIN 1234) and 9001 Sven (PIN 9999).
DEMO_ATTENDANTS = (
    Attendant("1001", "Anna", Role.ATTENDANT,
              "scrypt$16384$8$1$64656d6f2d616e6e612d31303031$"
              "65604a9526bca98ae0f9b08fc38c1e62eafbf16064fe23b3bf29e534e471b93b"),
    Attendant("9001", "Sven", Role.SUPERVISOR,
              "scrypt$16384$8$1$64656d6f2d7376656e2d39303031$"
              "3edbef0e7d25abc807ab9413e1044f698e8a697135e481cb94e952f2a33c0baf"),
)


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """The store: `language` is the lane's default, `languages` what the shopper may pick."""

    id: str = "demo-berlin-01"
    name: str = "Demo-Markt Berlin"
    language: str = "de"
    languages: tuple[str, ...] = LANGUAGES
    currency: str = "EUR"
    # On every receipt: the store's address lines and VAT id (USt-IdNr.), and the footer.
    address: tuple[str, ...] = ("Musterstraße 1", "10115 Berlin")
    vat_id: str = "DE000000000"
    receipt_footer: tuple[str, ...] = ("Vielen Dank für Ihren Einkauf!",)
    # Where a shopper's phone opens the e-receipt ({sale_id} is filled in); "" offers none.
    e_receipt_url: str = "http://kiosk-hub.local:8080/receipts/{sale_id}"


@dataclass(frozen=True, slots=True)
class LaneConfig:
    """This lane: its id (in sale ids and the hub), and its window (pixels, width x height)."""

    id: str = "lane-1"
    fullscreen: bool = False
    window_size: tuple[int, int] = (1280, 800)


@dataclass(frozen=True, slots=True)
class PathsConfig:
    """Where the lane keeps its data. `catalog` None means the demo catalog in the package."""

    data_dir: Path
    journal: Path
    catalog: Path | None = None

    @property
    def catalog_file(self) -> Path:
        """The catalog file to import into an empty journal."""
        return self.catalog or DEMO_CATALOG

    def ensure(self) -> None:
        """Create `data_dir` and the journal's folder if missing (loading creates nothing)."""
        for folder in (self.data_dir, self.journal.parent):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise ConfigError(f"paths: cannot create folder {folder}: {e.strerror or e}; "
                                  "check the path and its permissions") from None


@dataclass(frozen=True, slots=True)
class PaymentConfig:
    """How the lane takes payment; this version only simulates a terminal."""

    kind: str = "simulated"
    approve: bool = True


@dataclass(frozen=True, slots=True)
class SyncConfig:
    """Uploading sales to the store hub (`kiosk upload`): `hub_url` "" uploads nothing;
    `token_file` holds the token from `kiosk enrol`; `interval_s` seconds between rounds when
    the queue is empty; `batch` sales per request (1..500)."""

    hub_url: str = ""
    token_file: Path = Path("hub-token")
    interval_s: int = 30
    batch: int = 200


@dataclass(frozen=True, slots=True)
class JournalConfig:
    """The lane's file: sales the hub acknowledged are pruned `keep_acked_days` days after they
    finished (kiosk.journal.retention); unacknowledged sales are kept whatever their age."""

    keep_acked_days: int = 14


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the lane is configured with. `source` is the file read (None: built-in)."""

    store: StoreConfig
    lane: LaneConfig
    paths: PathsConfig
    policy: Policy
    payment: PaymentConfig
    devices: Mapping[str, Any] = field(default_factory=dict)
    attendants: tuple[Attendant, ...] = ()
    source: Path | None = None
    sync: SyncConfig = field(default_factory=SyncConfig)
    journal: JournalConfig = field(default_factory=JournalConfig)

    def attendants_by_id(self) -> dict[str, Attendant]:
        return {a.attendant_id: a for a in self.attendants}


def load_config(path: Path | None, *, env: Mapping[str, str] | None = None) -> Config:
    """The config in the TOML file `path`; None gives the demo settings and demo attendants.

    Relative paths in the file are taken from the file's folder. `env` (default os.environ)
    supplies $STATE_DIRECTORY, the data folder systemd gives a service.
    Raises ConfigError starting with the file name.
    """
    if path is None:
        # The demo lane opens itself so `make run` shows a lane ready to scan.
        config = config_from_dict({"policy": {"open_on_start": True}}, env=env)
        return replace(config, attendants=DEMO_ATTENDANTS)
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; give an existing file, or no "
                          "file for the demo settings") from None
    except OSError as e:
        raise ConfigError(f"cannot read config file {path}: {e.strerror or e}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid TOML ({e}); fix the line it names") from None
    try:
        config = config_from_dict(data, base_dir=path.resolve().parent, env=env, source=path)
        extra = provisioned(config.paths.data_dir)  # first boot's lane id and hub (firstboot)
        return config_from_dict(overlay(data, extra), base_dir=path.resolve().parent, env=env,
                                source=path) if extra else config
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


def config_from_dict(data: Mapping[str, Any], *, base_dir: Path | None = None,
                     env: Mapping[str, str] | None = None,
                     source: Path | None = None) -> Config:
    """A validated Config from parsed TOML; missing keys take their defaults.

    `base_dir` anchors relative paths (default: the working directory).
    """
    root = Table(data, "", _KNOWN)
    store = _store(root.table("store"))
    lane = _lane(root.table("lane"))
    paths = _paths(root.table("paths"), base_dir or Path.cwd(),
                   os.environ if env is None else env)
    policy = _policy(root.table("policy"))
    payment = _payment(root.table("payment"))
    devices = root.raw_table("devices")
    parse_devices(devices)  # checked now: a bad device key fails at load, not at first use
    attendants = _attendants(root.get("attendants", []))
    sync = _sync(root.table("sync"), paths, os.environ if env is None else env)
    journal_t = root.table("journal")
    journal = JournalConfig(keep_acked_days=journal_t.whole(
        "keep_acked_days", JournalConfig().keep_acked_days, 1))
    journal_t.finish()
    root.finish()
    return Config(store, lane, paths, policy, payment, devices, attendants, source, sync,
                  journal)


def _sync(t: Table, paths: PathsConfig, env: Mapping[str, str]) -> SyncConfig:
    d = SyncConfig()
    hub_url = t.text("hub_url", d.hub_url, allow_empty=True).strip()
    if hub_url and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", hub_url):
        raise ConfigError(f"sync.hub_url: expected the hub's address like "
                          f"'http://kiosk-hub.local:8080' (or \"\" for no hub), got {hub_url!r}")
    token_text = t.text("token_file", "", allow_empty=True)
    token_file = (_resolve(token_text, paths.data_dir) if token_text
                  else paths.data_dir / "hub-token")
    token_file = credential_token_file(env) or token_file  # systemd's decrypted credential
    batch = t.whole("batch", d.batch, 1)
    if batch > 500:
        raise ConfigError(f"sync.batch: at most 500 sales per request (the hub's limit), "
                          f"got {batch}")
    config = SyncConfig(hub_url=hub_url.rstrip("/"), token_file=token_file,
                        interval_s=t.whole("interval_s", d.interval_s, 1), batch=batch)
    t.finish()
    return config


def _store(t: Table) -> StoreConfig:
    d = StoreConfig()
    languages = t.str_list("languages", d.languages, LANGUAGES)
    language = t.choice("language", d.language, LANGUAGES, "is supported")
    if language not in languages:
        raise ConfigError(f"store.language: {language!r} is not in store.languages "
                          f"{list(languages)}; add it there or pick one of them")
    e_receipt_url = t.text("e_receipt_url", d.e_receipt_url, allow_empty=True)
    if e_receipt_url and "{sale_id}" not in e_receipt_url:
        raise ConfigError(f"store.e_receipt_url: must contain {{sale_id}} where the sale goes, "
                          f"got {e_receipt_url!r}")
    config = StoreConfig(id=t.ident("id", d.id), name=t.text("name", d.name), language=language,
                         languages=languages,
                         currency=t.choice("currency", d.currency, CURRENCIES, "is supported"),
                         address=_lines(t, "address", d.address),
                         vat_id=t.text("vat_id", d.vat_id, allow_empty=True),
                         receipt_footer=_lines(t, "receipt_footer", d.receipt_footer),
                         e_receipt_url=e_receipt_url)
    t.finish()
    return config


def _lines(t: Table, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = t.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) \
            or any(len(v) > 48 for v in value):
        raise ConfigError(f"{t.name(key)}: expected a list of texts of at most 48 characters "
                          f"(one per receipt line), got {clip(repr(value))}")
    return tuple(value)


def _payment(t: Table) -> PaymentConfig:
    d = PaymentConfig()
    config = PaymentConfig(kind=t.choice("kind", d.kind, PAYMENT_KINDS, "is available now"),
                           approve=t.flag("approve", d.approve))
    t.finish()
    return config


def _lane(t: Table) -> LaneConfig:
    d = LaneConfig()
    size = t.get("window_size", list(d.window_size))
    ok = (isinstance(size, list) and len(size) == 2
          and all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 10000
                  for v in size))
    if not ok:
        raise ConfigError(f"lane.window_size: expected two positive integers (width and "
                          f"height in pixels, e.g. [1280, 800]), got {size!r}")
    config = LaneConfig(id=t.ident("id", d.id), fullscreen=t.flag("fullscreen", d.fullscreen),
                        window_size=(size[0], size[1]))
    t.finish()
    return config


def _paths(t: Table, base_dir: Path, env: Mapping[str, str]) -> PathsConfig:
    data_dir_text = t.text("data_dir", "", allow_empty=True)
    if data_dir_text:
        data_dir = _resolve(data_dir_text, base_dir)
    elif env.get("STATE_DIRECTORY"):
        # systemd's StateDirectory= may list several folders separated by ':'; ours is first.
        data_dir = Path(env["STATE_DIRECTORY"].split(":")[0])
    else:
        data_dir = Path.cwd() / "var"
    journal_text = t.text("journal", "", allow_empty=True)
    journal = _resolve(journal_text, data_dir) if journal_text else data_dir / "journal.sqlite"
    catalog_text = t.text("catalog", "", allow_empty=True)
    catalog = _resolve(catalog_text, base_dir) if catalog_text else None
    t.finish()
    return PathsConfig(data_dir=data_dir, journal=journal, catalog=catalog)


def _resolve(text: str, base: Path) -> Path:
    p = Path(text).expanduser()
    return p if p.is_absolute() else base / p


_POLICY_INTS = {  # key -> smallest allowed value
    "max_quantity_per_line": 1, "max_lines": 1, "pin_max_failures": 1,
    "pin_failure_window_s": 1, "pin_lockout_s": 1, "idle_timeout_s": 10,
    "bagging_timeout_s": 1, "bagging_tolerance_g": 0, "bagging_tolerance_pct": 0,
    "bagging_noise_g": 0, "learned_min_samples": 1, "learned_k_sigma": 1, "skip_bagging_max": 0,
    "attendant_idle_s": 10,
}


def _policy(t: Table) -> Policy:
    d = Policy()
    v = {key: t.whole(key, getattr(d, key), low) for key, low in _POLICY_INTS.items()}
    open_on_start = t.flag("open_on_start", d.open_on_start)
    bagging = t.flag("bagging", d.bagging)
    badge_prefix = t.text("badge_prefix", d.badge_prefix, allow_empty=True)
    loyalty_prefix = t.text("loyalty_prefix", d.loyalty_prefix, allow_empty=True)
    clearance = dict(d.clearance)
    ct = t.table("clearance")
    known = [r.value for r in Reason]
    for key in ct.data:
        if key not in known:
            raise ConfigError(f"policy.clearance.{key}: unknown reason{suggest(key, known)}; "
                              f"reasons are {', '.join(known)}")
        roles = ct.str_list(key, (), [r.value for r in Role], allow_empty=True)
        clearance[Reason(key)] = frozenset(Role(r) for r in roles)
    t.finish()
    return Policy(clearance=clearance, open_on_start=open_on_start, bagging=bagging,
                  badge_prefix=badge_prefix, loyalty_prefix=loyalty_prefix,
                  **v)


_ATTENDANT_KEYS = ("id", "name", "role", "pin_hash", "badge_hash")


def _attendants(raw: Any) -> tuple[Attendant, ...]:
    if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
        raise ConfigError(f"attendants: expected [[attendants]] tables, got {clip(repr(raw))}")
    out: list[Attendant] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw):
        where = f"attendants[{i}]"
        t = Table(entry, where, _KNOWN)
        ident = t.get("id", None)
        if not isinstance(ident, str) or not _ATTENDANT_ID.fullmatch(ident):
            raise ConfigError(f"{where}.id: expected 1 to 10 digits in quotes (typed on the "
                              f'PIN pad), like "1001", got {ident!r}')
        if ident in seen:
            raise ConfigError(f"{where}.id: {ident!r} is already used by attendants"
                              f"[{seen[ident]}]; each attendant needs an id of their own")
        seen[ident] = i
        name = t.text("name", None)
        role = t.choice("role", None, [r.value for r in Role], "is a role")
        if "pin" in entry:
            raise ConfigError(f"{where}.pin: a PIN never goes into the config; give pin_hash "
                              "instead (make one with: python -m kiosk.config hash-pin)")
        pin_hash = t.text("pin_hash", None)
        if not is_valid_pin_hash(pin_hash):
            raise ConfigError(f"{where}.pin_hash: expected 'scrypt$16384$8$1$<salt hex>$<hash "
                              f"hex>' (make one with: python -m kiosk.config hash-pin), got "
                              f"{clip(repr(pin_hash))}")
        badge_hash = t.get("badge_hash", None)
        if badge_hash is not None and not (isinstance(badge_hash, str)
                                           and is_valid_pin_hash(badge_hash)):
            raise ConfigError(f"{where}.badge_hash: expected 'scrypt$16384$8$1$<salt hex>$<hash "
                              f"hex>' (make one with: python -m kiosk.config hash-badge), got "
                              f"{clip(repr(badge_hash))}")
        t.finish()
        out.append(Attendant(ident, name, Role(role), pin_hash, badge_hash))
    return tuple(out)


_KNOWN: dict[str, tuple[str, ...]] = {
    "": ("store", "lane", "paths", "policy", "payment", "devices", "attendants", "sync",
         "journal"),
    "store": ("id", "name", "language", "languages", "currency", "address", "vat_id",
              "receipt_footer", "e_receipt_url"),
    "lane": ("id", "fullscreen", "window_size"),
    "paths": ("data_dir", "journal", "catalog"),
    "policy": (*_POLICY_INTS, "open_on_start", "bagging", "clearance", "badge_prefix",
               "loyalty_prefix"),
    "policy.clearance": tuple(r.value for r in Reason),
    "payment": ("kind", "approve"),
    "attendants": _ATTENDANT_KEYS,
    "sync": ("hub_url", "token_file", "interval_s", "batch"),
    "journal": ("keep_acked_days",),
}


def main(argv: Sequence[str] | None = None) -> int:
    """`check FILE` validates a config; `hash-pin` / `hash-badge` read a PIN / badge code and
    print its hash."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["hash-pin"] and len(args) == 1:
        import getpass

        pin = getpass.getpass("PIN (4 to 8 digits): ")
        if not is_valid_pin(pin) or getpass.getpass("PIN again: ") != pin:
            print("error: the PIN must be 4 to 8 digits, typed the same twice", file=sys.stderr)
            return 2
        print(hash_pin(pin, os.urandom(16)))
        return 0
    if args[:1] == ["hash-badge"] and len(args) == 1:
        import getpass

        code = getpass.getpass("badge code (scan it): ").strip()
        if not is_valid_badge(code):
            print("error: a badge code is 6 to 64 printable characters without spaces",
                  file=sys.stderr)
            return 2
        print(hash_badge(code, os.urandom(16)))
        return 0
    if args[:1] == ["check"] and len(args) == 2:
        try:
            config = load_config(Path(args[1]))
        except ConfigError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        print(f"{args[1]}: OK; store {config.store.id}, lane {config.lane.id}, "
              f"{len(config.attendants)} attendant(s), journal {config.paths.journal}")
        return 0
    print("usage: python -m kiosk.config check FILE | hash-pin | hash-badge", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
