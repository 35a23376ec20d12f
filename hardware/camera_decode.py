"""Camera decode pipeline: one 8-bit grey frame in, the codes on it out.

Strategy (measured in bench/camera_decode.py, figures in docs/benchmarks.md):

1. zxing-cpp on the whole grey frame, formats restricted (fast: QR, DataMatrix, DataBar, Code 128
   and upright or 90-degree-turned EAN/UPC).
2. Only when it found no 1-D code: pyzbar (reads EAN/UPC at every angle) on the whole frame when
   the frame is small, else on the regions of interest that a gradient map finds (`rois.py`),
   and zxing-cpp on those regions turned upright.
3. A retail code (EAN/UPC) is kept only when its check digit verifies. A read found on a few
   scan lines only (a thin box) is dropped when a firmer read of the frame or pyzbar around it
   reads a different code: both zxing-cpp 3.1.1 and zbar invent such valid-looking EAN-13s
   beside a real label. A thin zxing EAN from a region crop has no second opinion: dropped.
4. On frames larger than VGA, no new region is started after `roi_budget_ms` of the frame.

Texts: EAN-13, UPC-A and UPC-E as 13 digits (UPC-A with a leading 0, UPC-E expanded to UPC-A),
EAN-8 as 8 digits, GS1 element strings with FNC1 as "\\x1d", no AIM prefix.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import zxingcpp
from pyzbar import pyzbar

from hardware.decoders.gtin import gtin_valid, upce_to_upca
from hardware.decoders.rois import find_1d_rois, upright_crop
from hardware.errors import DeviceConfigError, ProtocolError

Gray = npt.NDArray[np.uint8]
Box = tuple[int, int, int, int]
Affine = npt.NDArray[np.float64]  # 2x3: decoder image pixels -> frame pixels
IDENTITY: Affine = np.array([[1, 0, 0], [0, 1, 0]], np.float64)

RETAIL = frozenset({"ean13", "ean8", "upca", "upce"})
LINEAR = RETAIL | {"code128", "gs1_128", "gs1_databar", "gs1_databar_expanded"}
ALL_SYMBOLOGIES: tuple[str, ...] = (
    "ean13", "ean8", "upca", "upce", "code128", "gs1_128", "gs1_databar",
    "gs1_databar_expanded", "qr", "datamatrix",
)
# Up to VGA, zxing's retries and pyzbar on the whole frame cost a few ms each: run them there.
SMALL_FRAME_PX = 640 * 480
# On a larger frame no new region of interest is started after this much of the frame's time:
# a frame at 30 fps has 33 ms, and a missed frame is retried on the next one anyway.
ROI_BUDGET_MS = 18.0
# A zxing 1-D box thinner than this (px across the bars) was read on a few scan lines only.
THIN_BOX_PX = 8
# ROI crops are shrunk to this: an EAN-13 (113 modules with quiet zones) keeps 3.5 px modules.
ROI_MAX_SIDE_PX = 400

_F = zxingcpp.BarcodeFormat
_ZXING_FORMATS = {
    "ean13": _F.EAN13, "upca": _F.UPCA, "ean8": _F.EAN8, "upce": _F.UPCE,
    "code128": _F.Code128, "gs1_128": _F.Code128, "gs1_databar": _F.DataBar,
    "gs1_databar_expanded": _F.DataBarExpanded, "qr": _F.QRCode, "datamatrix": _F.DataMatrix,
}
_Z = pyzbar.ZBarSymbol
_ZBAR_SYMBOLS = {
    "ean13": _Z.EAN13, "upca": _Z.UPCA, "ean8": _Z.EAN8, "upce": _Z.UPCE,
    "gs1_databar": _Z.DATABAR, "gs1_databar_expanded": _Z.DATABAR_EXP,
}
# pyzbar has no AIM ids; these are the ones its symbologies carry without options.
_ZBAR_NAMES = {
    "EAN13": ("ean13", "]E0"), "UPCA": ("upca", "]E0"), "EAN8": ("ean8", "]E4"),
    "UPCE": ("upce", "]E0"), "DATABAR": ("gs1_databar", "]e0"),
    "DATABAR_EXP": ("gs1_databar_expanded", "]e0"),
}


@dataclass(frozen=True, slots=True)
class CameraRead:
    """One code read from one frame. `box` is x, y, w, h in frame pixels."""

    text: str
    symbology: str
    aim: str | None
    box: Box


@dataclass(frozen=True, slots=True)
class _Candidate:
    read: CameraRead
    thickness_px: float  # extent across the bars; tiny = found on a few scan lines only


def _retail_text(symbology: str, digits: str) -> tuple[str, str] | None:
    """(text, symbology) normalised to 13/8 digits, or None when the check digit fails."""
    if symbology == "upce" and len(digits) == 8:
        digits = "0" + upce_to_upca(digits)
    elif symbology == "upca" and len(digits) == 12:
        digits = "0" + digits
    if not gtin_valid(digits):
        return None
    if symbology == "ean13" and digits.startswith("0"):
        symbology = "upca"  # an EAN-13 with prefix 0 is a UPC-A
    return digits, symbology


def _zxing_symbology(fmt: zxingcpp.BarcodeFormat, aim: str, text: str) -> str | None:
    name = str(fmt)
    if name == "UPC-E":
        return "upce"
    if name in ("EAN-13", "UPC-A"):
        return "upca" if text.startswith("0") or len(text) == 12 else "ean13"
    if name == "EAN-8":
        return "ean8"
    if name == "Code 128":
        return "gs1_128" if aim == "]C1" else "code128"
    if name.startswith("DataBar Exp"):
        return "gs1_databar_expanded"
    if name.startswith("DataBar"):
        return "gs1_databar"
    if name.startswith("QR"):
        return "qr"
    if name.startswith("Data Matrix"):
        return "datamatrix"
    return None


def _quad_geometry(corners: list[tuple[int, int]], back: Affine) -> tuple[Box, float]:
    """Frame box (x, y, w, h) and thickness (px) of a quadrilateral found in a mapped image."""
    points = cv2.transform(np.array([corners], np.float32), back)[0].astype(np.float32)
    x, y, w, h = cv2.boundingRect(points)
    (_, (rw, rh), _) = cv2.minAreaRect(points)
    return (x, y, max(w, 1), max(h, 1)), float(min(rw, rh))


class DecodePipeline:
    """Decodes grey frames with zxing-cpp first and pyzbar on regions where zxing saw nothing.

    `decode` keeps no state between frames, so one pipeline may serve a worker thread.
    Raises DeviceConfigError (a ValueError) for a symbology it does not know.
    """

    def __init__(self, symbologies: Iterable[str] = ALL_SYMBOLOGIES,
                 roi_budget_ms: float | None = ROI_BUDGET_MS) -> None:
        wanted = tuple(dict.fromkeys(symbologies))
        unknown = [s for s in wanted if s not in _ZXING_FORMATS]
        if unknown or not wanted:
            raise DeviceConfigError(
                f"unknown camera symbologies {unknown or wanted}: use some of "
                f"{', '.join(ALL_SYMBOLOGIES)}")
        self.symbologies = frozenset(wanted)
        self._formats = tuple(dict.fromkeys(_ZXING_FORMATS[s] for s in wanted))
        self._zbar = sorted({_ZBAR_SYMBOLS[s] for s in wanted if s in _ZBAR_SYMBOLS},
                            key=int)
        self._wants_linear = bool(self.symbologies & LINEAR)
        self.roi_budget_ms = roi_budget_ms  # None: try every region (tests, `kiosk decode`)

    def decode(self, gray: Gray) -> list[CameraRead]:
        """All codes on one 8-bit grey frame (H x W uint8), each at most once."""
        if gray.ndim != 2 or gray.dtype != np.uint8:
            raise ValueError(f"decode wants an 8-bit grey frame, got {gray.dtype} {gray.shape}")
        # On a large frame zxing's 90-degree and inverted retries cost 3x; the ROI pass below
        # turns 1-D codes upright instead, so the whole-frame pass skips them.
        started_s = time.perf_counter()
        small = gray.size <= SMALL_FRAME_PX
        found = self._zxing(gray, IDENTITY, thorough=small)
        if self._wants_linear and not any(c.read.symbology in LINEAR for c in found):
            found += self._fallback(gray, started_s)
        return self._arbitrate(gray, found)

    # -- decoders ------------------------------------------------------------------------------

    def _zxing(self, gray: Gray, back: Affine, thorough: bool) -> list[_Candidate]:
        """zxing-cpp on `gray`, boxes mapped to the frame by the affine `back`.

        `thorough` adds zxing's 90-degree and inverted (light on dark) retries.
        """
        out: list[_Candidate] = []
        # zxing-cpp 3.1.1 takes a tuple of formats (its stub says BarcodeFormats).
        for r in zxingcpp.read_barcodes(gray, formats=self._formats,  # type: ignore[arg-type]
                                        text_mode=zxingcpp.TextMode.Plain,
                                        try_rotate=thorough, try_invert=thorough):
            aim = r.symbology_identifier or None
            sym = _zxing_symbology(r.format, aim or "", r.text)
            named = self._named(sym, r.text)
            if named is None:
                continue
            q = r.position
            pts = [(p.x, p.y) for p in (q.top_left, q.top_right, q.bottom_right, q.bottom_left)]
            box, thick = _quad_geometry(pts, back)
            out.append(_Candidate(CameraRead(named[0], named[1], aim, box), thick))
        return out

    def _pyzbar(self, gray: Gray, back: Affine) -> list[_Candidate]:
        """pyzbar on `gray` (retail and DataBar only: its Code 128 loses FNC4 characters)."""
        if not self._zbar:
            return []
        out: list[_Candidate] = []
        for d in pyzbar.decode(gray, symbols=self._zbar):
            sym, aim = _ZBAR_NAMES.get(d.type, (None, None))
            named = self._named(sym, d.data.decode("ascii", "replace"))
            if named is None:
                continue
            x, y, w, h = d.rect
            corners = [(p.x, p.y) for p in d.polygon] if len(d.polygon) >= 3 else [
                (x, y), (x + w, y), (x + w, y + h), (x, y + h)]
            # zbar too reports a code seen on one scan line only; its polygon is then a line.
            box, thick = _quad_geometry(corners, back)
            out.append(_Candidate(CameraRead(named[0], named[1], aim, box), thick))
        return out

    def _named(self, sym: str | None, text: str) -> tuple[str, str] | None:
        """(text, symbology) when wanted and, for retail codes, when the check digit verifies."""
        if sym is None or not text or "\ufffd" in text:
            return None
        if sym in RETAIL:
            norm = _retail_text(sym, text)
            if norm is None:
                return None
            text, sym = norm
        return (text, sym) if sym in self.symbologies else None

    def _fallback(self, gray: Gray, started_s: float) -> list[_Candidate]:
        """1-D codes zxing missed: turned ones (pyzbar) and ones in a busy scene (crops)."""
        if gray.size <= SMALL_FRAME_PX:
            return self._pyzbar(gray, IDENTITY)
        found: list[_Candidate] = []
        for roi in find_1d_rois(gray):
            spent_ms = (time.perf_counter() - started_s) * 1000
            if self.roi_budget_ms is not None and spent_ms > self.roi_budget_ms:
                break
            crop, back = upright_crop(gray, roi, ROI_MAX_SIDE_PX)
            # A thin zxing EAN from a crop has no second opinion (pyzbar just saw nothing
            # there), and crops of busy scenes are where zxing invents codes: drop it.
            found += self._pyzbar(crop, back) or [
                c for c in self._zxing(crop, back, thorough=True)
                if c.read.symbology not in RETAIL or c.thickness_px >= THIN_BOX_PX]
            if found:
                break  # one label per frame is the common case; keep the frame cheap
        return found

    # -- acceptance ----------------------------------------------------------------------------

    def _arbitrate(self, gray: Gray, found: list[_Candidate]) -> list[CameraRead]:
        """Drop thin retail reads that another read disagrees with; one read per text."""
        firm = [c for c in found if c.read.symbology in RETAIL and c.thickness_px >= THIN_BOX_PX]
        reads: dict[tuple[str, str], CameraRead] = {}
        for c in found:
            r = c.read
            if r.symbology in RETAIL and c.thickness_px < THIN_BOX_PX:
                if any(f.read.text != r.text for f in firm):
                    continue
                if self._pyzbar_disagrees(gray, r):
                    continue
            reads.setdefault((r.text, r.symbology), r)
        return list(reads.values())

    def _pyzbar_disagrees(self, gray: Gray, read: CameraRead) -> bool:
        x, y, w, h = read.box
        pad = max(w, h) // 2
        x0, y0 = max(0, x - pad), max(0, y - pad)
        crop = np.ascontiguousarray(gray[y0:y + h + pad, x0:x + w + pad])
        shift = np.array([[1, 0, x0], [0, 1, y0]], np.float64)
        others = {c.read.text for c in self._pyzbar(crop, shift) if c.read.symbology in RETAIL}
        return bool(others) and read.text not in others


def load_gray(path: str | Path) -> Gray:
    """An image file (png, jpg, webp, ...) as an 8-bit grey frame.

    Raises ProtocolError naming the file when it is missing or not an image OpenCV can read.
    """
    p = Path(path)
    data = np.fromfile(p, dtype=np.uint8) if p.is_file() else None
    gray = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if data is not None and data.size else None
    if gray is None:
        raise ProtocolError(
            f"camera decode: {p} is missing or not an image OpenCV can read; "
            "give a png, jpg or webp file")
    return np.ascontiguousarray(gray, dtype=np.uint8)


_DEFAULT: DecodePipeline | None = None


def decode_image(path: str | Path) -> list[CameraRead]:
    """The live camera's pipeline (all symbologies) on one image file, as one frame.

    No time budget: a still image may take the time a live frame may not.
    """
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = DecodePipeline(roi_budget_ms=None)
    return _DEFAULT.decode(load_gray(path))


def format_line(path: str, read: CameraRead) -> str:
    """`PATH<TAB>TEXT<TAB>SYMBOLOGY`, with backslash, tab and newline in TEXT escaped."""
    text = read.text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return f"{path}\t{text}\t{read.symbology}"
