"""Camera decode pipeline: one 8-bit grey frame in, the codes on it out.

Strategy (measured in bench/camera_decode.py, figures in docs/benchmarks.md):

1. zxing-cpp on the whole grey frame, formats restricted (fast: QR, DataMatrix, DataBar, Code 128
   and upright or 90-degree-turned EAN/UPC).
2. Only when it found no 1-D code: pyzbar (reads EAN/UPC at every angle) on the whole frame when
   the frame is small, else on the regions of interest that a gradient map finds (`rois.py`),
   and zxing-cpp on those regions turned upright.
3. A retail code (EAN/UPC) is kept only when its check digit verifies. A zxing read found on a
   few scan lines only (a thin box) is dropped when pyzbar reads a different code around it or a
   firmer zxing read of the frame disagrees: zxing-cpp 3.1.1 invents such valid-looking EAN-13s.

Texts: EAN-13, UPC-A and UPC-E as 13 digits (UPC-A with a leading 0, UPC-E expanded to UPC-A),
EAN-8 as 8 digits, GS1 element strings with FNC1 as "\\x1d", no AIM prefix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import zxingcpp
from pyzbar import pyzbar

from hardware.decoders.gtin import gtin_valid, upce_to_upca
from hardware.decoders.rois import Roi, find_1d_rois, upright_crop
from hardware.errors import ProtocolError

Gray = npt.NDArray[np.uint8]
Box = tuple[int, int, int, int]

RETAIL = frozenset({"ean13", "ean8", "upca", "upce"})
LINEAR = RETAIL | {"code128", "gs1_128", "gs1_databar", "gs1_databar_expanded"}
ALL_SYMBOLOGIES: tuple[str, ...] = (
    "ean13", "ean8", "upca", "upce", "code128", "gs1_128", "gs1_databar",
    "gs1_databar_expanded", "qr", "datamatrix",
)
# Below this many pixels pyzbar on the whole frame costs a few ms, so it runs there directly.
SMALL_FRAME_PX = 400 * 300
# A zxing 1-D box thinner than this (px across the bars) was read on a few scan lines only.
THIN_BOX_PX = 8

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


def _quad_geometry(points: npt.NDArray[np.float32]) -> tuple[Box, float]:
    x, y, w, h = cv2.boundingRect(points)
    (_, (rw, rh), _) = cv2.minAreaRect(points)
    return (x, y, max(w, 1), max(h, 1)), float(min(rw, rh))


class DecodePipeline:
    """Decodes grey frames with zxing-cpp first and pyzbar on regions where zxing saw nothing."""

    def __init__(self, symbologies: Iterable[str] = ALL_SYMBOLOGIES) -> None:
        wanted = tuple(dict.fromkeys(symbologies))
        unknown = [s for s in wanted if s not in _ZXING_FORMATS]
        if unknown or not wanted:
            raise ValueError(
                f"unknown camera symbologies {unknown or wanted}: use some of "
                f"{', '.join(ALL_SYMBOLOGIES)}")
        self.symbologies = frozenset(wanted)
        self._formats = tuple(dict.fromkeys(_ZXING_FORMATS[s] for s in wanted))
        self._zbar = sorted({_ZBAR_SYMBOLS[s] for s in wanted if s in _ZBAR_SYMBOLS},
                            key=int)
        self._wants_linear = bool(self.symbologies & LINEAR)

    def decode(self, gray: Gray) -> list[CameraRead]:
        """All codes on one 8-bit grey frame (H x W uint8), each at most once."""
        if gray.ndim != 2 or gray.dtype != np.uint8:
            raise ValueError(f"decode wants an 8-bit grey frame, got {gray.dtype} {gray.shape}")
        # On a large frame zxing's 90-degree and inverted retries cost 3x; the ROI pass below
        # turns 1-D codes upright instead, so the whole-frame pass skips them.
        small = gray.size <= SMALL_FRAME_PX
        found = self._zxing(gray, (0, 0), None, thorough=small)
        if self._wants_linear and not any(c.read.symbology in LINEAR for c in found):
            found += self._fallback(gray)
        return self._arbitrate(gray, found)

    # -- decoders ------------------------------------------------------------------------------

    def _zxing(self, gray: Gray, origin: tuple[int, int],
               back: npt.NDArray[np.float64] | None, thorough: bool) -> list[_Candidate]:
        """zxing-cpp on `gray`; boxes mapped to the frame by `origin` or the affine `back`.

        `thorough` adds zxing's 90-degree and inverted (light on dark) retries.
        """
        out: list[_Candidate] = []
        # zxing-cpp 3.1.1 takes a tuple of formats (its stub says BarcodeFormats).
        for r in zxingcpp.read_barcodes(gray, formats=self._formats,  # type: ignore[arg-type]
                                        text_mode=zxingcpp.TextMode.Plain,
                                        try_rotate=thorough, try_invert=thorough):
            aim = r.symbology_identifier or None
            sym = _zxing_symbology(r.format, aim or "", r.text)
            if sym is None:
                continue
            text = r.text
            if not text:
                continue
            if sym in RETAIL:
                norm = _retail_text(sym, text)
                if norm is None:
                    continue
                text, sym = norm
            if sym not in self.symbologies:
                continue
            q = r.position
            pts = np.array([[p.x, p.y] for p in (q.top_left, q.top_right, q.bottom_right,
                                                  q.bottom_left)], np.float32)
            if back is not None:
                pts = cv2.transform(pts[None], back)[0].astype(np.float32)
            else:
                pts += np.array(origin, np.float32)
            box, thick = _quad_geometry(pts)
            out.append(_Candidate(CameraRead(text, sym, aim, box), thick))
        return out

    def _pyzbar(self, gray: Gray, origin: tuple[int, int]) -> list[_Candidate]:
        """pyzbar on `gray` (retail and DataBar only: its Code 128 loses FNC4 characters)."""
        if not self._zbar:
            return []
        out: list[_Candidate] = []
        for d in pyzbar.decode(gray, symbols=self._zbar):
            sym, aim = _ZBAR_NAMES.get(d.type, (None, None))
            try:
                text = d.data.decode("ascii")
            except UnicodeDecodeError:
                continue
            if sym is None:
                continue
            if sym in RETAIL:
                norm = _retail_text(sym, text)
                if norm is None:
                    continue
                text, sym = norm
            if sym not in self.symbologies:
                continue
            x, y, w, h = d.rect
            box = (x + origin[0], y + origin[1], max(w, 1), max(h, 1))
            # pyzbar confirms a code on several scan lines before reporting it: not thin.
            out.append(_Candidate(CameraRead(text, sym, aim, box), float(THIN_BOX_PX)))
        return out

    def _fallback(self, gray: Gray) -> list[_Candidate]:
        """1-D codes zxing missed: turned ones (pyzbar) and ones in a busy scene (crops)."""
        if gray.size <= SMALL_FRAME_PX:
            return self._pyzbar(gray, (0, 0))
        found: list[_Candidate] = []
        for roi in find_1d_rois(gray):
            found += self._roi(gray, roi)
            if found:
                break  # one label per frame is the common case; keep the frame cheap
        return found

    def _roi(self, gray: Gray, roi: Roi) -> list[_Candidate]:
        x, y, w, h = roi.box
        found = self._pyzbar(np.ascontiguousarray(gray[y:y + h, x:x + w]), (x, y))
        if not found:
            crop, back = upright_crop(gray, roi)
            found = self._zxing(crop, (0, 0), back, thorough=True)
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
        others = {c.read.text for c in self._pyzbar(crop, (x0, y0)) if c.read.symbology in RETAIL}
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
    """The live camera's pipeline (all symbologies) on one image file, as one frame."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = DecodePipeline()
    return _DEFAULT.decode(load_gray(path))


def format_line(path: str, read: CameraRead) -> str:
    """`PATH<TAB>TEXT<TAB>SYMBOLOGY`, with backslash, tab and newline in TEXT escaped."""
    text = read.text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return f"{path}\t{text}\t{read.symbology}"
