"""Is this path an image that a render can read? Checked by `validate` and `render` alike, before
any output directory exists: a regular file (never a device, FIFO or socket, which could block or
never end) whose header decodes as the format its suffix names. Blender renders an image it cannot
read as magenta without an error, so this must be caught here (and Blender's load is checked too).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

HEADER_BYTES = 1 << 16  # enough for any header we read; an image's pixels are never loaded here


def image_problem(path: Path) -> str | None:
    """Why `path` is not a readable image, or None. Reads at most the header."""
    try:
        info = os.stat(path)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a device, FIFO or socket)" if not stat.S_ISDIR(info.st_mode) else "a directory"
    if info.st_size == 0:
        return "empty file"
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEADER_BYTES)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    suffix = path.suffix.lower()
    if suffix == ".hdr":
        return _radiance_problem(head)
    if suffix == ".exr":
        return _exr_problem(path, head)
    return _pillow_problem(path)


def _radiance_problem(head: bytes) -> str | None:
    """Radiance RGBE: '#?RADIANCE' (or '#?RGBE'), header lines, a blank line, then '-Y H +X W'."""
    if not head.startswith((b"#?RADIANCE", b"#?RGBE")):
        return "not a Radiance .hdr image (no '#?RADIANCE' signature)"
    _, sep, rest = head.partition(b"\n\n")
    size = rest.split(b"\n", 1)[0].split()
    if not sep or len(size) != 4 or not all(t.isdigit() for t in size[1::2]) or 0 in (int(size[1]), int(size[3])):
        return "damaged Radiance .hdr header (no resolution line)"
    return None


def _exr_problem(path: Path, head: bytes) -> str | None:
    if not head.startswith(b"\x76\x2f\x31\x01"):
        return "not an OpenEXR image (no EXR signature)"
    import OpenEXR

    try:
        with OpenEXR.File(str(path), header_only=True) as f:
            box = f.header().get("dataWindow")
    except Exception as exc:  # the library raises plain Exceptions for damaged files
        return f"damaged OpenEXR header ({str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__})"
    if box is not None:
        lo, hi = (tuple(int(v) for v in corner) for corner in box)
        if hi[0] < lo[0] or hi[1] < lo[1]:
            return "OpenEXR image with an empty data window"
    return None


def _pillow_problem(path: Path) -> str | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            width, height = im.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        return f"not a readable {path.suffix.lstrip('.').upper() or 'image'} file ({str(exc)[:120]})"
    if width == 0 or height == 0:
        return "image of zero size"
    return None
