"""The store/lane config: defaults, the example file, paths, a clear message for every mistake."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import DEMO_CATALOG, config_from_dict, load_config
from kiosk.domain.attendants import authenticate, verify_pin
from kiosk.domain.policy import Reason, Role
from kiosk.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "kiosk.example.toml"
GOOD_HASH = ("scrypt$16384$8$1$64656d6f2d616e6e612d31303031$"
             "65604a9526bca98ae0f9b08fc38c1e62eafbf16064fe23b3bf29e534e471b93b")


def _write(tmp_path: Path, text: str, name: str = "kiosk.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _attendant(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": "1001", "name": "Anna", "role": "attendant",
                             "pin_hash": GOOD_HASH}
    entry.update(overrides)
    return {k: v for k, v in entry.items() if v is not None}


# --- what a store gets -----------------------------------------------------------------------


def test_no_config_file_gives_the_demo_store_with_its_two_demo_attendants(
        tmp_path: Path) -> None:
    config = load_config(None, env={})
    assert (config.store.id, config.store.language, config.store.languages) == (
        "demo-berlin-01", "de", ("de", "en"))
    assert (config.lane.id, config.lane.fullscreen, config.lane.window_size) == (
        "lane-1", False, (1280, 800))
    assert config.payment.kind == "simulated" and config.payment.approve
    assert config.source is None
    staff = config.attendants_by_id()
    assert staff["1001"].role is Role.ATTENDANT and staff["9001"].role is Role.SUPERVISOR


def test_demo_attendants_sign_in_with_their_documented_pins() -> None:
    staff = load_config(None, env={}).attendants_by_id()
    assert authenticate(staff, "1001", "1234") == staff["1001"]
    assert authenticate(staff, "9001", "9999") == staff["9001"]
    assert authenticate(staff, "1001", "9999") is None


def test_the_documented_example_file_loads_cleanly() -> None:
    config = load_config(EXAMPLE, env={})
    assert config.source == EXAMPLE
    assert config.store.name == "Demo-Markt Berlin"
    assert config.policy.max_quantity_per_line == 20
    assert config.policy.clearance[Reason.DEVICE_FAULT] == frozenset({Role.SUPERVISOR})
    assert not config.policy.may_clear(Role.ATTENDANT, Reason.DEVICE_FAULT)
    assert config.policy.may_clear(Role.ATTENDANT, Reason.AGE_CHECK)
    assert [a.attendant_id for a in config.attendants] == ["1001", "9001"]
    assert all(verify_pin(pin, a.pin_hash)
               for pin, a in zip(("1234", "9999"), config.attendants, strict=True))
    assert config.paths.catalog is None and config.paths.catalog_file == DEMO_CATALOG


def test_the_demo_catalog_the_config_points_to_ships_with_the_package() -> None:
    assert DEMO_CATALOG.is_file()


def test_a_file_without_attendants_has_none_rather_than_the_demo_ones(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, '[lane]\nid = "lane-7"\n'), env={})
    assert config.lane.id == "lane-7"
    assert config.attendants == ()


def test_policy_values_and_clearance_come_from_the_file() -> None:
    config = config_from_dict({"policy": {
        "max_quantity_per_line": 5, "pin_lockout_s": 60,
        "clearance": {"void_approval": ["supervisor"], "help": []}}})
    assert config.policy.max_quantity_per_line == 5 and config.policy.pin_lockout_s == 60
    assert not config.policy.may_clear(Role.ATTENDANT, Reason.VOID_APPROVAL)
    assert config.policy.may_clear(Role.SUPERVISOR, Reason.HELP)  # a supervisor always may
    assert config.policy.may_clear(Role.ATTENDANT, Reason.AGE_CHECK)  # untouched: default


def test_device_tables_are_checked_when_the_config_loads() -> None:
    devices = {"scanner": {"port": "/dev/ttyACM0"}, "bagging": {"port": "/dev/kiosk-bagging"}}
    assert dict(config_from_dict({"devices": devices}).devices) == devices
    with pytest.raises(ConfigError, match=r"unknown key devices\.scanner\.'aim'"):
        config_from_dict({"devices": {"scanner": {"port": "/dev/ttyACM0", "aim": True}}})
    with pytest.raises(ConfigError, match=r"devices\.scale\.protocol: one of toledo, nci, "
                                          r"mtsics, got 'dibal'"):
        config_from_dict({"devices": {"scale": {"port": "/dev/x", "protocol": "dibal"}}})
    with pytest.raises(ConfigError, match="light_red and light_green both use GPIO 17"):
        config_from_dict({"devices": {"gpio": {"light_green": 17, "light_red": 17}}})


# --- paths -----------------------------------------------------------------------------------


def test_relative_paths_in_a_file_are_taken_from_the_files_folder(tmp_path: Path) -> None:
    path = _write(tmp_path, '[paths]\ndata_dir = "data"\ncatalog = "shop.csv"\n')
    paths = load_config(path, env={"STATE_DIRECTORY": "/ignored"}).paths
    assert paths.data_dir == tmp_path / "data"
    assert paths.journal == tmp_path / "data" / "journal.sqlite"
    assert paths.catalog == paths.catalog_file == tmp_path / "shop.csv"


def test_a_relative_journal_lives_in_the_data_folder_and_an_absolute_one_stays(
        tmp_path: Path) -> None:
    rel = config_from_dict({"paths": {"data_dir": "/srv/k", "journal": "j/lane.sqlite"}})
    assert rel.paths.journal == Path("/srv/k/j/lane.sqlite")
    absolute = config_from_dict({"paths": {"journal": str(tmp_path / "x.sqlite")}})
    assert absolute.paths.journal == tmp_path / "x.sqlite"


def test_under_systemd_the_data_folder_is_the_state_directory() -> None:
    config = config_from_dict({}, env={"STATE_DIRECTORY": "/var/lib/kiosk:/var/lib/other"})
    assert config.paths.data_dir == Path("/var/lib/kiosk")
    assert config.paths.journal == Path("/var/lib/kiosk/journal.sqlite")


def test_without_systemd_the_data_folder_is_var_in_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_config(None, env={}).paths.data_dir == tmp_path / "var"


def test_loading_creates_no_folder_and_ensure_creates_the_data_and_journal_folders(
        tmp_path: Path) -> None:
    config = config_from_dict({"paths": {"data_dir": "d", "journal": "j/lane.sqlite"}},
                              base_dir=tmp_path)
    assert not (tmp_path / "d").exists()
    config.paths.ensure()
    config.paths.ensure()  # a second time is fine
    assert (tmp_path / "d" / "j").is_dir()


def test_a_data_folder_that_cannot_be_created_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    config = config_from_dict({"paths": {"data_dir": str(tmp_path / "file" / "var")}})
    with pytest.raises(ConfigError, match=r"paths: cannot create folder .*file/var: .*; check"):
        config.paths.ensure()


# --- every mistake says which key, the bad value and what to do ---------------------------------

BAD = [
    ({"lane": {"window_size": [0, 800]}},
     "lane.window_size: expected two positive integers (width and height in pixels, "
     "e.g. [1280, 800]), got [0, 800]"),
    ({"lane": {"window_size": [1280]}}, "lane.window_size: expected two positive integers"),
    ({"lane": {"window_size": "1280x800"}}, "got '1280x800'"),
    ({"lane": {"window_size": [True, 800]}}, "lane.window_size: expected two positive"),
    ({"policy": {"max_quantity_per_line": "ten"}},
     "policy.max_quantity_per_line: must be a whole number >= 1, got 'ten'"),
    ({"policy": {"max_quantity_per_line": 0}},
     "policy.max_quantity_per_line: must be a whole number >= 1, got 0"),
    ({"policy": {"pin_lockout_s": True}}, "policy.pin_lockout_s: must be a whole number >= 1, "
                                          "got True"),
    ({"policy": {"idle_timeout_s": 3}}, "policy.idle_timeout_s: must be a whole number >= 10"),
    ({"lane": {"fullscren": True}},
     "unknown key 'lane.fullscren'; did you mean 'lane.fullscreen'; known keys here: id, "
     "fullscreen, window_size"),
    ({"attendant": []}, "unknown key 'attendant'; did you mean 'attendants'"),
    ({"zzz": 1}, "unknown key 'zzz'; known keys here: store, lane"),
    ({"store": {"language": "fr"}}, "store.language: 'de' or 'en' is supported, got 'fr'"),
    ({"store": {"language": "en", "languages": ["de"]}},
     "store.language: 'en' is not in store.languages ['de']; add it there or pick one of them"),
    ({"store": {"languages": []}}, "store.languages: expected a list of distinct values from "
                                   "['de', 'en'], got []"),
    ({"store": {"languages": ["de", "de"]}}, "store.languages: expected a list of distinct"),
    ({"store": {"languages": ["de", "fr"]}}, "got ['de', 'fr']"),
    ({"store": {"currency": "USD"}}, "store.currency: only 'EUR' is supported, got 'USD'"),
    ({"store": {"id": "demo berlin"}},
     "store.id: expected 1 to 64 letters, digits, '.', '_' or '-' (no spaces), got "
     "'demo berlin'"),
    ({"store": {"name": ""}}, "store.name: expected non-empty text in quotes, got ''"),
    ({"store": {"name": 12}}, "store.name: expected non-empty text in quotes, got 12"),
    ({"store": 5}, "store: expected a table like [store], got 5"),
    ({"lane": {"fullscreen": "yes"}}, "lane.fullscreen: expected true or false, got 'yes'"),
    ({"paths": {"catalog": 5}}, "paths.catalog: expected non-empty text in quotes, got 5"),
    ({"paths": {"jurnal": "x"}}, "did you mean 'paths.journal'"),
    ({"policy": {"clearance": {"age_chek": ["attendant"]}}},
     "policy.clearance.age_chek: unknown reason; did you mean 'age_check'; reasons are "
     "age_check, void_approval"),
    ({"policy": {"clearance": {"age_check": ["boss"]}}},
     "policy.clearance.age_check: expected a list of distinct values from ['attendant', "
     "'supervisor'], got ['boss']"),
    ({"payment": {"kind": "zvt"}}, "payment.kind: only 'simulated' is available now, got 'zvt'"),
    ({"payment": {"approve": "yes"}}, "payment.approve: expected true or false, got 'yes'"),
    ({"devices": 5}, "devices: expected a table like [devices], got 5"),
    ({"attendants": {"id": "1001"}}, "attendants: expected [[attendants]] tables, got"),
    ({"attendants": [_attendant(id=1001)]},
     'attendants[0].id: expected 1 to 10 digits in quotes (typed on the PIN pad), like "1001", '
     "got 1001"),
    ({"attendants": [_attendant(id="anna")]}, "attendants[0].id: expected 1 to 10 digits"),
    ({"attendants": [_attendant(), _attendant(name="Bea")]},
     "attendants[1].id: '1001' is already used by attendants[0]; each attendant needs an id of "
     "their own"),
    ({"attendants": [_attendant(name=None)]}, "attendants[0].name: missing; every entry needs it"),
    ({"attendants": [_attendant(role="manager")]},
     "attendants[0].role: 'attendant' or 'supervisor' is a role, got 'manager'"),
    ({"attendants": [_attendant(pin_hash="1234")]},
     "attendants[0].pin_hash: expected 'scrypt$16384$8$1$<salt hex>$<hash hex>' (make one with: "
     "python -m kiosk.config hash-pin), got '1234'"),
    ({"attendants": [_attendant(pin="1234")]},
     "attendants[0].pin: a PIN never goes into the config; give pin_hash instead (make one "
     "with: python -m kiosk.config hash-pin)"),
    ({"attendants": [_attendant(pin_h="x")]},
     "unknown key 'attendants[0].pin_h'; did you mean 'attendants[0].pin_hash'"),
    ({"lane": {"window": [800, 600]}},
     "unknown key 'lane.window'; did you mean 'lane.window_size'"),
]


@pytest.mark.parametrize(("data", "message"), BAD, ids=[m[:50] for _d, m in BAD])
def test_a_bad_value_is_refused_with_the_key_the_value_and_what_to_do(
        data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_dict(data, env={})
    assert message in str(info.value)


def test_a_pin_hash_is_never_echoed_in_full(tmp_path: Path) -> None:
    long_secret = "x" * 80
    with pytest.raises(ConfigError) as info:
        config_from_dict({"attendants": [_attendant(pin_hash=long_secret)]})
    assert long_secret not in str(info.value)


def test_an_error_in_a_file_starts_with_the_file_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "[lane]\nwindow_size = [0, 800]\n")
    with pytest.raises(ConfigError, match=r"^.*kiosk\.toml: lane\.window_size: expected two"):
        load_config(path, env={})


def test_a_missing_file_says_so_and_how_to_get_the_demo(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml does not exist; give an existing file, "
                                          r"or no file for the demo settings"):
        load_config(tmp_path / "nope.toml")


def test_broken_toml_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '[store]\nname = "Markt\n')
    with pytest.raises(ConfigError, match=r"kiosk\.toml: not valid TOML \(.*line 2.*\); fix"):
        load_config(path)


def test_a_file_that_is_not_utf8_is_refused_as_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[store]\nname = "Müller"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_a_folder_given_as_the_config_file_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read config file .*: "):
        load_config(tmp_path)


def test_config_errors_are_value_errors_for_callers_outside_the_project() -> None:
    with pytest.raises(ValueError):
        config_from_dict({"lane": {"id": ""}})


# --- the technician's helper -------------------------------------------------------------------


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    # A new session has no controlling terminal, so getpass reads the PIN from stdin.
    return subprocess.run([sys.executable, "-m", "kiosk.config", *args], input=stdin,
                          capture_output=True, text=True, timeout=60, cwd=ROOT,
                          start_new_session=True, check=False)


def test_check_command_accepts_the_example_and_names_the_mistake_in_a_bad_file(
        tmp_path: Path) -> None:
    ok = _run("check", str(EXAMPLE))
    assert ok.returncode == 0
    assert "OK; store demo-berlin-01, lane lane-1, 2 attendant(s)" in ok.stdout
    bad = _run("check", str(_write(tmp_path, "[lane]\nfullscren = true\n")))
    assert bad.returncode == 1
    assert "did you mean 'lane.fullscreen'" in bad.stderr


def test_hash_pin_prints_a_hash_the_kiosk_accepts_for_that_pin() -> None:
    result = _run("hash-pin", stdin="4321\n4321\n")
    assert result.returncode == 0, result.stderr
    pin_hash = result.stdout.strip().splitlines()[-1]
    config = config_from_dict({"attendants": [_attendant(pin_hash=pin_hash)]})
    assert verify_pin("4321", config.attendants[0].pin_hash)
    assert not verify_pin("1234", pin_hash)


def test_hash_pin_refuses_a_pin_that_is_not_digits() -> None:
    result = _run("hash-pin", stdin="abcd\nabcd\n")
    assert result.returncode == 2
    assert "4 to 8 digits" in result.stderr


def test_the_receipt_header_and_e_receipt_link_come_from_the_store_table(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, '[store]\naddress = ["Hauptstr. 5", "80331 München"]\n'
                                          'vat_id = "DE811111111"\n'
                                          'e_receipt_url = "https://hub.example/r/{sale_id}"\n'),
                         env={})
    assert config.store.address == ("Hauptstr. 5", "80331 München")
    assert config.store.vat_id == "DE811111111"
    assert config.store.e_receipt_url.format(sale_id="abc") == "https://hub.example/r/abc"


@pytest.mark.parametrize(("text", "named"), [
    ('[store]\ne_receipt_url = "https://hub.example/r/"\n', "store.e_receipt_url"),
    ('[store]\naddress = "Hauptstr. 5"\n', "store.address"),
    ('[store]\naddress = ["' + "x" * 49 + '"]\n', "store.address"),
    ('[devices.terminal]\nurl = "tcp://10.0.0.5:20007"\npassword = 1234\n',
     "devices.terminal.password"),
    ('[devices.printer]\nurl = "/dev/kiosk-printer"\ncodepage = "UTF-8"\n',
     "devices.printer.codepage"),
])
def test_a_bad_receipt_or_terminal_setting_names_its_key(tmp_path: Path, text: str,
                                                         named: str) -> None:
    from kiosk.config_devices import parse_devices

    with pytest.raises(ConfigError, match=re.escape(named)):
        parse_devices(load_config(_write(tmp_path, text), env={}).devices)
