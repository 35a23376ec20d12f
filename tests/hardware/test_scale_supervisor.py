"""Unplug and replug a scale 100 times per protocol: the Supervisor brings it back each time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hardware.device import DataEvent, Event, Supervisor
from hardware.scale import Scale, Weight
from hardware.sim.scale import ScaleSimulator

CYCLES = 100


async def wait_for(condition: Callable[[], bool], timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["toledo", "nci", "mtsics"])
def test_a_scale_recovers_from_100_unplug_replug_cycles(tmp_path: Path, protocol: str) -> None:
    lost: list[str] = []
    back: list[str] = []
    weights: list[Weight] = []

    def on_event(event: Event) -> None:
        if isinstance(event, DataEvent):
            weights.append(event.data)

    async def main() -> None:
        with ScaleSimulator(protocol, tmp_path / "kiosk-scale", weight_g=1000) as sim:
            scale = Scale("scale", str(sim.port), protocol, poll_s=0.01,
                          silent_after_s=0.5, offline_after_s=2.0,
                          continuous=protocol == "mtsics")
            supervisor = Supervisor(scale, on_event=on_event,
                                    on_lost=lambda n, d: lost.append(d),
                                    on_back=lambda n, d: back.append(d), backoff_s=(0.005,))
            supervisor.start()
            try:
                await wait_for(lambda: bool(weights))
                for cycle in range(1, CYCLES + 1):
                    sim.unplug()
                    await wait_for(lambda n=cycle: len(lost) == n)
                    sim.weight_g = 1000 + cycle  # a reading from after the replug
                    sim.replug()
                    await wait_for(lambda n=cycle: len(back) == n)
                    await wait_for(lambda n=cycle: weights[-1].grams == 1000 + n)
            finally:
                await supervisor.stop()

    started = time.monotonic()
    asyncio.run(main())
    assert len(lost) == len(back) == CYCLES
    assert weights[-1] == Weight(1000 + CYCLES, stable=True)
    assert time.monotonic() - started < 20
