"""The ZVT simulator's own bytes and wires: literal PT APDUs, tiny builders, TCP and serial links.

Everything here is written from protocols.md §4 and the Portalum.Zvt / ecrterm references, never
from `hardware.zvt`, so a bug in our client codec is not mirrored by the simulator that tests it.

Two wires carry APDUs between the ECR (the kiosk) and the simulated PT:
- `TcpWire`: raw APDUs back to back on one accepted loopback connection; APDUs are cut by LEN.
- `SerialWire`: `DLE STX <APDU, 10 doubled> DLE ETX CRC_lo CRC_hi` on a pty behind a stable
  symlink; every frame is answered with ACK 06 or NAK 15, and a NAK'd frame is sent again.
"""

from __future__ import annotations

import select
import socket
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from hardware.sim.pty import PtyLink

# -- literal APDUs (protocols.md §4.1 / §4.3; status codes from Portalum.Zvt
#    EnglishIntermediateStatusRepository.cs) ------------------------------------------------
ACK = bytes.fromhex("80 00 00")                 # positive acknowledgement
ACK_ALSO = bytes.fromhex("84 00 00")            # accepted as positive too
ACK_MORE_TIME = bytes.fromhex("84 9C 00")       # "please wait": re-arms T3
NOT_POSSIBLE = bytes.fromhex("84 83 00")        # function not possible (unknown command)
COMPLETION = bytes.fromhex("06 0F 00")          # master rights back to the ECR: success
STATUS_INSERT_CARD = bytes.fromhex("04 FF 02 0A 01")     # 0A "Insert card"
STATUS_WATCH_PIN_PAD = bytes.fromhex("04 FF 02 01 01")   # 01 "Please watch PIN-Pad" (enter PIN)
STATUS_INCORRECT_PIN = bytes.fromhex("04 FF 02 15 01")   # 15 "Incorrect PIN"
STATUS_PLEASE_WAIT = bytes.fromhex("04 FF 02 0E 01")     # 0E "Please wait..."
STATUS_DECLINED_RC05 = bytes.fromhex("04 0F 02 27 05")   # status information: rc 05 refused
ABORT_DECLINED = bytes.fromhex("06 1E 01 05")            # refused by the host
ABORT_TIMEOUT = bytes.fromhex("06 1E 01 6C")             # abort key / customer timeout / 06 B0
ABORT_PROTOCOL = bytes.fromhex("06 1E 01 9A")            # gave up: the ECR did not acknowledge
ABORT_NO_RECEIPT = bytes.fromhex("06 1E 01 83")          # repeat receipt: nothing to repeat

# Commands the PT understands (CLASS INSTR).
REGISTRATION = b"\x06\x00"
AUTHORISATION = b"\x06\x01"
REPEAT_RECEIPT = b"\x06\x20"
ECR_ABORT = b"\x06\xb0"

# The card every approval is made with: a girocard, PAN 6726********0000 (E = masked digit).
CARD_PAN_BMP = bytes.fromhex("22 F0 F8 67 26 EE EE EE EE 00 00")
CARD_TYPE_BMP = bytes.fromhex("8A 05")                    # 5 = girocard
CARD_NAME_BMP = bytes.fromhex("8B F0 F8") + b"girocard"   # LLVAR, 8 bytes
TERMINAL_ID_BMP = bytes.fromhex("29 52 50 00 01")         # terminal id 52500001, BCD 4
CURRENCY_EUR_BMP = bytes.fromhex("49 09 78")              # 978 = EUR

# Receipt lines (06 D1 <attribute> <text>) for an ECR that prints; 0x81 marks the last line
# (Portalum PrintLineParser: attribute 1xxx xxxx other than 80 = last line).
RECEIPT_HEAD = (b"\x00KARTENZAHLUNG", b"\x00girocard")
RECEIPT_TAIL = b"\x81Zahlung erfolgt"
PRINTS_PAYMENT_RECEIPTS = 0x02  # registration config byte, bit 1: the ECR prints the receipts

DLE, STX, ETX = 0x10, 0x02, 0x03
LINK_ACK, LINK_NAK = 0x06, 0x15


# -- tiny builders -------------------------------------------------------------------------

def bcd(number: int, size_bytes: int) -> bytes:
    """`number` as packed BCD in `size_bytes` bytes (amount 299 cents, 6 -> 00 00 00 00 02 99)."""
    digits = f"{number:0{size_bytes * 2}d}"
    if len(digits) > size_bytes * 2 or number < 0:
        raise ValueError(f"{number} does not fit in {size_bytes} BCD bytes")
    return bytes.fromhex(digits)


