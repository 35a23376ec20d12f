"""Where camera frames come from: one small interface, four sources, one factory.

A `FrameSource` is opened, read frame by frame and closed. `read()` returns a numpy frame
(grey `HxW` or BGR `HxWx3`, uint8) or `None` when no frame is available right now; after a
`None`, `ended` says whether the source has run out for good (a video or folder without
`loop`) rather than stalled (a camera that stopped delivering, e.g. unplugged).

* `V4L2Source` - USB (UVC) cameras through OpenCV's V4L2 backend, MJPG, a one-frame buffer so
  a read returns the newest frame rather than one that queued while the decoder was busy.
* `PiCameraSource` - Raspberry Pi CSI cameras through picamera2 (libcamera; OpenCV cannot open
  them), imported only in `open()` so nothing else ever needs it; the Y plane as grey.
* `VideoFileSource` - a video file, frame by frame (demo, regression clips).
* `ReplaySource` / `ImageFolderSource` - arrays or a folder of images replayed as frames.
  With `fps` set they behave like a live camera: frames follow the wall clock and the ones a
  slow reader missed are skipped (counted in `dropped_frames`); with `fps=None` every frame is
  returned, as fast as it is asked for (tests, `kiosk decode`).

`make_source(spec)` picks one from a string: `/dev/videoN`, `picamera`, a folder, a video file.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from hardware.errors import DeviceConfigError, DeviceOfflineError

log = logging.getLogger(__name__)

Frame = npt.NDArray[np.uint8]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".pgm"})
V4L2_READ_TIMEOUT_MS = 1000  # OpenCV's default select() timeout is 10 s: far too slow to notice
# an unplugged camera


class FrameSource(Protocol):
    """A camera or something that pretends to be one."""

    @property
    def ended(self) -> bool:
        """True once the source has no more frames for good (not merely none right now)."""
        ...

    def open(self) -> None:
        """Acquire the camera; raises DeviceOfflineError or DeviceConfigError."""
        ...

    def read(self) -> Frame | None:
        """The next (newest) frame, grey or BGR uint8, or None when there is none."""
        ...

    def close(self) -> None:
        """Release the camera; idempotent."""
        ...


class V4L2Source:
    """A USB camera via `cv2.VideoCapture(device, cv2.CAP_V4L2)`, MJPG at `width`x`height`.

    `autofocus=True` asks for continuous autofocus; `focus` (0-255 on most UVC cameras) turns it
    off and fixes the focus, which stops focus hunting when the distance to the items is known.
    Cameras ignore what they cannot do; `describe()` says what was actually granted.
    """

    def __init__(self, device: str = "/dev/video0", width: int = 1280, height: int = 720,
                 fps: int = 30, *, autofocus: bool = True, focus: int | None = None) -> None:
        self.device = device
        self.width = width
        self.height = height
        self.fps = fps
        self.autofocus = autofocus
        self.focus = focus
        self._cap: Any = None

    @property
    def ended(self) -> bool:
        return False  # a camera never runs out; it can only stall

    def open(self) -> None:
        if self._cap is not None:
            return
        cap = cv2.VideoCapture(self.device, cv2.CAP_V4L2)
        if not cap.isOpened():
            cap.release()
            raise DeviceOfflineError(
                f"camera {self.device} cannot be opened: check that it is plugged in, that the "
                f"path exists and that the kiosk user is in the 'video' group")
        settings = (
            (cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG")),
            (cv2.CAP_PROP_FRAME_WIDTH, self.width),
            (cv2.CAP_PROP_FRAME_HEIGHT, self.height),
            (cv2.CAP_PROP_FPS, self.fps),
            (cv2.CAP_PROP_BUFFERSIZE, 1),
            (cv2.CAP_PROP_READ_TIMEOUT_MSEC, V4L2_READ_TIMEOUT_MS),
            (cv2.CAP_PROP_AUTOFOCUS, 1 if self.autofocus and self.focus is None else 0),
        )
        for prop, value in settings:
            if not cap.set(prop, value):
                log.debug("camera %s ignores property %s=%s", self.device, prop, value)
        if self.focus is not None and not cap.set(cv2.CAP_PROP_FOCUS, self.focus):
            log.info("camera %s has no manual focus; focus=%s ignored", self.device, self.focus)
        self._cap = cap

    def describe(self) -> str:
        """What the camera granted: size and frame rate."""
        cap = self._cap
        if cap is None:
            return f"{self.device} (closed)"
        return (f"{self.device} {int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))}x"
                f"{int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))} @ {cap.get(cv2.CAP_PROP_FPS):g} fps")

    def read(self) -> Frame | None:
        cap = self._cap
        if cap is None:
            raise DeviceOfflineError(f"camera {self.device} is not open; open it first")
        ok, frame = cap.read()
        return frame if ok and frame is not None else None

    def close(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()


class PiCameraSource:
    """A Raspberry Pi CSI camera via picamera2 (apt `python3-picamera2`), grey from YUV420's Y."""

    def __init__(self, width: int = 1280, height: int = 720, fps: int = 30) -> None:
        self.width = width
        self.height = height
        self.fps = fps
        self._camera: Any = None

    @property
    def ended(self) -> bool:
        return False

    def open(self) -> None:
        if self._camera is not None:
            return
        try:
            from picamera2 import Picamera2  # only on a Pi: CI and USB-camera lanes lack it
        except ImportError as err:
            raise DeviceConfigError(
                "camera 'picamera' needs picamera2, which is not installed: run "
                "'sudo apt-get install python3-picamera2' and build the kiosk venv with "
                "--system-site-packages (the pip package lacks the libcamera bindings)") from err
        try:
            camera = Picamera2()
            config = camera.create_video_configuration(
                main={"format": "YUV420", "size": (self.width, self.height)},
                controls={"FrameRate": self.fps})
            camera.configure(config)
            camera.start()
        except (RuntimeError, OSError, IndexError) as err:
            raise DeviceOfflineError(
                f"Pi camera cannot be opened ({err}): check the ribbon cable and that no other "
                f"program holds the camera") from err
        self._camera = camera

    def read(self) -> Frame | None:
        camera = self._camera
        if camera is None:
            raise DeviceOfflineError("Pi camera is not open; open it first")
        try:
            yuv = camera.capture_array("main")
        except (RuntimeError, OSError) as err:
            log.debug("Pi camera read failed: %s", err)
            return None
        # YUV420 is the full-size Y plane followed by the quarter-size U and V planes; rows may be
        # padded to a stride, so cut to the configured size.
        return np.ascontiguousarray(yuv[: self.height, : self.width])

    def close(self) -> None:
        camera, self._camera = self._camera, None
        if camera is not None:
            camera.stop()
            camera.close()


