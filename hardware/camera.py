"""A camera as a barcode scanner: one worker thread captures, decodes and reports.

`CameraScanner(name, source, pipeline)` is a `Device`. Its worker thread reads the newest frame
from a `FrameSource` (hardware/capture.py), converts it to grey, hands it to the decode pipeline
(`pipeline.decode(gray) -> list[CameraRead]`, hardware/camera_decode.py), and posts each NEW code
to the asyncio loop as `DataEvent(name, ScanData(raw, text, aim, source="camera"))`. Capture and
decode share the one thread on purpose: while a frame is decoded no frame is queued, so the next
read returns the newest frame and memory does not grow with a slow decoder.

Counting once (`ViewDedup`): a code seen in consecutive frames is one scan. The same code counts
again only after it has LEFT the view: absent for at least `leave_s` seconds (0.5 s) AND at least
`leave_frames` decoded frames (3). Time alone would let one slow frame (a 300 ms decode) end a
presence; frames alone would let a burst of blurred frames at 30 fps (0.1 s) do it. A decoder
that misses a code held still for more than both counts it twice; lengthen `leave_s` for
cameras that blur badly. The same code from this camera and a serial scanner within the lane's
window is the lane's `ScanDeduplicator`'s job (source "camera" versus "serial").

A downscaled RGB preview (`preview_width` wide, at most `preview_fps` per second) is kept for
the UI: `latest_preview()`, and `on_preview(frame)` called on the loop's thread.

A camera that delivers no frame for `stall_s` seconds is reported offline (the Supervisor
reopens it); a source that ends (a video or folder without loop) ends quietly: the worker stops
and the device stays open, silent.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from hardware.capture import Frame, FrameSource, to_gray
from hardware.device import DataEvent, Device, ErrorEvent
from hardware.errors import HardwareError, ProtocolError
from hardware.scanner import ScanData

log = logging.getLogger(__name__)

DEFAULT_LEAVE_S = 0.5
DEFAULT_LEAVE_FRAMES = 3
DEFAULT_STALL_S = 2.0
JOIN_TIMEOUT_S = 5.0  # a decode never takes this long; a camera read might (then we leave it)


class CodeRead(Protocol):
    """What the decode pipeline reports per code (hardware/camera_decode.CameraRead)."""

    @property
    def text(self) -> str: ...

    @property
    def symbology(self) -> str: ...

    @property
    def aim(self) -> str | None: ...


class Decoder(Protocol):
    """The decode pipeline: codes in one grey frame."""

    def decode(self, gray: Frame) -> Sequence[CodeRead]: ...


class ViewDedup:
    """Which codes in a frame are new: present-in-view tracking, pure (time passed in)."""

    def __init__(self, leave_s: float = DEFAULT_LEAVE_S,
                 leave_frames: int = DEFAULT_LEAVE_FRAMES) -> None:
        if leave_s < 0 or leave_frames < 1:
            raise ValueError(
                f"leave_s ({leave_s}) must not be negative and leave_frames ({leave_frames}) "
                f"must be at least 1")
        self.leave_s = leave_s
        self.leave_frames = leave_frames
        self._frame = 0
        self._last_seen: dict[str, tuple[int, float]] = {}  # code -> (frame number, time s)

    @property
    def in_view(self) -> frozenset[str]:
        """The codes currently counted as in view (seen and not yet left)."""
        return frozenset(self._last_seen)

    def update(self, codes: Sequence[str], at_s: float) -> list[str]:
        """Codes of one decoded frame at `at_s` (monotonic s); returns those that count now."""
        self._frame += 1
        fresh: list[str] = []
        for code in dict.fromkeys(codes):  # a code twice in one frame is one code
            if code not in self._last_seen:
                fresh.append(code)
            self._last_seen[code] = (self._frame, at_s)
        for code, (frame, seen_s) in list(self._last_seen.items()):
            if self._frame - frame >= self.leave_frames and at_s - seen_s >= self.leave_s:
                del self._last_seen[code]  # left the view: the next sighting is a new scan
        return fresh


@dataclass(frozen=True, slots=True)
class CameraStats:
    """What the worker has done since `open()`: frames decoded, scans posted, last decode ms."""

    frames: int
    scans: int
    last_decode_ms: float


PreviewCallback = Callable[[Frame], None]


class CameraScanner(Device):
    """A camera reading barcodes; see the module docstring."""

    def __init__(self, name: str, source: FrameSource, pipeline: Decoder, *,
                 preview_fps: float = 5.0, preview_width: int = 320,
                 on_preview: PreviewCallback | None = None,
                 leave_s: float = DEFAULT_LEAVE_S, leave_frames: int = DEFAULT_LEAVE_FRAMES,
                 stall_s: float = DEFAULT_STALL_S) -> None:
        super().__init__(name)
        if preview_width < 16 or preview_fps < 0 or stall_s <= 0:
            raise ValueError(
                f"camera {name}: preview_width ({preview_width}) must be at least 16, "
                f"preview_fps ({preview_fps}) not negative, stall_s ({stall_s}) positive")
        self.source = source
        self.pipeline = pipeline
        self.preview_fps = preview_fps
        self.preview_width = preview_width
        self.on_preview = on_preview
        self.leave_s = leave_s
        self.leave_frames = leave_frames
        self.stall_s = stall_s
        self._worker: threading.Thread | None = None
        self._stop = threading.Event()
        self._preview: Frame | None = None
        self._frames = 0
        self._scans = 0
        self._last_decode_ms = 0.0

    # -- what the lane and the UI use -----------------------------------------------------

    def latest_preview(self) -> Frame | None:
        """The newest preview frame (RGB, `preview_width` wide), or None before the first."""
        self.check_open()
        return self._preview

    @property
    def stats(self) -> CameraStats:
        self.check_open()
        return CameraStats(self._frames, self._scans, self._last_decode_ms)

    @property
    def running(self) -> bool:
        """True while the worker thread captures (False after the source ended or stalled)."""
        worker = self._worker
        return worker is not None and worker.is_alive()

    # -- lifecycle -------------------------------------------------------------------------

    async def _open(self) -> None:
        # Opening a V4L2 camera or libcamera can take a second: keep it off the loop.
        await asyncio.to_thread(self.source.open)
        self._stop = threading.Event()
        self._preview = None
        self._frames = self._scans = 0
        self._worker = threading.Thread(
            target=self._run, args=(self._stop,), name=f"camera:{self.name}", daemon=True)
        self._worker.start()

    async def _close(self) -> None:
        self._stop.set()
        worker, self._worker = self._worker, None
        if worker is not None and worker is not threading.current_thread():
            await asyncio.to_thread(worker.join, JOIN_TIMEOUT_S)
            if worker.is_alive():  # stuck in a driver read: closing under it could crash
                log.warning("%s: camera thread did not stop within %.0f s; leaving it",
                            self.name, JOIN_TIMEOUT_S)
                return
        await asyncio.to_thread(self.source.close)

    # -- the worker thread -----------------------------------------------------------------

    def _run(self, stop: threading.Event) -> None:
        dedup = ViewDedup(self.leave_s, self.leave_frames)
        last_frame_s = last_preview_s = time.monotonic()
        preview_every_s = 1.0 / self.preview_fps if self.preview_fps > 0 else float("inf")
        while not stop.is_set():
            try:
                frame = self.source.read()
            except HardwareError as err:
                self._post_offline(f"camera read failed: {err}")
                return
            now_s = time.monotonic()
            if frame is None:
                if self.source.ended:
                    log.info("%s: the frame source ended", self.name)
                    return
                if now_s - last_frame_s >= self.stall_s:
                    self._post_offline(
                        f"no frame for {now_s - last_frame_s:.1f} s: check the camera cable")
                    return
                stop.wait(0.01)  # a stalled camera returns at once; do not spin
                continue
            last_frame_s = now_s
            if self.preview_fps > 0 and (self._frames == 0
                                         or now_s - last_preview_s >= preview_every_s):
                last_preview_s = now_s
                self._publish_preview(frame)
            self._decode(frame, dedup, stop)

    def _decode(self, frame: Frame, dedup: ViewDedup, stop: threading.Event) -> None:
        gray = to_gray(frame)
        started_s = time.perf_counter()
        try:
            reads = list(self.pipeline.decode(gray))
        except Exception as err:  # a decoder bug must not kill the lane's camera
            log.exception("%s: decoder failed on a frame", self.name)
            self._emit_threadsafe(ErrorEvent(self.name, ProtocolError(
                f"camera {self.name}: the decoder failed on a {gray.shape[1]}x{gray.shape[0]} "
                f"frame ({err!r}); the frame was skipped, report this with the log")))
            return
        self._last_decode_ms = (time.perf_counter() - started_s) * 1000.0
        self._frames += 1
        by_text = {read.text: read for read in reads}
        for text in dedup.update(list(by_text), time.monotonic()):
            if stop.is_set():
                return
            read = by_text[text]
            self._scans += 1
            scan = ScanData(raw=text.encode("utf-8"), text=text, aim=read.aim, source="camera")
            self._emit_threadsafe(DataEvent(self.name, scan))

    def _publish_preview(self, frame: Frame) -> None:
        height, width = frame.shape[:2]
        size = (self.preview_width, max(1, round(height * self.preview_width / width)))
        small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        code = cv2.COLOR_GRAY2RGB if small.ndim == 2 else cv2.COLOR_BGR2RGB
        rgb: Frame = np.ascontiguousarray(cv2.cvtColor(small, code))
        self._preview = rgb  # one reference swap: the UI thread sees the old or the new frame
        callback, loop = self.on_preview, self._loop
        if callback is not None and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(callback, rgb)

    def _post_offline(self, detail: str) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._went_offline, f"camera {self.name}: {detail}")
