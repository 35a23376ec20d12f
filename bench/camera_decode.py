"""Camera decoding: our pipeline beside pyzbar and zxing-cpp on whole frames, in one process.

Per folder of ../shared/datasets/barcode-photos: hit rate and false positives on the photos as
they are. Then ms per frame (p50/p95, one OpenCV thread) at 640x480 and 1280x720: every photo
letterboxed onto a frame of that size, plus rendered camera-like scenes (rotation, blur, noise,
tilt, low contrast, small codes), with the hit rate on those frames too.
Last line: one JSON object. Run: .venv/bin/python bench/camera_decode.py
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import zxingcpp
from pyzbar import pyzbar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hardware.camera_decode import DecodePipeline, load_gray  # noqa: E402
from hardware.decoders.gtin import upce_to_upca  # noqa: E402
from hardware.decoders.synthetic import Scene, render_scene  # noqa: E402
from hardware.errors import ProtocolError  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "datasets" / "barcode-photos"
# The photo shows 9784872348880; its .txt names a sibling photo's book (see the tests).
LABEL_FIXES = {"ean13-2/23.webp": "9784872348880"}
F = zxingcpp.BarcodeFormat
Z = pyzbar.ZBarSymbol
ZXING_FORMATS = (F.EAN13, F.EAN8, F.UPCA, F.UPCE, F.Code128, F.DataBar, F.DataBarExpanded,
                 F.QRCode, F.DataMatrix)
ZBAR_SYMBOLS = [Z.EAN13, Z.EAN8, Z.UPCA, Z.UPCE, Z.CODE128, Z.DATABAR, Z.DATABAR_EXP, Z.QRCODE]
SIZES = {"640x480": (640, 480), "1280x720": (1280, 720)}

Frame = np.ndarray
Decoder = Callable[[Frame], set[str]]


def norm(text: str) -> str:
    """Texts as the dataset stores them: trimmed, LF line ends, UPC-A as 13 digits."""
    text = text.strip().replace("\r\n", "\n")
    return "0" + text if text.isdigit() and len(text) == 12 else text


def zxing_whole(gray: Frame) -> set[str]:
    # zxing-cpp 3.1.1 takes a tuple of formats (its stub says BarcodeFormats).
    return {norm(r.text) for r in zxingcpp.read_barcodes(
        gray, formats=ZXING_FORMATS, text_mode=zxingcpp.TextMode.Plain)}  # type: ignore[arg-type]


def pyzbar_whole(gray: Frame) -> set[str]:
    out = set()
    for d in pyzbar.decode(gray, symbols=ZBAR_SYMBOLS):
        text = d.data.decode("utf-8", "replace")
        out.add(norm("0" + upce_to_upca(text) if d.type == "UPCE" else text))
    return out


def ours_factory() -> Decoder:
    pipeline = DecodePipeline()
    return lambda gray: {norm(r.text) for r in pipeline.decode(gray)}


def photos() -> dict[str, list[tuple[str, Frame, str | None]]]:
    out: dict[str, list[tuple[str, Frame, str | None]]] = {}
    for folder in sorted(p for p in PHOTOS.iterdir() if p.is_dir()):
        for p in sorted(folder.iterdir()):
            if p.suffix in (".txt", ".bin"):
                continue
            try:
                gray = load_gray(p)
            except ProtocolError:
                continue  # 1x1.webp, 1x100.webp: no decoder gets a frame from them
            label = p.with_suffix(".txt")
            key = f"{folder.name}/{p.name}"
            expected = LABEL_FIXES.get(key) or (label.read_text() if label.exists() else None)
            out.setdefault(folder.name, []).append(
                (key, gray, norm(expected) if expected is not None else None))
    return out


def letterbox(gray: Frame, size: tuple[int, int]) -> Frame:
    """The photo scaled to fit `size` (w, h) on a mid-grey frame, never enlarged beyond 2x."""
    fw, fh = size
    h, w = gray.shape
    scale = min(fw / w, fh / h, 2.0)
    small = cv2.resize(gray, (max(1, int(w * scale)), max(1, int(h * scale))),
                       interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    frame = np.full((fh, fw), 128, np.uint8)
    y0, x0 = (fh - small.shape[0]) // 2, (fw - small.shape[1]) // 2
    frame[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
    return frame


def scenes(size: tuple[int, int]) -> list[tuple[str, Frame, str]]:
    """Rendered scenes: EAN-13 under each distortion, plus EAN-8, Code 128, QR, DataMatrix."""
    ean = "4006381333931"
    big = size[0] >= 1000
    module = 3 if big else 2
    specs: list[Scene] = [Scene(ean, angle_deg=a, seed=a) for a in (0, 15, 30, 45, 60, 90, 135)]
    specs += [Scene(ean, blur_sigma_px=b, seed=10 + i) for i, b in enumerate((0.8, 1.5))]
    specs += [Scene(ean, noise_sigma=n, seed=20 + n) for n in (8, 20)]
    specs += [Scene(ean, tilt=t, seed=30 + i) for i, t in enumerate((0.15, 0.3))]
    specs += [Scene(ean, contrast=c, seed=40 + i) for i, c in enumerate((0.4, 0.2))]
    specs += [Scene(ean, module_px=2, center_frac=(0.75, 0.3), seed=50)]
    specs += [Scene("96385074", symbology="ean8", angle_deg=40, seed=60),
              Scene("ABC-123", symbology="code128", angle_deg=30, seed=61),
              Scene("https://id.gs1.org/01/09506000134352", symbology="qr", angle_deg=20,
                    seed=62),
              Scene("Hello", symbology="datamatrix", tilt=0.2, seed=63)]
    out = []
    for s in specs:
        # QR keeps 4 px modules; 1-D codes get 2 px at VGA, where 3 px would not fit 30 degrees.
        s = replace(s, frame_wh=size, module_px=4 if s.symbology == "qr" else min(s.module_px,
                                                                                  module))
        name = (f"{s.symbology}-a{s.angle_deg:g}-b{s.blur_sigma_px:g}-n{s.noise_sigma:g}"
                f"-t{s.tilt:g}-c{s.contrast:g}")
        out.append((name, render_scene(s), s.text))
    return out


def score(decoder: Decoder, items: Sequence[tuple[str, Frame, str | None]],
          timings: list[float] | None = None) -> tuple[int, int]:
    """(hits, false positives) over `items`; appends ms per frame to `timings` if given."""
    hits = false = 0
    for _, gray, expected in items:
        t0 = time.perf_counter()
        texts = decoder(gray)
        if timings is not None:
            timings.append((time.perf_counter() - t0) * 1000)
        hits += expected in texts
        false += any(t != expected for t in texts)
    return hits, false


def pct(values: list[float], q: int) -> float:
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 2) \
        if len(values) > 1 else round(values[0], 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="timing passes per frame set")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    decoders: dict[str, Decoder] = {"ours": ours_factory(), "pyzbar_whole": pyzbar_whole,
                                    "zxing_whole": zxing_whole}
    result: dict[str, object] = {"bench": "camera_decode", "threads": 1}
    folders = photos()
    per_folder: dict[str, dict[str, object]] = {}
    print(f"{'folder':18} {'n':>3}  " + "  ".join(f"{n:>18}" for n in decoders))
    for folder, items in folders.items():
        row: dict[str, object] = {"images": len(items)}
        cells = []
        for name, dec in decoders.items():
            hits, false = score(dec, items)
            row[name] = {"hits": hits, "false_positives": false}
            cells.append(f"{hits:>3} hit {false:>2} false")
        per_folder[folder] = row
        print(f"{folder:18} {len(items):>3}  " + "  ".join(f"{c:>18}" for c in cells))
    result["photos"] = per_folder
    all_photos = [i for items in folders.values() for i in items]
    for size_name, size in SIZES.items():
        boxed = [(k, letterbox(g, size), e) for k, g, e in all_photos]
        synth = scenes(size)
        block: dict[str, object] = {}
        for name, dec in decoders.items():
            times: list[float] = []
            for _ in range(args.repeat):
                times.clear()
                ph = score(dec, boxed, times)
                sy = score(dec, synth, times)
            block[name] = {"p50_ms": pct(times, 50), "p95_ms": pct(times, 95),
                           "max_ms": round(max(times), 1),
                           "letterboxed_hits": ph[0], "letterboxed_false": ph[1],
                           "synthetic_hits": sy[0], "synthetic_false": sy[1]}
            print(f"{size_name:9} {name:13} p50 {pct(times, 50):6.2f} ms  p95 "
                  f"{pct(times, 95):6.2f} ms  max {max(times):6.1f} ms  letterboxed photos "
                  f"{ph[0]}/{len(boxed)} ({ph[1]} false)  synthetic {sy[0]}/{len(synth)} "
                  f"({sy[1]} false)")
        block["frames"] = len(boxed) + len(synth)
        result[size_name] = block
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
