"""The [sync] table: where the hub is, where the token lives, how often and how much."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import config_from_dict
from kiosk.errors import ConfigError


def test_without_a_sync_table_no_hub_is_used_and_the_token_sits_in_the_data_folder(
        tmp_path: Path) -> None:
    config = config_from_dict({"paths": {"data_dir": str(tmp_path)}})
    assert config.sync.hub_url == ""
    assert config.sync.token_file == tmp_path / "hub-token"
    assert (config.sync.interval_s, config.sync.batch) == (30, 200)


def test_a_hub_address_and_a_relative_token_file_are_taken_as_given(tmp_path: Path) -> None:
    config = config_from_dict({"paths": {"data_dir": str(tmp_path)},
                               "sync": {"hub_url": "http://hub.local:8080/", "batch": 500,
                                        "token_file": "secrets/token", "interval_s": 5}})
    assert config.sync.hub_url == "http://hub.local:8080"
    assert config.sync.token_file == tmp_path / "secrets" / "token"
    assert (config.sync.batch, config.sync.interval_s) == (500, 5)


@pytest.mark.parametrize(("sync", "message"), [
    ({"hub_url": "hub.local"}, "sync.hub_url: expected the hub's address"),
    ({"batch": 501}, "sync.batch: at most 500"),
    ({"batch": 0}, "sync.batch: must be a whole number >= 1"),
    ({"interval_s": 0}, "sync.interval_s: must be a whole number >= 1"),
    ({"hub": "x"}, "did you mean 'sync.hub_url'"),
])
def test_a_bad_sync_setting_names_its_key(sync: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict({"sync": sync})
