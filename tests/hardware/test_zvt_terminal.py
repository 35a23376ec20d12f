"""ZvtTerminal end to end: against the ZVT simulator over loopback TCP and a pty, and against a
tiny TCP peer that replays literal bytes of protocols.md §4.3."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from hardware.device import DeviceState, Event, StatusEvent, Supervisor
from hardware.errors import DeviceConfigError, DeviceOfflineError, ProtocolError
from hardware.payment import PaymentOutcome, PaymentResult, PaymentStatus, ZvtTerminal
from hardware.sim.pty import PtyLink
from hardware.sim.zvt import ZvtSimulator

H = bytes.fromhex
T = TypeVar("T")
REGISTRATION = H("06 00 06 00 00 00 BE 09 78")
ACK = H("80 00 00")
PAY_2_99 = H("06 01 07 04 00 00 00 00 02 99")
ABORT = H("06 B0 00")


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await asyncio.wait_for(coro, 30)
    return asyncio.run(main())


def wait_until(condition: Callable[[], bool], timeout_s: float = 2.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def terminal(address: str, **options: float) -> ZvtTerminal:
    options.setdefault("completion_timeout_s", 1.0)
    options.setdefault("ack_timeout_s", 0.5)
    return ZvtTerminal("pt", address, **options)  # type: ignore[arg-type]


@pytest.fixture(params=["tcp", "serial"])
def sim(request: pytest.FixtureRequest, tmp_path: Path) -> ZvtSimulator:
    simulator = ZvtSimulator(transport=request.param, link=tmp_path / "kiosk-terminal",
                             think_s=0.01)
    simulator.start()
    request.addfinalizer(simulator.close)
    return simulator


@pytest.fixture
def tcp_sim() -> ZvtSimulator:
    with ZvtSimulator(think_s=0.01) as simulator:
        yield simulator  # type: ignore[misc]


def pay_with(address: str, amount_cents: int, *, before: Callable[[ZvtTerminal], None] = (
        lambda _: None), during: Callable[[ZvtTerminal], Awaitable[None]] | None = None,
        on_status: Callable[[PaymentStatus], None] | None = None,
        **options: float) -> tuple[PaymentResult, list[PaymentStatus]]:
    statuses: list[PaymentStatus] = []

    def seen(status: PaymentStatus) -> None:
        statuses.append(status)
        if on_status is not None:
            on_status(status)

    async def main() -> PaymentResult:
        async with terminal(address, **options) as pt:
            before(pt)
            task = asyncio.create_task(pt.pay(amount_cents, on_status=seen))
            if during is not None:
                await during(pt)
            return await task
    return run(main()), statuses


def test_approve_reports_statuses_and_every_result_field(sim: ZvtSimulator) -> None:
    result, statuses = pay_with(sim.address, 299)
    assert result.outcome is PaymentOutcome.APPROVED
    assert [s.kind for s in statuses] == ["insert_card", "enter_pin", "wait"]
    assert (result.amount_cents, result.result_code) == (299, 0)
    assert result.masked_pan == "6726********0000"
    assert (result.card_type, result.card_name) == ("5", "girocard")
    assert result.terminal_id == "52500001"
    assert result.trace_number == sim.booked[0]["trace_number"]
    assert result.receipt_number == sim.booked[0]["receipt_number"]
    assert len(result.booked_at) == len("MM-DD HH:MM:SS")
    assert result.receipt_lines[-1] == "Zahlung erfolgt"
    assert sim.booked == [{"amount_cents": 299, "trace_number": "000001",
                           "receipt_number": "0001"}]


def test_the_kiosk_sends_the_registration_and_approve_flow_byte_for_byte(
        tcp_sim: ZvtSimulator) -> None:
    result, _ = pay_with(tcp_sim.address, 299)
    assert result.outcome is PaymentOutcome.APPROVED
    # 06 0F of the registration; 3 statuses, 04 0F, 4 receipt lines, 06 0F of the payment
    expected = [REGISTRATION, ACK, PAY_2_99] + [ACK] * 9
    wait_until(lambda: len(tcp_sim.received) >= len(expected))  # the sim reads in its thread
    assert tcp_sim.received == expected


def test_decline_is_a_result_with_the_host_code(sim: ZvtSimulator) -> None:
    sim.next_behaviour = "decline"
    result, _ = pay_with(sim.address, 299)
    assert (result.outcome, result.result_code) == (PaymentOutcome.DECLINED, 5)
    assert "05" in result.message and sim.booked == []


def test_a_wrong_pin_is_shown_and_the_payment_still_goes_through(sim: ZvtSimulator) -> None:
    sim.next_behaviour = "pin_retry"
    result, statuses = pay_with(sim.address, 1000)
    assert result.outcome is PaymentOutcome.APPROVED and result.amount_cents == 1000
    assert "pin_wrong" in [s.kind for s in statuses]


def test_customer_timeout_on_the_terminal_is_aborted(sim: ZvtSimulator) -> None:
    sim.next_behaviour = "customer_timeout"
    result, _ = pay_with(sim.address, 299)
    assert (result.outcome, result.result_code) == (PaymentOutcome.ABORTED, 0x6C)


def test_abort_during_a_hesitating_shopper_stops_the_payment(sim: ZvtSimulator) -> None:
    sim.next_behaviour = "hesitate"

    shown: list[PaymentStatus] = []

    async def abort_after_insert_card(pt: ZvtTerminal) -> None:
        while not shown:
            await asyncio.sleep(0.01)
        await pt.abort()
    result, statuses = pay_with(sim.address, 299, during=abort_after_insert_card,
                                on_status=shown.append)
    assert result.outcome is PaymentOutcome.ABORTED and sim.booked == []
    assert statuses[0].kind == "insert_card"
    assert ABORT in sim.received


def test_abort_when_nothing_runs_sends_nothing(tcp_sim: ZvtSimulator) -> None:
    async def main() -> None:
        async with terminal(tcp_sim.address) as pt:
            await pt.abort()
    run(main())
    assert ABORT not in tcp_sim.received


def test_silence_is_unknown_and_the_terminal_then_says_not_booked(sim: ZvtSimulator) -> None:
    sim.next_behaviour = "silence"

    async def main() -> tuple[PaymentResult, PaymentResult | None]:
        async with terminal(sim.address, completion_timeout_s=0.5, ack_timeout_s=0.3) as pt:
            result = await pt.pay(299)
            return result, await pt.last_result()
    result, last = run(main())
    assert result.outcome is PaymentOutcome.UNKNOWN
    assert "reconcile" in result.message
    assert ABORT in sim.received  # it asked the silent terminal to stop before giving up
    assert last is None and sim.booked == []


def test_a_lost_result_is_unknown_and_reconciles_to_the_booked_payment(
        sim: ZvtSimulator) -> None:
    sim.next_behaviour = "lost_result"

    async def main() -> tuple[PaymentResult, PaymentResult | None, list[Event]]:
        pt = terminal(sim.address, completion_timeout_s=0.5, ack_timeout_s=0.3)
        await pt.open()
        try:
            result = await pt.pay(1234)
            events = []
            if pt.state is DeviceState.OFFLINE:  # TCP: the connection broke; reconnect
                events.append(await anext(aiter(pt.events())))
                await pt.close()
                await pt.open()
            return result, await pt.last_result(), events
        finally:
            await pt.close()
    result, last, events = run(main())
    assert result.outcome is PaymentOutcome.UNKNOWN
    assert last is not None and last.outcome is PaymentOutcome.APPROVED
    assert last.amount_cents == 1234
    assert last.trace_number == sim.booked[0]["trace_number"]
    if sim.transport == "tcp":
        assert [(e.status if isinstance(e, StatusEvent) else e) for e in events] == ["offline"]


@pytest.mark.parametrize("behaviour", ["split", "coalesce"])
def test_split_and_coalesced_tcp_reads_approve(tcp_sim: ZvtSimulator, behaviour: str) -> None:
    tcp_sim.behaviour = behaviour
    result, statuses = pay_with(tcp_sim.address, 299)
    assert result.outcome is PaymentOutcome.APPROVED and len(statuses) == 3


def test_bad_crc_frames_are_naked_and_the_resent_ones_count(tmp_path: Path) -> None:
    with ZvtSimulator(transport="serial", link=tmp_path / "pt", behaviour="bad_crc",
                      think_s=0.01) as sim:
        result, statuses = pay_with(sim.address, 299)
    assert result.outcome is PaymentOutcome.APPROVED and len(statuses) == 3


def test_a_refused_command_is_a_declined_payment_naming_the_code(sim: ZvtSimulator) -> None:
    result, _ = pay_with(sim.address, 299,
                         before=lambda _: setattr(sim, "behaviour", "unknown_command"))
    assert (result.outcome, result.result_code) == (PaymentOutcome.DECLINED, 0x83)
    assert "84 83" in result.message and "nothing was booked" in result.message


def test_no_ack_for_the_authorisation_is_unknown(tcp_sim: ZvtSimulator) -> None:
    tcp_sim.next_behaviour = "no_ack"
    result, _ = pay_with(tcp_sim.address, 299, ack_timeout_s=0.3)
    assert result.outcome is PaymentOutcome.UNKNOWN


def test_a_terminal_refusing_registration_cannot_be_opened(tcp_sim: ZvtSimulator) -> None:
    tcp_sim.behaviour = "unknown_command"
    with pytest.raises(DeviceConfigError, match="refused registration"):
        run(terminal(tcp_sim.address).open())


def test_nobody_listening_is_offline_and_names_the_address() -> None:
    with ZvtSimulator() as sim:
        address = sim.address
    with pytest.raises(DeviceOfflineError, match=address):
        run(terminal(address).open())


def test_last_result_with_no_transaction_is_none(sim: ZvtSimulator) -> None:
    async def main() -> PaymentResult | None:
        async with terminal(sim.address) as pt:
            return await pt.last_result()
    assert run(main()) is None


def test_the_supervisor_reconnects_after_an_unplugged_serial_terminal(tmp_path: Path) -> None:
    with ZvtSimulator(transport="serial", link=tmp_path / "pt", think_s=0.01) as sim:
        async def main() -> tuple[list[str], PaymentResult]:
            pt = terminal(sim.address)
            told: list[str] = []
            supervisor = Supervisor(pt, on_event=lambda _: None,
                                    on_lost=lambda n, d: told.append("lost"),
                                    on_back=lambda n, d: told.append("back"),
                                    backoff_s=(0.05,))
            supervisor.start()
            while not pt.is_open:
                await asyncio.sleep(0.02)
            sim.unplug()
            while told != ["lost"]:
                await asyncio.sleep(0.02)
            sim.replug()
            while told != ["lost", "back"]:
                await asyncio.sleep(0.02)
            try:
                return told, await pt.pay(500)
            finally:
                await supervisor.stop()
        told, result = run(main())
    assert told == ["lost", "back"]
    assert result.outcome is PaymentOutcome.APPROVED


# -- a literal peer: the bytes of protocols.md §4.3 and ecrterm's real captures -------------

REAL_STATUS_INFO = H(
    "04 0F 37 27 00 04 00 00 00 00 40 00 49 09 78 0C 09 38 48 0D 04 25 22 F1 F1 59 66 66 66 66 "
    "D2 00 21 22 01 00 17 00 01 87 01 75 0B 61 39 95 19 40 29 60 09 99 14 0E 05 12 8A 02")
GERMAN_STATUS = H("04 FF 1E 0A 01 06 1A 24 18 07 16 42 69 74 74 65 20 4B 61 72 74 65 20 65 69 "
                  "6E 73 74 65 63 6B 65 6E")


async def literal_peer(replies: dict[bytes, list[bytes]], heard: list[bytes],
                       done: asyncio.Event) -> tuple[asyncio.Server, str]:
    """A PT that answers each whole command with fixed APDUs, written one per write; `done`
    is set when the kiosk hung up."""
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.read(3):
                head += await reader.readexactly(3 - len(head))
                data = head + await reader.readexactly(head[2])  # no command here is 255+ B
                heard.append(data)
                for apdu in replies.get(data, []):
                    writer.write(apdu)
                    await writer.drain()
                    await asyncio.sleep(0.01)
        finally:
            writer.close()
            done.set()
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"tcp://127.0.0.1:{port}"


def replay(flow: list[bytes], amount_cents: int = 4000) -> tuple[
        PaymentResult, list[PaymentStatus], list[bytes]]:
    heard: list[bytes] = []
    statuses: list[PaymentStatus] = []

    async def main() -> PaymentResult:
        done = asyncio.Event()
        server, address = await literal_peer(
            {REGISTRATION: [ACK, H("06 0F 00")], H("06 01 07 04 00 00 00 00 40 00"): flow},
            heard, done)
        try:
            async with terminal(address) as pt:
                return await pt.pay(amount_cents, on_status=statuses.append)
        finally:
            await done.wait()
            server.close()
            await server.wait_closed()
    return run(main()), statuses, heard


def test_the_real_status_information_from_ecrterm_approves_with_its_fields() -> None:
    result, statuses, heard = replay([ACK, GERMAN_STATUS, REAL_STATUS_INFO, H("06 0F 00")])
    assert result.outcome is PaymentOutcome.APPROVED
    assert (result.trace_number, result.receipt_number) == ("613995", "0175")
    assert result.terminal_id == "60099914" and result.booked_at == "04-25 09:38:48"
    assert statuses == [PaymentStatus(0x0A, "insert_card", "Bitte Karte einstecken")]
    assert heard == [REGISTRATION, ACK, H("06 01 07 04 00 00 00 00 40 00"), ACK, ACK, ACK]


def test_the_decline_flow_of_protocols_md_is_declined_05() -> None:
    result, _, _ = replay([ACK, H("04 FF 02 0A 01"), H("04 0F 02 27 05"), H("06 1E 01 05")])
    assert (result.outcome, result.result_code) == (PaymentOutcome.DECLINED, 5)


def test_please_wait_acknowledgement_gives_the_terminal_more_time() -> None:
    result, _, _ = replay([H("84 9C 00"), ACK, REAL_STATUS_INFO, H("06 0F 00")])
    assert result.outcome is PaymentOutcome.APPROVED


def test_garbage_status_is_reported_and_the_payment_goes_on() -> None:
    result, statuses, _ = replay([ACK, H("04 FF 00"), REAL_STATUS_INFO, H("06 0F 00")])
    assert result.outcome is PaymentOutcome.APPROVED and statuses == []


def test_result_to_dict_is_json_ready() -> None:
    result, _, _ = replay([ACK, REAL_STATUS_INFO, H("06 0F 00")])
    data = result.to_dict()
    assert data["outcome"] == "approved" and data["amount_cents"] == 4000
    assert data["receipt_lines"] == []


# -- a literal serial peer: NAKs of the kiosk's frames -------------------------------------

REGISTRATION_FRAME = H("10 02 06 00 06 00 00 00 BE 09 78 10 03 3C AA")
ACK_FRAME = H("10 02 80 00 00 10 03 F5 1F")
COMPLETION_FRAME = H("10 02 06 0F 00 10 03 C6 33")


class NakingPeer:
    """A PT on a pty that answers the first `naks` registration frames with NAK 15."""

    def __init__(self, link: Path, naks: int) -> None:
        self.pty = PtyLink(link)
        self.naks = naks
        self.registrations = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> NakingPeer:
        self.pty.plug()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2.0)
        self.pty.close()

    def _serve(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            buffer += self.pty.read(timeout_s=0.02)
            if REGISTRATION_FRAME in buffer:
                buffer = buffer.replace(REGISTRATION_FRAME, b"", 1)
                self.registrations += 1
                if self.registrations <= self.naks:
                    self.pty.write(b"\x15")
                else:
                    self.pty.write(b"\x06" + ACK_FRAME + COMPLETION_FRAME)
            if ACK_FRAME in buffer:
                buffer = buffer.replace(ACK_FRAME, b"", 1)
                self.pty.write(b"\x06")


def test_a_naked_frame_is_sent_again(tmp_path: Path) -> None:
    with NakingPeer(tmp_path / "pt", naks=2) as peer:
        async def main() -> DeviceState:
            async with terminal(str(peer.pty.link)) as pt:
                return pt.state
        assert run(main()) is DeviceState.IDLE
    assert peer.registrations == 3


def test_a_frame_naked_four_times_gives_up_naming_the_frame(tmp_path: Path) -> None:
    with NakingPeer(tmp_path / "pt", naks=99) as peer, pytest.raises(
            ProtocolError, match=r"refused the frame 10 02 06 00 .* 4 times"):
        run(terminal(str(peer.pty.link)).open())
    assert peer.registrations == 4
