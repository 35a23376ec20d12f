"""`kiosk firstboot` against a real hub on 127.0.0.1: the kiosk gets its device id, enrols with
the boot partition's one-time code, keeps its token encrypted and root-only, and says why when
it cannot enrol: in enrol-status.json and on the lane's screen."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

from kiosk.app import build_controller, load
from kiosk.app_firstboot import Firstboot
from kiosk.config import load_config
from tests.hub.hubtest import running_hub

from .lane import creds_tool, decrypt, firstboot, kiosk_config, need_creds, provision, stored_token


def status(state: Path) -> dict[str, object]:
    return dict(json.loads((state / "enrol-status.json").read_text()))


def test_first_boot_enrols_seals_the_token_for_root_and_spends_the_code(tmp_path: Path) -> None:
    state, boot = tmp_path / "var-lib-kiosk", tmp_path / "boot"

    async def go() -> None:
        async with running_hub(tmp_path / "hub.sqlite") as hub:
            code = hub.store.create_enrol_code("lane-3")
            used = provision(boot, hub.url, code, lane_id="lane-3")
            exit_status, said = await firstboot(state, boot)
            assert exit_status == 0, said
            assert not used.exists() and used.with_name("kiosk-provision.toml.used").exists()
            cred = state / "credstore" / "hub-token.cred"
            if creds_tool() is not None:
                info = cred.stat()
                assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (0, 0o600)
                assert stat.S_IMODE(cred.parent.stat().st_mode) == 0o700
            else:
                assert "stays unencrypted" in said
            token = stored_token(state)
            assert hub.store.device_for_token(token) == "lane-3"  # the hub knows this token
            again, said_again = await firstboot(state, boot)  # the next boot: nothing to do
            assert (again, "already enrolled" in said_again) == (0, True)

    asyncio.run(go())
    assert (state / "device-id").read_text() == "lane-3\n"
    assert (state / "enrolled").exists()
    assert status(state)["enrolled"] is True
    config = load_config(kiosk_config(tmp_path, state))  # the image's config + provisioned.toml
    assert config.lane.id == "lane-3" and config.sync.hub_url.startswith("http://127.0.0.1:")


def test_a_boot_partition_that_refuses_the_rename_does_not_cost_the_lane_its_token(
        tmp_path: Path) -> None:
    # Seen in the x86-64 image under qemu: the hub spent the code, then renaming the file on
    # the boot partition failed, and the lane stayed unenrolled with its token in plain text
    # (and the next boot's retry of the spent code was refused).
    state, boot = tmp_path / "state", tmp_path / "boot"

    async def go() -> None:
        async with running_hub(tmp_path / "hub.sqlite") as hub:
            code = hub.store.create_enrol_code("lane-5")
            kept = provision(boot, hub.url, code, lane_id="lane-5")
            (boot / "kiosk-provision.toml.used" / "in-the-way").mkdir(parents=True)
            exit_status, said = await firstboot(state, boot)
            assert exit_status == 0, said
            assert f"could not rename {kept} to .used" in said and "delete the file" in said
            assert kept.exists()
            token = stored_token(state)
            assert hub.store.device_for_token(token) == "lane-5"

    asyncio.run(go())
    assert (state / "enrolled").exists() and status(state)["enrolled"] is True


def test_a_first_boot_cut_off_after_enrolling_seals_that_token_at_the_next_boot(
        tmp_path: Path) -> None:
    # The hub spent the code and the token reached the state folder, then the power went:
    # the next boot must seal that token, not retry the spent code (the hub refuses it).
    state, boot = tmp_path / "state", tmp_path / "boot"

    async def go() -> None:
        async with running_hub(tmp_path / "hub.sqlite") as hub:
            code = hub.store.create_enrol_code("lane-6")
            kept = provision(boot, hub.url, code, lane_id="lane-6")
            state.mkdir()
            (state / "hub-token").write_text(hub.store.enrol(code, "lane-6") + "\n")
            exit_status, said = await firstboot(state, boot)
            assert exit_status == 0, said
            assert not kept.exists() and kept.with_name("kiosk-provision.toml.used").exists()
            token = stored_token(state)
            assert hub.store.device_for_token(token) == "lane-6"

    asyncio.run(go())
    assert status(state)["enrolled"] is True


def test_a_used_code_is_refused_with_the_hubs_reason_and_the_lane_shows_it(
        tmp_path: Path) -> None:
    state, boot = tmp_path / "state", tmp_path / "boot"

    async def go() -> None:
        async with running_hub(tmp_path / "hub.sqlite") as hub:
            code = hub.store.create_enrol_code("lane-4")
            hub.store.enrol(code, "lane-4")  # someone used it already
            kept = provision(boot, hub.url, code, lane_id="lane-4")
            exit_status, said = await firstboot(state, boot)
            assert exit_status == 1
            assert "the enrolment code was already used" in said
            assert kept.exists()  # the technician can see what was tried

    asyncio.run(go())
    reason = str(status(state)["reason"])
    assert "the enrolment code was already used; make a new one" in reason
    assert not (state / "enrolled").exists()
    controller = build_controller(load(kiosk_config(tmp_path, state)))
    try:
        view = controller.view()
        assert view.screen == "not_enrolled"
        assert view.notice_text.startswith(f"Kasse nicht angemeldet: {reason}")
        assert "lane-4" in view.notice_text  # the id to make a new code for
        controller.lang = "en"
        assert controller.view().notice_text.startswith(f"Lane not enrolled: {reason}")
    finally:
        controller.durable.db.conn.close()


def test_an_unreachable_hub_and_a_missing_file_are_written_down_as_reasons(
        tmp_path: Path) -> None:
    state, boot = tmp_path / "state", tmp_path / "boot"
    provision(boot, "http://127.0.0.1:9", "AAAA-BBBB")  # port 9: nothing listens
    assert asyncio.run(firstboot(state, boot))[0] == 1
    assert "the hub http://127.0.0.1:9 cannot be reached" in str(status(state)["reason"])
    first_id = (state / "device-id").read_text()
    (boot / "kiosk-provision.toml").unlink()
    assert asyncio.run(firstboot(state, boot))[0] == 1
    assert "no kiosk-provision.toml on the boot partition" in str(status(state)["reason"])
    device_id = (state / "device-id").read_text().strip()
    assert device_id.startswith("kiosk-") and first_id == device_id + "\n"  # kept
    assert status(state)["device_id"] == device_id


def test_while_not_enrolled_the_units_credential_exists_and_is_empty(tmp_path: Path) -> None:
    need_creds()
    state, boot = tmp_path / "state", tmp_path / "boot"
    assert asyncio.run(firstboot(state, boot))[0] == 1
    # kiosk.service names the file in LoadCredentialEncrypted=: it must exist to start at all.
    assert decrypt(state / "credstore" / "hub-token.cred") == ""


def test_a_provisioning_file_without_hub_makes_a_standalone_lane_that_sells(
        tmp_path: Path) -> None:
    state, boot = tmp_path / "state", tmp_path / "boot"
    provision(boot, "", "", lane_id="lane-9")
    exit_status, said = asyncio.run(firstboot(state, boot))
    assert exit_status == 0, said
    controller = build_controller(load(kiosk_config(tmp_path, state)))
    try:
        assert (controller.config.lane.id, controller.config.sync.hub_url) == ("lane-9", "")
        assert controller.view().screen == "attract"
    finally:
        controller.durable.db.conn.close()


def test_the_device_id_comes_from_the_machine_id_without_revealing_it(tmp_path: Path) -> None:
    machine_id = tmp_path / "machine-id"
    machine_id.write_text("0123456789abcdef0123456789abcdef\n")
    ids = []
    for n in (1, 2):
        state = tmp_path / f"state-{n}"
        Firstboot(state, (tmp_path / "no-boot",), machine_id, None, 0.0).run()
        ids.append((state / "device-id").read_text().strip())
    assert ids[0] == ids[1] and ids[0].startswith("kiosk-")  # same machine, same id
    assert "0123456789abcdef" not in ids[0]
    machine_id.write_text("uninitialized\n")  # first boot before systemd wrote one: random
    Firstboot(tmp_path / "state-3", (tmp_path / "no-boot",), machine_id, None, 0.0).run()
    assert (tmp_path / "state-3" / "device-id").read_text().strip() != ids[0]


def test_a_lane_never_provisioned_sells_as_before(tmp_path: Path) -> None:
    controller = build_controller(load(kiosk_config(tmp_path, tmp_path / "state")))
    try:
        assert controller.enrolment is None and controller.view().screen == "attract"
    finally:
        controller.durable.db.conn.close()


def test_the_token_comes_from_systemds_credential_when_the_service_has_one(
        tmp_path: Path) -> None:
    creds = tmp_path / "run-credentials"
    creds.mkdir()
    path = kiosk_config(tmp_path, tmp_path / "state")
    (creds / "hub-token").write_text("")  # the empty placeholder: the plain file still counts
    env = {"CREDENTIALS_DIRECTORY": str(creds)}
    assert load_config(path, env=env).sync.token_file == tmp_path / "state" / "hub-token"
    (creds / "hub-token").write_text("t" * 43)
    assert load_config(path, env=env).sync.token_file == creds / "hub-token"