def authorisation_amount(command: bytes) -> int | None:
    """Cents from BMP 04 right after LEN (06 01 07 04 00 00 00 00 02 99 -> 299), else None."""
    start = 5 if len(command) > 2 and command[2] == 0xFF else 3
    field = command[start:start + 7]
    if len(field) != 7 or field[0] != 0x04 or not field[1:].hex().isdigit():
        return None
    return int(field[1:].hex())


def apdu(command: bytes, data: bytes) -> bytes:
    """CLASS INSTR LEN DATA; LEN is FF + 2 bytes low first beyond 254 (as Portalum reads it)."""
    if len(data) < 0xFF:
        return command + bytes([len(data)]) + data
    return command + b"\xff" + len(data).to_bytes(2, "little") + data


def llvar(text: bytes) -> bytes:
    """An LLVAR length prefix `Fx Fy` (decimal digits) followed by `text`."""
    tens, ones = divmod(len(text), 10)
    return bytes([0xF0 | tens, 0xF0 | ones]) + text


def apdu_length(buffer: bytes | bytearray) -> int | None:
    """Total size of the APDU at the start of `buffer`, or None while its header is incomplete."""
    if len(buffer) < 3:
        return None
    if buffer[2] != 0xFF:
        return 3 + buffer[2]
    if len(buffer) < 5:
        return None
    return 5 + int.from_bytes(buffer[3:5], "little")


