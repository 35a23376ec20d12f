"""Camera-like grey frames with a code in them, for tests, the benchmark and demos.

Codes are drawn by zxing-cpp's writer (a real symbol, not our decoder's idea of one), then put on
a mottled background and distorted the way a camera does: rotation in the image plane, defocus
blur, sensor noise, a tilted label (perspective), low contrast, a small code in a large frame.
Deterministic for a given `seed`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
import zxingcpp

Gray = npt.NDArray[np.uint8]

_FORMATS = {
    "ean13": zxingcpp.BarcodeFormat.EAN13, "ean8": zxingcpp.BarcodeFormat.EAN8,
    "upca": zxingcpp.BarcodeFormat.UPCA, "code128": zxingcpp.BarcodeFormat.Code128,
    "qr": zxingcpp.BarcodeFormat.QRCode, "datamatrix": zxingcpp.BarcodeFormat.DataMatrix,
    "gs1_databar": zxingcpp.BarcodeFormat.DataBar,
}


@dataclass(frozen=True, slots=True)
class Scene:
    """How to draw one frame. Sizes in px, angles in degrees, blur as Gaussian sigma in px."""

    text: str
    symbology: str = "ean13"
    frame_wh: tuple[int, int] = (1280, 720)
    module_px: int = 3
    angle_deg: float = 0.0
    blur_sigma_px: float = 0.0
    noise_sigma: float = 0.0  # grey levels
    tilt: float = 0.0  # 0..0.4: how much one side of the label shrinks (perspective)
    contrast: float = 1.0  # 1 = black on white; 0.25 = dark grey on light grey
    center_frac: tuple[float, float] = (0.5, 0.5)
    seed: int = 0


def render_symbol(text: str, symbology: str, module_px: int) -> Gray:
    """The bare symbol, black on white with quiet zones, `module_px` px per module."""
    code = zxingcpp.create_barcode(text, _FORMATS[symbology])
    img = np.asarray(zxingcpp.write_barcode_to_image(code, scale=module_px), dtype=np.uint8)
    if img.shape[0] < img.shape[1] // 3:  # a 1-D symbol drawn one row high: give it bar height
        img = np.repeat(img[:1], max(img.shape[1] // 3, 20), axis=0)
    return np.ascontiguousarray(img)


def render_scene(scene: Scene) -> Gray:
    """One grey frame (`frame_wh` px) showing `scene`'s code, distorted as asked."""
    rng = np.random.default_rng(scene.seed)
    fw, fh = scene.frame_wh
    # A mottled background: low-frequency noise, like a shelf or a hand out of focus.
    base = rng.normal(110, 30, (fh // 16 + 1, fw // 16 + 1)).astype(np.float32)
    frame = cv2.resize(base, (fw, fh), interpolation=cv2.INTER_CUBIC)
    sym = render_symbol(scene.text, scene.symbology, scene.module_px).astype(np.float32)
    lo, hi = 128 - 127 * scene.contrast, 128 + 127 * scene.contrast
    sym = lo + (sym / 255.0) * (hi - lo)
    pad = 4 * scene.module_px
    label = cv2.copyMakeBorder(sym, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=hi)
    lh, lw = label.shape
    src = np.array([[0, 0], [lw, 0], [lw, lh], [0, lh]], np.float32)
    shrink = scene.tilt * lh / 2
    dst = np.array([[0, 0], [lw, shrink], [lw, lh - shrink], [0, lh]], np.float32)
    cx, cy = scene.center_frac[0] * fw, scene.center_frac[1] * fh
    rot = cv2.getRotationMatrix2D((lw / 2, lh / 2), scene.angle_deg, 1.0)
    rot3 = np.vstack([rot, [0, 0, 1]]).astype(np.float32)
    shift = np.array([[1, 0, cx - lw / 2], [0, 1, cy - lh / 2], [0, 0, 1]], np.float32)
    matrix = shift @ rot3 @ cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(label, matrix, (fw, fh), flags=cv2.INTER_LINEAR,
                                 borderValue=-1.0)
    mask = cv2.warpPerspective(np.ones_like(label), matrix, (fw, fh), flags=cv2.INTER_NEAREST)
    frame = np.where(mask > 0, warped, frame)
    if scene.blur_sigma_px > 0:
        frame = cv2.GaussianBlur(frame, (0, 0), scene.blur_sigma_px)
    if scene.noise_sigma > 0:
        frame = frame + rng.normal(0, scene.noise_sigma, frame.shape).astype(np.float32)
    return np.clip(frame, 0, 255).astype(np.uint8)