class VideoFileSource:
    """A video file's frames in order; with `loop=True` it starts over at the end."""

    def __init__(self, path: str | os.PathLike[str], loop: bool = False) -> None:
        self.path = Path(path)
        self.loop = loop
        self._cap: Any = None
        self._ended = False

    @property
    def ended(self) -> bool:
        return self._ended

    def open(self) -> None:
        if self._cap is not None:
            return
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise DeviceConfigError(
                f"video file {self.path} cannot be opened: check the path and that it is a video "
                f"OpenCV can read (e.g. MJPG .avi or H.264 .mp4)")
        self._cap = cap
        self._ended = False

    def read(self) -> Frame | None:
        cap = self._cap
        if cap is None:
            raise DeviceOfflineError(f"video file {self.path} is not open; open it first")
        ok, frame = cap.read()
        if ok and frame is not None:
            return frame  # type: ignore[no-any-return]
        if self.loop and cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
            ok, frame = cap.read()
            if ok and frame is not None:
                return frame  # type: ignore[no-any-return]
        self._ended = True
        return None

    def close(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()


class ReplaySource:
    """Replays `count` frames made by `load(index)`, each `repeat_each` times.

    `fps=None`: every frame, as fast as `read()` is called. `fps=N`: frame k is due at
    `k / N` seconds after `open()`; `read()` waits for the next due frame and skips those a slow
    reader missed (a live camera does not wait either), counting them in `dropped_frames`.
    Only the frame being returned is held in memory.
    """

    def __init__(self, load: Callable[[int], Frame], count: int, *, fps: float | None = None,
                 loop: bool = False, repeat_each: int = 1) -> None:
        if count < 0 or repeat_each < 1 or (fps is not None and fps <= 0):
            raise DeviceConfigError(
                f"replay source needs count >= 0, repeat_each >= 1 and fps > 0 or None "
                f"(got count={count}, repeat_each={repeat_each}, fps={fps})")
        self._load = load
        self.count = count
        self.fps = fps
        self.loop = loop
        self.repeat_each = repeat_each
        self.dropped_frames = 0
        self._next = 0  # index of the next frame in the repeated sequence
        self._start_s = 0.0
        self._open = False
        self._ended = False

    @property
    def ended(self) -> bool:
        return self._ended

    def open(self) -> None:
        self._open = True
        self._next = 0
        self._ended = self.count == 0
        self._start_s = time.monotonic()

    def read(self) -> Frame | None:
        if not self._open:
            raise DeviceOfflineError("replay source is not open; open it first")
        if self.fps is not None:
            self._catch_up()
        total = self.count * self.repeat_each
        if self._next >= total and self.loop and total > 0:
            self._next %= total
            self._start_s = time.monotonic()
        if self._next >= total:
            self._ended = True
            return None
        frame = self._load(self._next // self.repeat_each)
        self._next += 1
        return frame

    def _catch_up(self) -> None:
        """Sleep until the next frame is due, or skip the frames that are already past."""
        assert self.fps is not None
        elapsed_s = time.monotonic() - self._start_s
        due = int(elapsed_s * self.fps)  # the newest frame that exists by now
        if due > self._next:
            self.dropped_frames += due - self._next
            self._next = due
        else:
            time.sleep(max(0.0, self._next / self.fps - elapsed_s))

    def close(self) -> None:
        self._open = False


class ImageFolderSource(ReplaySource):
    """The images in `folder` (sorted by name) replayed as frames; see `ReplaySource`."""

    def __init__(self, folder: str | os.PathLike[str], *, fps: float | None = None,
                 loop: bool = False, repeat_each: int = 1) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise DeviceConfigError(f"image folder {self.folder} does not exist: check the path")
        self.paths = sorted(p for p in self.folder.iterdir()
                            if p.suffix.lower() in IMAGE_SUFFIXES)
        super().__init__(self._load_image, len(self.paths), fps=fps, loop=loop,
                         repeat_each=repeat_each)

    def _load_image(self, index: int) -> Frame:
        try:
            return load_image(self.paths[index])
        except DeviceConfigError as err:
            # A replay goes on like a camera past a bad frame: a blank frame decodes to nothing.
            log.warning("%s; replaying a blank frame instead", err)
            return np.zeros((8, 8), np.uint8)


def load_image(path: str | os.PathLike[str]) -> Frame:
    """One image file as a grey or BGR uint8 frame; DeviceConfigError when unreadable."""
    # ANYCOLOR keeps grey images grey (a third of the memory) and brings 16-bit down to 8.
    image = cv2.imread(str(path), cv2.IMREAD_ANYCOLOR)
    if image is None:
        raise DeviceConfigError(f"image {path} cannot be read: not an image OpenCV knows")
    return image  # type: ignore[return-value]


def frame_from_arrays(frames: Sequence[Frame], *, fps: float | None = None, loop: bool = False,
                      repeat_each: int = 1) -> ReplaySource:
    """A `ReplaySource` over frames already in memory (synthetic scenes, demos)."""
    return ReplaySource(frames.__getitem__, len(frames), fps=fps, loop=loop,
                        repeat_each=repeat_each)


def make_source(spec: str | os.PathLike[str], *, width: int = 1280, height: int = 720,
                fps: int = 30, loop: bool = False) -> FrameSource:
    """A source from a config string: `/dev/videoN` (or a udev symlink to one), `picamera`, a
    folder of images (replayed at `fps`), or a video file."""
    text = os.fspath(spec)
    if text == "picamera":
        return PiCameraSource(width, height, fps)
    path = Path(text)
    if text.startswith("/dev/"):
        return V4L2Source(text, width, height, fps)
    if path.is_dir():
        return ImageFolderSource(path, fps=fps, loop=loop)
    if path.is_file():
        return VideoFileSource(path, loop=loop)
    raise DeviceConfigError(
        f"camera source {text!r} is neither a device (/dev/videoN), 'picamera', a folder of "
        f"images nor a video file: check the [devices] camera setting")


def to_gray(frame: Frame) -> Frame:
    """A grey view of `frame`: decoders read one channel (pyzbar would take only blue)."""
    if frame.ndim == 2:
        return frame
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)  # type: ignore[return-value]
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)  # type: ignore[return-value]
