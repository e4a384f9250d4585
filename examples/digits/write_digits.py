"""Write scikit-learn's bundled 8x8 handwritten digits as a folder of PNG images, one sub-folder per digit.

    pip install "modelspec[demo]"        # scikit-learn, whose copy of the digits ships in the wheel
    python examples/digits/write_digits.py digits/
    modelspec fit specs/digits_cnn.yaml --data digits/ -o digits_cnn.keras

The 1,797 images are the UCI "Optical Recognition of Handwritten Digits" test set as
``sklearn.datasets.load_digits`` returns it (no download): 8x8 grayscale, 17 levels (0-16), scaled
here to 0-255. The PNG files are written with the standard library (zlib), so no image library is
needed; ``DIR/3/0042.png`` is the 43rd image, a 3.
"""

from __future__ import annotations

import argparse
import struct
import sys
import zlib
from pathlib import Path


def png_bytes(pixels: list[list[int]]) -> bytes:
    """An 8-bit grayscale PNG of ``pixels`` (rows of 0-255 values)."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)  # filter type 0 (none) on every row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8 bits, colour type 0: grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def write_digits(out: Path) -> int:
    """Write every digit image under ``out``; return how many."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        sys.exit("this demo needs scikit-learn: pip install 'modelspec[demo]'")
    digits = load_digits()
    for label in range(10):
        (out / str(label)).mkdir(parents=True, exist_ok=True)
    for i, (image, label) in enumerate(zip(digits.images, digits.target)):
        pixels = [[round(float(v) * 255 / 16) for v in row] for row in image]
        (out / str(label) / f"{i:04d}.png").write_bytes(png_bytes(pixels))
    return len(digits.images)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the folder to write (created if missing)")
    args = parser.parse_args(argv)
    count = write_digits(args.out)
    print(f"wrote {count} images of 10 digits under {args.out}/0 ... {args.out}/9")
    return 0


if __name__ == "__main__":
    sys.exit(main())
