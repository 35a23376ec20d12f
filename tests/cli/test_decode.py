"""`kiosk decode IMAGE...`: the live camera's pipeline on files, one line per code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import zxingcpp

PHOTOS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "barcode-photos"


def decode(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", "decode", *map(str, paths)],
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_real_photo_prints_path_text_and_symbology() -> None:
    photo = PHOTOS / "ean8-1" / "1.png"
    expected = (PHOTOS / "ean8-1" / "1.txt").read_text().strip()
    result = decode(photo)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{photo}\t{expected}\tean8\n"


def test_text_with_tabs_newlines_and_backslashes_is_escaped(tmp_path: Path) -> None:
    payload = "Kunde\t4711\nPunkte\\100"
    image = np.asarray(zxingcpp.write_barcode_to_image(
        zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode), scale=8))
    path = tmp_path / "loyalty.png"
    cv2.imwrite(str(path), cv2.copyMakeBorder(image, 40, 40, 40, 40, cv2.BORDER_CONSTANT,
                                              value=255))
    result = decode(path)
    assert result.stdout == f"{path}\tKunde\\t4711\\nPunkte\\\\100\tqr\n"


def test_an_image_without_a_code_prints_nothing_and_a_missing_one_is_an_error(
    tmp_path: Path,
) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((480, 640), 200, np.uint8))
    result = decode(blank, tmp_path / "missing.png")
    assert result.stdout == ""
    assert result.returncode == 1
    assert "missing.png" in result.stderr and "Traceback" not in result.stderr
