"""Regions of a grey frame that look like a 1-D barcode: many strong edges in one direction.

Found on a frame shrunk to at most `WORK_WIDTH_PX` wide (cheap), returned in frame pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Gray = npt.NDArray[np.uint8]

WORK_WIDTH_PX = 320
MAX_ROIS = 3
MIN_AREA_FRACTION = 0.004  # of the (shrunk) frame: smaller blobs are text or texture
MAX_AREA_FRACTION = 0.5  # larger blobs are texture; a label that big was read whole-frame
PAD_FRACTION = 0.15  # quiet zone and bar ends the edge map misses


@dataclass(frozen=True, slots=True)
class Roi:
    """An axis-aligned box (x, y, w, h px) and the rotated rectangle it came from."""

    box: tuple[int, int, int, int]
    center: tuple[float, float]
    size: tuple[float, float]
    angle_deg: float


def find_1d_rois(gray: Gray, max_rois: int = MAX_ROIS) -> list[Roi]:
    """Up to `max_rois` barcode-like regions, largest first."""
    h, w = gray.shape
    scale = min(1.0, WORK_WIDTH_PX / w)
    small = cv2.resize(gray, (max(1, int(w * scale)), max(1, int(h * scale))),
                       interpolation=cv2.INTER_AREA) if scale < 1.0 else gray
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    # Bars give edges in ONE direction; text and texture give both. The structure tensor's
    # coherence ((l1-l2)/(l1+l2)) times the edge energy keeps the first.
    k = (9, 9)
    jxx = cv2.blur(gx * gx, k)
    jyy = cv2.blur(gy * gy, k)
    jxy = cv2.blur(gx * gy, k)
    diff = np.sqrt((jxx - jyy) ** 2 + 4 * jxy * jxy)
    energy = jxx + jyy
    score = diff / (energy + 1e-3) * np.sqrt(energy)
    peak = float(score.max())
    if peak <= 0:
        return []
    mask = (score > 0.35 * peak).astype(np.uint8) * 255
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    min_area = MIN_AREA_FRACTION * small.shape[0] * small.shape[1]
    max_area = MAX_AREA_FRACTION * small.shape[0] * small.shape[1]
    blobs = sorted((c for c in contours if min_area <= cv2.contourArea(c) <= max_area),
                   key=cv2.contourArea, reverse=True)[:max_rois]
    return [_to_roi(cv2.minAreaRect(c), 1.0 / scale, w, h) for c in blobs]


def _to_roi(rect: tuple[Sequence[float], Sequence[float], float], inv: float,
            frame_w: int, frame_h: int) -> Roi:
    (cx, cy), (rw, rh), angle = rect
    pad = PAD_FRACTION * max(rw, rh)
    cx, cy, rw, rh = cx * inv, cy * inv, (rw + 2 * pad) * inv, (rh + 2 * pad) * inv
    pts = cv2.boxPoints(((cx, cy), (rw, rh), angle))
    x0, y0 = np.clip(pts.min(axis=0), 0, None).astype(int)
    x1 = int(min(frame_w, pts[:, 0].max()))
    y1 = int(min(frame_h, pts[:, 1].max()))
    return Roi((int(x0), int(y0), max(1, x1 - int(x0)), max(1, y1 - int(y0))),
               (cx, cy), (rw, rh), float(angle))


def upright_crop(gray: Gray, roi: Roi,
                 max_side_px: int) -> tuple[Gray, npt.NDArray[np.float64]]:
    """The region turned so its rectangle is axis-aligned and shrunk to at most `max_side_px`,
    and the 2x3 affine that maps crop pixels back to frame pixels."""
    scale = min(1.0, max_side_px / max(roi.size[0], roi.size[1], 1.0))
    w, h = int(roi.size[0] * scale) + 1, int(roi.size[1] * scale) + 1
    rot = cv2.getRotationMatrix2D(roi.center, roi.angle_deg, scale)
    rot[0, 2] += w / 2 - roi.center[0]
    rot[1, 2] += h / 2 - roi.center[1]
    crop = cv2.warpAffine(gray, rot, (w, h), flags=cv2.INTER_AREA if scale < 1 else
                          cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    back = cv2.invertAffineTransform(rot)
    return np.ascontiguousarray(crop, dtype=np.uint8), back.astype(np.float64)
