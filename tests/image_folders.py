"""Small image folders for the fit tests, written as PNGs with examples/digits' writer (no image library).

Class ``k`` of ``classes`` is a bright square at its own place on a dark, noisy background, so a
small model can learn it in a few epochs.
"""

import importlib.util
import random
import struct
import zlib
from pathlib import Path

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("write_digits", ROOT / "examples" / "digits" / "write_digits.py")
write_digits = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(write_digits)
png_bytes = write_digits.png_bytes


def rgb_png_bytes(pixels: list[list[int]]) -> bytes:
    """An 8-bit RGB PNG of grayscale ``pixels`` (each value repeated in the three channels)."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(v for value in row for v in (value,) * 3) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # colour type 2: RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def squares(root: Path, classes: int = 2, per_class: int = 20, side: int = 8, rgb: bool = False,
            seed: int = 0) -> Path:
    """Write ``classes`` folders of ``per_class`` ``side`` x ``side`` images under ``root``."""
    rng = random.Random(seed)
    write = rgb_png_bytes if rgb else png_bytes
    for k in range(classes):
        folder = root / f"class_{k}"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = [[rng.randrange(0, 60) for _ in range(side)] for _ in range(side)]
            top, left = divmod(k % ((side // 2) ** 2), side // 2)
            for r in range(2):
                for c in range(2):
                    pixels[top + r][left + c] = 255
            (folder / f"{i:03d}.png").write_bytes(write(pixels))
    return root
