"""The scale driver over pty simulators with each protocol's real line settings."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hardware.device import DataEvent, ErrorEvent, Event, StatusEvent
from hardware.errors import (
    DeviceClosedError,
    DeviceConfigError,
    DeviceOfflineError,
    DeviceTimeoutError,
    ProtocolError,
)
from hardware.scale import Scale, Weight, make_scale, probe
from hardware.serial_port import LineSettings
from hardware.sim.scale import ScaleSimulator

PROTOCOLS = ["toledo", "nci", "mtsics"]
FAST = {"poll_s": 0.02, "silent_after_s": 0.2, "offline_after_s": 0.6}


async def next_event(scale: Scale, match: Callable[[Event], bool], timeout_s: float = 2.0
                     ) -> Event:
    """The next event of `scale` that `match`es (earlier ones are read and dropped)."""
    async def scan() -> Event:
        async with contextlib.aclosing(scale.events()) as events:
            async for event in events:
                if match(event):
                    return event
        raise AssertionError("event stream ended")  # pragma: no cover
    return await asyncio.wait_for(scan(), timeout_s)


def status(key: str) -> Callable[[Event], bool]:
    return lambda e: isinstance(e, StatusEvent) and e.status == key


def weight(grams: int, *, stable: bool = True) -> Callable[[Event], bool]:
    return lambda e: isinstance(e, DataEvent) and e.data == Weight(grams, stable=stable)


@pytest.fixture(params=PROTOCOLS)
def sim(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ScaleSimulator]:
    with ScaleSimulator(request.param, tmp_path / "kiosk-scale", weight_g=1234) as simulator:
        yield simulator


def scale_for(sim: ScaleSimulator, **options: object) -> Scale:
    return make_scale("scale", str(sim.port), sim.protocol, **{**FAST, **options})


def test_a_stable_weight_arrives_in_grams(sim: ScaleSimulator) -> None:
    async def main() -> None:
        async with scale_for(sim) as scale:
            assert await scale.read_weight(timeout_s=2.0) == Weight(1234, stable=True)
            await next_event(scale, weight(1234))
            sim.weight_g = 250
            await next_event(scale, weight(250))
            assert scale.status is not None and scale.status.value == "stable"
    asyncio.run(main())


def test_unstable_readings_are_never_delivered_as_stable(sim: ScaleSimulator) -> None:
    async def main() -> None:
        sim.stable = False
        async with scale_for(sim) as scale:
            await next_event(scale, status("unstable"))
            with pytest.raises(DeviceTimeoutError, match=r"no stable weight.*unstable"):
                await scale.read_weight(timeout_s=0.3)
            sim.stable = True
            assert (await scale.read_weight(timeout_s=2.0)).stable
    asyncio.run(main())


def test_overload_and_under_zero_are_reported_as_status(sim: ScaleSimulator) -> None:
    async def main() -> None:
        async with scale_for(sim) as scale:
            sim.overload = True
            await next_event(scale, status("overweight"))
            sim.overload, sim.under_zero = False, True
            await next_event(scale, status("under_zero"))
            sim.under_zero = False
            await next_event(scale, status("stable"))
    asyncio.run(main())


def test_a_light_item_is_reported_underweight_and_an_empty_platter_zero(
        sim: ScaleSimulator) -> None:
    async def main() -> None:
        async with scale_for(sim, min_weight_g=40) as scale:
            sim.weight_g = 12
            await next_event(scale, status("underweight"))
            sim.weight_g = 0
            await next_event(scale, status("zero"))
    asyncio.run(main())


def test_garbage_is_an_error_event_and_the_next_reading_still_arrives(
        sim: ScaleSimulator) -> None:
    async def main() -> None:
        sim.garbage = True
        async with scale_for(sim) as scale:
            event = await next_event(scale, lambda e: isinstance(e, ErrorEvent))
            assert isinstance(event, ErrorEvent) and isinstance(event.error, ProtocolError)
            assert "scale on" in str(event.error)
            await next_event(scale, weight(1234))
            assert await scale.read_weight(timeout_s=2.0) == Weight(1234, stable=True)
    asyncio.run(main())


def test_silence_is_reported_then_offline_and_answers_bring_it_back(
        sim: ScaleSimulator) -> None:
    async def main() -> None:
        async with scale_for(sim) as scale:
            await next_event(scale, weight(1234))
            sim.silent = True
            event = await next_event(scale, status("silent"))
            assert "no answer" in getattr(event, "detail", "")
            sim.silent = False
            await next_event(scale, status("online"))
            sim.silent = True
            await next_event(scale, status("offline"))
    asyncio.run(main())


def test_a_pending_read_fails_at_once_when_the_scale_is_unplugged(sim: ScaleSimulator) -> None:
    async def main() -> None:
        sim.stable = False
        async with scale_for(sim) as scale:
            pending = asyncio.ensure_future(scale.read_weight(timeout_s=5.0))
            await asyncio.sleep(0.1)
            sim.unplug()
            with pytest.raises(DeviceOfflineError, match="went offline"):
                await pending
    asyncio.run(main())


def test_zero_is_done_by_the_scale_only_near_zero_and_when_stable(sim: ScaleSimulator) -> None:
    async def main() -> None:
        async with scale_for(sim) as scale:
            sim.weight_g = 5000
            assert await scale.zero() is False  # outside the zero range
            sim.weight_g = 8
            assert await scale.zero() is True
            assert await scale.read_weight() == Weight(0, stable=True)
            sim.stable = False
            assert await scale.zero() is False
    asyncio.run(main())


def test_each_protocol_opens_its_real_line_settings(tmp_path: Path) -> None:
    seven_e_one = LineSettings(9600, 7, "E", 1)
    assert Scale("s", "/dev/kiosk-scale", "toledo").settings == seven_e_one
    assert Scale("s", "/dev/kiosk-scale", "nci").settings == seven_e_one
    assert Scale("s", "/dev/kiosk-scale", "mtsics").settings == LineSettings(9600, 8, "N", 1)


def test_bad_settings_are_refused_with_what_to_do() -> None:
    with pytest.raises(DeviceConfigError, match="unknown scale protocol 'cas'"):
        Scale("s", "/dev/x", "cas")
    with pytest.raises(DeviceConfigError, match="continuous mode needs MT-SICS"):
        Scale("s", "/dev/x", "toledo", continuous=True)
    with pytest.raises(DeviceConfigError, match="poll_s"):
        Scale("s", "/dev/x", "nci", poll_s=2.0, silent_after_s=1.0)
    with pytest.raises(DeviceConfigError, match="bad scale option"):
        make_scale("s", "/dev/x", "nci", colour="red")


def test_reading_a_closed_scale_raises(tmp_path: Path) -> None:
    async def main() -> None:
        with ScaleSimulator("toledo", tmp_path / "kiosk-scale") as sim:
            scale = scale_for(sim)
            with pytest.raises(DeviceClosedError):
                await scale.read_weight()
            async with scale:
                pass
            with pytest.raises(DeviceClosedError):
                await scale.zero()
    asyncio.run(main())


def test_mtsics_continuous_mode_streams_without_polling(tmp_path: Path) -> None:
    async def main() -> None:
        with ScaleSimulator("mtsics", tmp_path / "kiosk-scale", weight_g=500) as sim:
            async with scale_for(sim, continuous=True) as scale:
                for _ in range(5):
                    await next_event(scale, weight(500))
                sim.weight_g = 750
                await next_event(scale, weight(750))
            await asyncio.sleep(0.1)
            assert sim.requests[0] == b"SIR"
            assert b"SI" not in sim.requests
            assert sim.requests[-1] == b"@"  # closing stops the stream
    asyncio.run(main())


@pytest.mark.parametrize("variant", ["S", "plain", "hh"])
def test_nci_weights_arrive_from_every_reply_variant(tmp_path: Path, variant: str) -> None:
    async def main() -> None:
        with ScaleSimulator("nci", tmp_path / "kiosk-scale", weight_g=2345,
                            nci_variant=variant) as sim:
            async with scale_for(sim) as scale:
                assert await scale.read_weight() == Weight(2345, stable=True)
    asyncio.run(main())


def test_probe_names_the_protocol_each_simulator_speaks(tmp_path: Path) -> None:
    async def main() -> None:
        for protocol in PROTOCOLS:
            with ScaleSimulator(protocol, tmp_path / f"scale-{protocol}", weight_g=1) as sim:
                assert await probe(str(sim.port), timeout_s=0.3) == protocol
    asyncio.run(main())


def test_probe_returns_none_for_a_silent_port(tmp_path: Path) -> None:
    async def main() -> None:
        with ScaleSimulator("mtsics", tmp_path / "kiosk-scale") as sim:
            sim.silent = True
            assert await probe(str(sim.port), timeout_s=0.2) is None
    asyncio.run(main())


def test_probe_of_a_missing_port_says_it_cannot_open_it(tmp_path: Path) -> None:
    with pytest.raises(DeviceOfflineError, match="cannot open"):
        asyncio.run(probe(str(tmp_path / "nothing-here")))
