"""Draws BenchBar's icons (three rising bars) as PNGs with the standard library only.

  python3 scripts/make_icons.py   -> src-tauri/icons/{32x32,128x128,icon,tray}.png

tray.png is a macOS template image: black on transparent (macOS tints it for the menu bar).
"""
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src-tauri" / "icons"


def png(path, size, pixel):
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y, size)) for x in range(size)) for y in range(size)
    )

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
    )


def in_bars(x, y, size):
    """Three bars of heights 40%, 65%, 90% on a baseline at 88%."""
    u, v = x / size, y / size
    for left, height in ((0.14, 0.40), (0.40, 0.65), (0.66, 0.90)):
        if left <= u < left + 0.20 and 0.88 - height * 0.78 <= v < 0.88:
            return True
    return False


def app_pixel(x, y, size):
    u, v = x / size - 0.5, y / size - 0.5
    inside = u * u + v * v <= 0.25  # round badge
    if not inside:
        return (0, 0, 0, 0)
    if in_bars(x, y, size):
        return (255, 255, 255, 255)
    return (38, 99, 235, 255)


def tray_pixel(x, y, size):
    return (0, 0, 0, 255) if in_bars(x, y, size) else (0, 0, 0, 0)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size in (("32x32.png", 32), ("128x128.png", 128), ("icon.png", 512)):
        png(OUT / name, size, app_pixel)
    png(OUT / "tray.png", 44, tray_pixel)
