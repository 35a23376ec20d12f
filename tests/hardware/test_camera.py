"""The camera as a scanner: capture, worker thread, dedup, preview, offline, bounded memory.

Frames are real photos from ../shared/datasets/barcode-photos (read in place) or synthetic scenes
with codes rendered by zxing-cpp. The decoder is the process edge of the worker: a small
zxing-cpp wrapper here, and the project's DecodePipeline for the real photos.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
import zxingcpp

from hardware.camera import CameraScanner, CodeRead, ViewDedup
from hardware.camera_decode import DecodePipeline
from hardware.capture import (
    Frame,
    ImageFolderSource,
    PiCameraSource,
    ReplaySource,
    V4L2Source,
    VideoFileSource,
    frame_from_arrays,
    make_source,
    to_gray,
)
from hardware.dedup import ScanDeduplicator
from hardware.device import DataEvent, DeviceState, ErrorEvent, Event, StatusEvent, Supervisor
from hardware.errors import DeviceClosedError, DeviceConfigError, DeviceOfflineError
from hardware.scanner import ScanData, ScanFramer

PHOTOS = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets" / "barcode-photos"
EAN = "4006381333931"
QR = "LOYALTY-42"


# -- the process edge: a decoder and scenes ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Read:
    text: str
    symbology: str
    aim: str | None


class ZxingDecoder:
    """A whole-frame zxing-cpp decoder, enough to drive the worker with synthetic scenes."""

    FORMATS = (zxingcpp.BarcodeFormat.EAN13, zxingcpp.BarcodeFormat.QRCode)

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.frames: list[int] = []  # the marker pixel of every frame decoded

    def decode(self, gray: Frame) -> list[CodeRead]:
        self.frames.append(int(gray[0, 0]))
        if self.delay_s:
            time.sleep(self.delay_s)
        found = zxingcpp.read_barcodes(gray, formats=self.FORMATS)  # type: ignore[arg-type]
        return [Read(r.text, r.format.name, r.symbology_identifier) for r in found]


def render(text: str, fmt: zxingcpp.BarcodeFormat, scale: int = 3) -> Frame:
    return np.asarray(zxingcpp.write_barcode_to_image(
        zxingcpp.create_barcode(text, fmt), scale=scale))


def scene(*codes: str, marker: int = 0, colour: bool = False) -> Frame:
    """A 640x480 frame with the given codes (EAN and/or QR) on a grey background."""
    frame = np.full((480, 640), 190, np.uint8)
    for i, text in enumerate(codes):
        fmt = zxingcpp.BarcodeFormat.QRCode if text == QR else zxingcpp.BarcodeFormat.EAN13
        image = render(text, fmt)
        y, x = 40 + 220 * i, 60
        frame[y:y + image.shape[0], x:x + image.shape[1]] = image
    frame[0, 0] = marker
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) if colour else frame  # type: ignore[return-value]


def scans(events: Sequence[Event]) -> list[ScanData]:
    return [e.data for e in events if isinstance(e, DataEvent)]


@dataclass
class Stopped:
    events: list[Event]
    state: DeviceState  # the device's state once its source had ended, before close()


async def until_stopped(camera: CameraScanner, timeout_s: float = 10.0) -> Stopped:
    """Open, collect events until the worker stops by itself (source ended), close."""
    events: list[Event] = []

    async def pump() -> None:
        async for event in camera.events():
            events.append(event)

    await camera.open()
    reader = asyncio.create_task(pump())
    deadline = time.monotonic() + timeout_s
    while camera.running and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # let the worker's last posted events land
    state = camera.state
    reader.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reader
    await camera.close()
    return Stopped(events, state)


# -- counting once: the pure rule ------------------------------------------------------------


def test_a_code_seen_in_consecutive_frames_counts_once() -> None:
    dedup = ViewDedup(leave_s=0.5, leave_frames=3)
    counted = [dedup.update([EAN], at_s=i / 30) for i in range(60)]
    assert counted[0] == [EAN]
    assert all(c == [] for c in counted[1:])


def test_a_code_counts_again_after_it_left_the_view_for_long_enough() -> None:
    dedup = ViewDedup(leave_s=0.5, leave_frames=3)
    assert dedup.update([EAN], 0.0) == [EAN]
    for i in range(1, 20):  # absent 0.63 s and 19 frames
        dedup.update([], i / 30)
    assert EAN not in dedup.in_view
    assert dedup.update([EAN], 0.7) == [EAN]


def test_a_short_flicker_of_missed_frames_does_not_count_the_code_twice() -> None:
    dedup = ViewDedup(leave_s=0.5, leave_frames=3)
    dedup.update([EAN], 0.0)
    for i in range(1, 10):  # nine blurred frames at 30 fps: 0.3 s
        dedup.update([], i / 30)
    assert dedup.update([EAN], 10 / 30) == []


def test_a_single_slow_frame_without_the_code_does_not_end_its_presence() -> None:
    dedup = ViewDedup(leave_s=0.5, leave_frames=3)
    dedup.update([EAN], 0.0)
    dedup.update([], 0.8)  # one decode that took 0.8 s: long enough, but only one frame
    assert dedup.update([EAN], 0.9) == []


def test_two_codes_in_one_frame_both_count_and_a_duplicate_counts_once() -> None:
    dedup = ViewDedup()
    assert dedup.update([EAN, QR, EAN], 0.0) == [EAN, QR]


def test_view_dedup_refuses_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="leave_frames"):
        ViewDedup(leave_s=0.5, leave_frames=0)


# -- the worker ----------------------------------------------------------------------------


def test_a_code_held_in_front_of_the_camera_is_one_scan_from_the_camera() -> None:
    source = frame_from_arrays([scene(EAN, colour=True)], repeat_each=20)
    camera = CameraScanner("cam", source, ZxingDecoder())
    events = asyncio.run(until_stopped(camera)).events
    assert scans(events) == [ScanData(EAN.encode(), EAN, "]E0", "camera")]


def test_taking_the_item_away_and_back_scans_it_again_but_a_brief_gap_does_not() -> None:
    frames = [scene(EAN), scene(), scene(EAN), scene()]
    # at 40 fps: EAN 0.25 s, gone 0.05 s (2 frames), EAN 0.25 s, gone 1 s, EAN again
    order = [0] * 10 + [1] * 2 + [2] * 10 + [3] * 40 + [0] * 10
    source = ReplaySource(lambda i: frames[order[i]], len(order), fps=40)
    camera = CameraScanner("cam", source, ZxingDecoder())
    events = asyncio.run(until_stopped(camera)).events
    assert [s.text for s in scans(events)] == [EAN, EAN]


def test_a_camera_read_and_a_serial_read_of_the_same_code_count_once_in_the_lane() -> None:
    camera = CameraScanner("cam", frame_from_arrays([scene(EAN)], repeat_each=3),
                           ZxingDecoder())
    events = asyncio.run(until_stopped(camera)).events
    (camera_scan,) = scans(events)
    (serial_scan,) = ScanFramer().feed(b"]E0" + EAN.encode() + b"\r\n")
    assert isinstance(serial_scan, ScanData)
    lane = ScanDeduplicator(window_s=1.5)
    counted = [lane.accept(camera_scan.text, camera_scan.source, at_s=10.0),
               lane.accept(serial_scan.text, "serial", at_s=10.3)]
    assert counted == [True, False]
    assert lane.accept(EAN, "serial", at_s=13.0)  # a second item, later: counts


def test_a_slow_decoder_gets_the_newest_frame_and_the_others_are_dropped() -> None:
    frames = [scene(marker=i) for i in range(200)]
    source = ReplaySource(frames.__getitem__, len(frames), fps=200)  # 1 s of video
    decoder = ZxingDecoder(delay_s=0.03)
    camera = CameraScanner("cam", source, decoder)
    asyncio.run(until_stopped(camera))
    assert 10 <= len(decoder.frames) <= 60
    assert source.dropped_frames >= 100
    steps = np.diff(decoder.frames[1:])
    assert (steps > 0).all() and np.median(steps) >= 3  # skipped ahead, never backwards


def test_the_worker_holds_a_fixed_number_of_frames_however_many_pass() -> None:
    frame_bytes = 480 * 640 * 3

    def fresh_frame(i: int) -> Frame:  # a new array per frame, as a camera delivers
        return np.full((480, 640, 3), i % 256, np.uint8)

    class NoCode:
        frames = 0

        def decode(self, gray: Frame) -> list[CodeRead]:
            NoCode.frames += 1
            return []

    source = ReplaySource(fresh_frame, 2000)
    camera = CameraScanner("cam", source, NoCode(), preview_fps=1000)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        asyncio.run(until_stopped(camera, timeout_s=60))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert NoCode.frames == 2000
    assert peak < 8 * frame_bytes, f"peak {peak / 1e6:.1f} MB for 2,000 frames"


def test_the_preview_is_small_rgb_and_no_more_frequent_than_asked() -> None:
    previews: list[tuple[Frame, bool]] = []
    frame = scene(EAN, colour=True)
    frame[400:, 480:] = (255, 0, 0)  # blue in OpenCV's BGR
    source = frame_from_arrays([frame], fps=100, loop=True)
    camera = CameraScanner("cam", source, ZxingDecoder(), preview_fps=5, preview_width=160,
                           on_preview=lambda f: previews.append(
                               (f, threading.current_thread() is threading.main_thread())))

    async def main() -> Frame | None:
        await camera.open()
        await asyncio.sleep(1.0)
        latest = camera.latest_preview()
        await camera.close()
        return latest

    latest = asyncio.run(main())
    assert latest is not None and latest.shape == (120, 160, 3)
    assert 3 <= len(previews) <= 6  # 5 per second, the first at once
    assert all(on_loop for _, on_loop in previews)  # the UI gets it on the loop's thread
    assert latest[110, 150].tolist() == [0, 0, 255]  # RGB for the UI: blue stays blue


def test_a_camera_that_stops_delivering_frames_goes_offline_and_comes_back() -> None:
    class UnpluggableCamera:
        """Delivers frames while plugged; unplugged, reads return nothing and open fails."""

        def __init__(self) -> None:
            self.plugged = True
            self.opens = 0

        @property
        def ended(self) -> bool:
            return False

        def open(self) -> None:
            if not self.plugged:
                raise DeviceOfflineError("camera /dev/video9 cannot be opened")
            self.opens += 1

        def read(self) -> Frame | None:
            time.sleep(0.01)
            return scene(EAN) if self.plugged else None

        def close(self) -> None:
            pass

    source = UnpluggableCamera()
    camera = CameraScanner("cam", source, ZxingDecoder(), stall_s=0.3)
    said: list[str] = []
    seen: list[Event] = []

    async def main() -> None:
        supervisor = Supervisor(camera, on_event=seen.append, backoff_s=(0.05,),
                                on_lost=lambda n, d: said.append(f"lost: {d}"),
                                on_back=lambda n, d: said.append("back"))
        supervisor.start()
        await asyncio.sleep(0.3)
        source.plugged = False
        await asyncio.sleep(0.8)
        source.plugged = True
        await asyncio.sleep(0.5)
        await supervisor.stop()

    asyncio.run(main())
    assert len(said) == 2 and said[0].startswith("lost: camera cam: no frame for")
    assert said[1] == "back"
    assert [s.text for s in scans(seen)] == [EAN, EAN]  # once before, once after the replug
    assert source.opens == 2


def test_a_folder_without_loop_ends_quietly_and_the_camera_stays_open(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "a.png"), scene(EAN))
    camera = CameraScanner("cam", ImageFolderSource(tmp_path), ZxingDecoder())
    stopped = asyncio.run(until_stopped(camera))
    assert [s.text for s in scans(stopped.events)] == [EAN]
    assert not any(isinstance(e, StatusEvent) for e in stopped.events)
    assert stopped.state is DeviceState.IDLE


def test_a_video_file_is_read_frame_by_frame(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (640, 480))
    for frame in [scene()] * 3 + [scene(QR, colour=True)] * 5:
        writer.write(frame if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    writer.release()
    events = asyncio.run(until_stopped(
        CameraScanner("cam", VideoFileSource(path), ZxingDecoder()))).events
    assert [s.text for s in scans(events)] == [QR]


def test_a_decoder_that_fails_is_an_error_event_and_the_camera_carries_on() -> None:
    class Flaky:
        def __init__(self) -> None:
            self.calls = 0

        def decode(self, gray: Frame) -> list[CodeRead]:
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("boom")
            return [Read(EAN, "EAN13", "]E0")]

    events = asyncio.run(until_stopped(CameraScanner(
        "cam", frame_from_arrays([scene()], repeat_each=3), Flaky()))).events
    assert isinstance(events[0], ErrorEvent) and "decoder failed" in str(events[0].error)
    assert [s.text for s in scans(events)] == [EAN]


def test_close_is_idempotent_joins_the_worker_and_use_after_close_raises() -> None:
    camera = CameraScanner("cam", frame_from_arrays([scene(EAN)], fps=30, loop=True),
                           ZxingDecoder())

    async def main() -> None:
        await camera.open()
        await asyncio.sleep(0.1)
        assert camera.running
        await camera.close()
        await camera.close()

    asyncio.run(main())
    assert not camera.running
    assert not any(t.name == "camera:cam" for t in threading.enumerate())
    with pytest.raises(DeviceClosedError, match="cam is closed"):
        camera.latest_preview()


# -- the real decode pipeline on real photos --------------------------------------------------

PHOTO_FOLDERS = sorted(p.name for p in PHOTOS.iterdir() if p.is_dir())


def replay(source: ReplaySource) -> list[Frame]:
    source.open()
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
    source.close()
    return frames


def test_the_camera_with_the_real_pipeline_reads_photos_of_every_folder_one_frame_each() -> None:
    pipeline = DecodePipeline()
    images = hits = 0
    for folder in PHOTO_FOLDERS:
        source = ImageFolderSource(PHOTOS / folder)
        expected = {p.with_suffix(".txt").read_text() for p in source.paths
                    if p.with_suffix(".txt").exists()}
        # what the same pipeline finds on each photo alone, one frame per image
        alone = {r.text for frame in replay(ImageFolderSource(PHOTOS / folder))
                 for r in pipeline.decode(to_gray(frame))}
        camera = CameraScanner("cam", source, pipeline)
        got = scans(asyncio.run(until_stopped(camera, timeout_s=30)).events)
        texts = {s.text for s in got}
        assert texts == alone, folder  # the camera path loses nothing and invents nothing
        assert all(s.source == "camera" and s.aim and s.aim.startswith("]") for s in got)
        if folder.startswith("falsepositives"):
            assert got == [], f"{folder} must yield nothing: {texts}"
            continue
        images += len(expected)
        hits += len(texts & expected)
    assert hits >= 0.8 * images, f"{hits} of {images} codes read"


def test_a_synthetic_scene_with_two_codes_gives_two_scans_through_the_real_pipeline() -> None:
    source = frame_from_arrays([scene(EAN, QR, colour=True)], repeat_each=5)
    events = asyncio.run(until_stopped(CameraScanner("cam", source, DecodePipeline()))).events
    assert sorted((s.text, s.aim) for s in scans(events)) == [(EAN, "]E0"), (QR, "]Q1")]


# -- sources -------------------------------------------------------------------------------


def test_a_missing_usb_camera_is_offline_with_its_path_named() -> None:
    with pytest.raises(DeviceOfflineError, match="/dev/video97 cannot be opened"):
        V4L2Source("/dev/video97").open()


def test_the_pi_camera_without_picamera2_says_which_package_to_install() -> None:
    with pytest.raises(DeviceConfigError, match="apt-get install python3-picamera2"):
        PiCameraSource().open()


def test_make_source_picks_the_source_from_the_setting(tmp_path: Path) -> None:
    video = tmp_path / "clip.avi"
    video.write_bytes(b"x")
    assert isinstance(make_source("/dev/video0"), V4L2Source)
    assert isinstance(make_source("/dev/kiosk-camera"), V4L2Source)
    assert isinstance(make_source("picamera"), PiCameraSource)
    assert isinstance(make_source(tmp_path), ImageFolderSource)
    assert isinstance(make_source(video), VideoFileSource)
    with pytest.raises(DeviceConfigError, match="'nowhere' is neither"):
        make_source("nowhere")


def test_a_folder_replays_each_image_repeat_each_times_and_loops(tmp_path: Path) -> None:
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((4, 4), i, np.uint8))
    (tmp_path / "notes.txt").write_text("not an image")
    source = ImageFolderSource(tmp_path, repeat_each=2, loop=True)
    source.open()
    values = [int(frame[0, 0]) for frame in (source.read() for _ in range(8))
              if frame is not None]
    source.close()
    assert values == [0, 0, 1, 1, 2, 2, 0, 0]