def crc_kermit(data: bytes) -> int:
    """CRC-16/KERMIT (poly 0x1021 reflected = 0x8408, init 0) over `data`."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def serial_frame(apdu_bytes: bytes, *, corrupt: bool = False) -> bytes:
    """DLE STX <APDU with DLE doubled> DLE ETX CRC_lo CRC_hi; `corrupt` flips the CRC."""
    crc = crc_kermit(apdu_bytes + bytes([ETX]))
    if corrupt:
        crc ^= 0xFFFF
    stuffed = apdu_bytes.replace(bytes([DLE]), bytes([DLE, DLE]))
    return bytes([DLE, STX]) + stuffed + bytes([DLE, ETX]) + crc.to_bytes(2, "little")


def approval(amount_cents: int, trace: int, receipt: int, now: datetime, *,
             print_lines: bool) -> list[bytes]:
    """04 0F of an approval (rc 00, amount, trace, time, date, PAN, terminal, EUR, receipt,
    card type and name; BMP layout as in ecrterm's real PT capture), then 06 D1 lines."""
    data = (b"\x27\x00"
            + b"\x04" + bcd(amount_cents, 6)
            + b"\x0b" + bcd(trace % 1_000_000, 3)
            + b"\x0c" + bcd(now.hour * 10_000 + now.minute * 100 + now.second, 3)
            + b"\x0d" + bcd(now.month * 100 + now.day, 2)
            + CARD_PAN_BMP + TERMINAL_ID_BMP + CURRENCY_EUR_BMP
            + b"\x87" + bcd(receipt % 10_000, 2)
            + CARD_TYPE_BMP + CARD_NAME_BMP)
    if not print_lines:
        return [apdu(b"\x04\x0f", data)]
    euros, cents = divmod(amount_cents, 100)
    amount_line = b"\x00BETRAG EUR " + f"{euros},{cents:02d}".encode("ascii")
    lines = [*RECEIPT_HEAD, amount_line, RECEIPT_TAIL]
    return [apdu(b"\x04\x0f", data), *(apdu(b"\x06\xd1", line) for line in lines)]


class Hangup(Exception):
    """The ECR closed the connection (TCP)."""


# -- wires ---------------------------------------------------------------------------------

class Wire:
    """Whole APDUs in from the ECR (`read_apdu`), whole APDUs out (`send`)."""

    def __init__(self) -> None:
        self.apdus: deque[bytes] = deque()
        self.split_pause_s = 0.0  # > 0: write every APDU in two chunks with this pause
        self.alive: Callable[[], bool] = lambda: True  # False: the simulator is stopping

    def pump(self, timeout_s: float) -> None:
        """Read what arrives within `timeout_s` and queue every complete APDU."""
        raise NotImplementedError

    def send(self, apdus: list[bytes]) -> bool:
        """Write `apdus`; False when they could not be delivered."""
        raise NotImplementedError

    def read_apdu(self, timeout_s: float) -> bytes | None:
        """The next APDU from the ECR, or None when none came within `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while not self.apdus:
            if not self.alive():
                raise Hangup  # stopping: leave whatever the PT was waiting for
            left_s = deadline - time.monotonic()
            if left_s <= 0:
                return None
            self.pump(min(left_s, 0.05))
        return self.apdus.popleft()

    def drop(self) -> None:
        """Drop the connection (TCP) / forget buffered bytes (serial)."""
        self.apdus.clear()


class TcpWire(Wire):
    """One accepted ECR connection: raw APDUs, reassembled by LEN (split or coalesced)."""

    def __init__(self, conn: socket.socket) -> None:
        super().__init__()
        self.conn = conn
        self._buffer = bytearray()

    def pump(self, timeout_s: float) -> None:
        ready, _, _ = select.select([self.conn], [], [], timeout_s)
        if not ready:
            return
        try:
            data = self.conn.recv(4096)
        except OSError as err:
            raise Hangup from err
        if not data:
            raise Hangup
        self._buffer += data
        while (size := apdu_length(self._buffer)) is not None and len(self._buffer) >= size:
            self.apdus.append(bytes(self._buffer[:size]))
            del self._buffer[:size]

    def send(self, apdus: list[bytes]) -> bool:
        data = b"".join(apdus)
        try:
            if self.split_pause_s > 0:
                for one in apdus:  # each APDU in two writes, so the ECR reads it in halves
                    half = max(1, len(one) // 2)
                    self.conn.sendall(one[:half])
                    time.sleep(self.split_pause_s)
                    self.conn.sendall(one[half:])
            else:
                self.conn.sendall(data)
        except OSError:
            return False
        return True

    def drop(self) -> None:
        super().drop()
        self.conn.close()


class SerialWire(Wire):
    """DLE STX framing with CRC-16/KERMIT and ACK/NAK on the master side of a pty."""

    RESENDS = 3

    def __init__(self, link: Path | str, *, ack_timeout_s: float = 5.0) -> None:
        super().__init__()
        self.link = PtyLink(link)
        self.ack_timeout_s = ack_timeout_s
        self.bad_crc = False  # the first transmission of each frame has a wrong CRC
        self.received_frames: list[bytes] = []  # raw frames as they came, for tests
        self._buffer = bytearray()
        self._link_answers: deque[int] = deque()

    def pump(self, timeout_s: float) -> None:
        if not self.link.plugged:
            time.sleep(timeout_s)
            return
        data = self.link.read(timeout_s=timeout_s)
        if data:
            self._buffer += data
            self._parse()

    def _parse(self) -> None:
        buf = self._buffer
        while buf:
            if buf[0] in (LINK_ACK, LINK_NAK):
                self._link_answers.append(buf.pop(0))
                continue
            if buf[0] != DLE or (len(buf) > 1 and buf[1] != STX):
                buf.pop(0)  # line noise between frames
                continue
            end = self._frame_end(buf)
            if end is None:
                return  # incomplete: wait for more bytes
            frame = bytes(buf[:end])
            del buf[:end]
            self._frame(frame)

    @staticmethod
    def _frame_end(buf: bytearray) -> int | None:
        """Index just past the CRC of the frame starting at buf[0], or None if incomplete."""
        i = 2
        while i + 1 < len(buf):
            if buf[i] == DLE and buf[i + 1] == DLE:
                i += 2
            elif buf[i] == DLE and buf[i + 1] == ETX:
                return i + 4 if i + 4 <= len(buf) else None
            else:
                i += 1
        return None

    def _frame(self, frame: bytes) -> None:
        self.received_frames.append(frame)
        body = frame[2:-4].replace(bytes([DLE, DLE]), bytes([DLE]))
        crc = int.from_bytes(frame[-2:], "little")
        good = crc == crc_kermit(body + bytes([ETX]))
        self._write(bytes([LINK_ACK if good else LINK_NAK]))
        if good:
            self.apdus.append(body)

    def _write(self, data: bytes) -> bool:
        try:
            self.link.write(data)
        except OSError:  # unplugged meanwhile (DeviceOfflineError is a ConnectionError)
            return False
        return True

    def _link_answer(self) -> int | None:
        deadline = time.monotonic() + self.ack_timeout_s
        while not self._link_answers:
            if not self.alive():
                raise Hangup
            left_s = deadline - time.monotonic()
            if left_s <= 0:
                return None
            self.pump(min(left_s, 0.05))
        return self._link_answers.popleft()

    def send(self, apdus: list[bytes]) -> bool:
        return all(self._send_one(one) for one in apdus)

    def _send_one(self, apdu_bytes: bytes) -> bool:
        self._link_answers.clear()
        for attempt in range(1 + self.RESENDS):
            corrupt = self.bad_crc and attempt == 0
            if not self._write(serial_frame(apdu_bytes, corrupt=corrupt)):
                return False
            if self._link_answer() == LINK_ACK:
                return True
        return False

    def drop(self) -> None:
        super().drop()
        self._buffer.clear()
        self._link_answers.clear()
