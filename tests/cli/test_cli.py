"""The `kiosk` command as a store technician runs it: real subprocesses, a temp journal."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def kiosk(*args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "kiosk"]
    if config is not None:
        cmd += ["--config", str(config)]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text('[paths]\ndata_dir = "data"\n', encoding="utf-8")
    return path


def test_code_explains_a_german_weight_label_from_the_demo_store(config: Path) -> None:
    result = kiosk("code", "2812341012349", config=config)
    assert result.returncode == 0, result.stderr
    assert "German in-store code with a weight" in result.stdout
    assert "1234 g" in result.stdout
    assert "Gouda" in result.stdout
    # a question about a code creates no journal
    assert not (config.parent / "data").exists()


def test_code_with_a_bad_check_digit_says_why_and_what_the_shopper_sees(config: Path) -> None:
    result = kiosk("code", "]E04006381333932", "--lang", "de", config=config)
    assert result.returncode == 0
    assert "bad_check_digit" in result.stdout
    assert "expected 1" in result.stdout
    assert "Bitte" in result.stdout  # the German shopper text


def test_catalog_import_replaces_the_catalog_and_kiosk_code_finds_the_new_item(
    config: Path, tmp_path: Path
) -> None:
    csv = tmp_path / "store.csv"
    csv.write_text(
        "sku,name_de,name_en,price,vat_rate,gtin\n"
        "MILK-1,Frische Vollmilch 1 l,Fresh whole milk 1 l,\"1,29\",7,4006381333931\n",
        encoding="utf-8",
    )
    result = kiosk("catalog", "import", str(csv), config=config)
    assert result.returncode == 0, result.stderr
    assert "1" in result.stdout
    shown = kiosk("code", "4006381333931", config=config)
    assert "Frische Vollmilch" in shown.stdout or "Fresh whole milk" in shown.stdout
    assert "1.29" in shown.stdout or "1,29" in shown.stdout


def test_a_bad_catalog_is_refused_with_its_line_and_field_and_the_old_one_stays(
    config: Path, tmp_path: Path
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"products": [
        {"sku": "A", "names": {"de": "Apfelsaft"}, "price_cents": 199, "vat_rate": 19,
         "gtin": "4006381333931"},
    ]}), encoding="utf-8")
    assert kiosk("catalog", "import", str(good), config=config).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,name_de,price,vat_rate\nB,Brot,\"2,49\",7\nC,Käse,zwei,7\n",
                   encoding="utf-8")
    result = kiosk("catalog", "import", str(bad), config=config)
    assert result.returncode == 1
    assert result.stderr.startswith("kiosk: ")
    assert "line 3" in result.stderr and "price" in result.stderr and "zwei" in result.stderr
    assert "Traceback" not in result.stderr
    db = sqlite3.connect(config.parent / "data" / "journal.sqlite")
    skus = [r[0] for r in db.execute("SELECT sku FROM products")]
    assert skus == ["A"]


def test_a_malformed_config_names_the_key_and_exits_non_zero(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text("[policy]\nmax_quantity_per_line = \"ten\"\n", encoding="utf-8")
    result = kiosk("code", "4006381333931", config=path)
    assert result.returncode == 1
    assert "policy.max_quantity_per_line" in result.stderr
    assert "ten" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_command_has_help_a_technician_can_follow() -> None:
    for args in (["--help"], ["run", "--help"], ["code", "--help"],
                 ["catalog", "import", "--help"]):
        result = kiosk(*args)
        assert result.returncode == 0, args
        assert "usage: kiosk" in result.stdout
