"""Wavefront OBJ reading with numpy: `v`, `vt` and `f` records, polygons of any size.

The ICT-FaceKit import parses 160 OBJs of 2.5 MB each, so records are selected and converted with
vectorised byte operations (one mask per record kind, one `np.fromstring` per kind) instead of a
Python loop over lines. Other records (comments, vn, g, o, s, usemtl, mtllib) are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facesynth.errors import UserError


@dataclass(frozen=True)
class ObjMesh:
    vertices: np.ndarray
    """(V, 3) float64, as written in the file."""
    uvs: np.ndarray
    """(T, 2) float64 texture coordinates (extra w components dropped)."""
    poly_offsets: np.ndarray
    """(F+1,) int64: polygon f has corners poly_offsets[f]:poly_offsets[f+1]."""
    poly_vertices: np.ndarray
    """(C,) int64 zero-based vertex index per corner."""
    poly_uv_index: np.ndarray | None
    """(C,) int64 zero-based texture-coordinate index per corner, None when faces have no vt."""


_SPACE = np.frombuffer(b" \t\r\n", dtype=np.uint8)


def _record_lines(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, tag: bytes) -> np.ndarray:
    """Byte mask of the lines whose first token is exactly `tag` (e.g. b'v', not b'vt')."""
    n = len(tag)
    ok = ends - starts > n
    for i, ch in enumerate(tag):
        idx = np.minimum(starts + i, len(buf) - 1)
        ok &= buf[idx] == ch
    after = buf[np.minimum(starts + n, len(buf) - 1)]
    ok &= np.isin(after, _SPACE[:2])
    return ok


def _split_lines(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == ord("\n"))
    starts = np.concatenate([[0], newlines + 1])
    ends = np.concatenate([newlines, [len(buf)]])
    return buf, starts, ends


def _gather(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, keep: np.ndarray, skip: int) -> bytes:
    """The bytes of the kept lines (minus their first `skip` bytes), each ending in a newline."""
    s, e = starts[keep] + skip, ends[keep]
    lengths = e - s + 1  # + the separating newline
    total = int(lengths.sum())
    if total == 0:
        return b""
    line_of = np.repeat(np.arange(len(s)), lengths)
    pos = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths) + s[line_of]
    out = buf[np.minimum(pos, len(buf) - 1)].copy()
    out[np.cumsum(lengths) - 1] = ord("\n")
    return out.tobytes()


def _tokens_per_line(text: bytes, n_lines: int) -> np.ndarray:
    """Whitespace-separated tokens on each newline-terminated line, counted on bytes."""
    fb = np.frombuffer(text, dtype=np.uint8)
    is_space = np.isin(fb, _SPACE)
    token_start = ~is_space & np.concatenate([[True], is_space[:-1]])
    line_id = np.concatenate([[0], np.cumsum(fb == ord("\n"))[:-1]])
    return np.bincount(line_id[token_start], minlength=n_lines)


def _floats(text: bytes, n_lines: int, name: str, kind: str, want: int) -> np.ndarray:
    """The first `want` numbers of each record line (extra columns such as colours dropped)."""
    if n_lines == 0:
        return np.zeros((0, want))
    values = np.fromstring(text, dtype=np.float64, sep=" ")
    if values.size == n_lines * want:  # the common case: every line has exactly `want` numbers
        return values.reshape(n_lines, want)
    counts = _tokens_per_line(text, n_lines)
    if counts.sum() != values.size or counts.min() < want:
        raise UserError(f"OBJ file {name}: malformed '{kind}' records (expected {want}+ numbers per line)")
    starts = np.cumsum(counts) - counts
    return values[starts[:, None] + np.arange(want)]


def parse_obj_vertices(data: bytes, name: str) -> np.ndarray:
    """Only the `v` records of an OBJ: (V, 3) float64. The fast path for blendshape files."""
    buf, starts, ends = _split_lines(data)
    keep = _record_lines(buf, starts, ends, b"v")
    text = _gather(buf, starts, ends, keep, 1)
    verts = _floats(text.replace(b"\r", b" "), int(keep.sum()), name, "v", 3)
    if len(verts) == 0:
        raise UserError(f"OBJ file {name} has no vertices ('v' records)")
    return verts


def _resolve(index: np.ndarray, count: int, name: str, kind: str) -> np.ndarray:
    """OBJ indices are 1-based; negative ones count back from the end."""
    out = np.where(index < 0, index + count, index - 1)
    if out.size and (out.min() < 0 or out.max() >= count):
        raise UserError(f"OBJ file {name}: a face refers to {kind} {int(index[np.argmax(out >= count)])} of {count}")
    return out


def parse_obj(data: bytes, name: str) -> ObjMesh:
    """Vertices, texture coordinates and polygons (v, v/vt, v/vt/vn or v//vn corners)."""
    buf, starts, ends = _split_lines(data)
    keep_v = _record_lines(buf, starts, ends, b"v")
    keep_vt = _record_lines(buf, starts, ends, b"vt")
    keep_f = _record_lines(buf, starts, ends, b"f")
    verts = _floats(_gather(buf, starts, ends, keep_v, 1).replace(b"\r", b" "), int(keep_v.sum()), name, "v", 3)
    uvs = _floats(_gather(buf, starts, ends, keep_vt, 2).replace(b"\r", b" "), int(keep_vt.sum()), name, "vt", 2)
    if len(verts) == 0:
        raise UserError(f"OBJ file {name} has no vertices ('v' records)")
    f_text = _gather(buf, starts, ends, keep_f, 1).replace(b"\r", b" ")
    if not f_text.strip():
        raise UserError(f"OBJ file {name} has no faces ('f' records)")
    first = f_text.split(b"\n", 1)[0].split()[0]
    parts = first.split(b"/")
    has_vt = len(parts) >= 2 and parts[1] != b""
    per_corner = len(parts)  # 1: v, 2: v/vt, 3: v/vt/vn or v//vn
    corners = _tokens_per_line(f_text, int(keep_f.sum()))
    values = np.fromstring(f_text.replace(b"//", b" 0 ").replace(b"/", b" "), dtype=np.int64, sep=" ")
    if values.size != corners.sum() * per_corner:
        raise UserError(f"OBJ file {name}: 'f' records mix corner formats (expected every corner like {first!r})")
    if np.any(corners < 3):
        raise UserError(f"OBJ file {name}: a face has fewer than 3 corners")
    values = values.reshape(-1, per_corner)
    offsets = np.zeros(len(corners) + 1, dtype=np.int64)
    np.cumsum(corners, out=offsets[1:])
    return ObjMesh(
        vertices=verts,
        uvs=uvs,
        poly_offsets=offsets,
        poly_vertices=_resolve(values[:, 0], len(verts), name, "vertex"),
        poly_uv_index=_resolve(values[:, 1], len(uvs), name, "texture coordinate") if has_vt else None,
    )


# -- strict checking with line numbers ------------------------------------------------------------

# Statements of the OBJ format (geometry, grouping, display and free-form); anything else is garbage.
_KNOWN = frozenset((
    "v", "vt", "vn", "vp", "f", "l", "p", "g", "o", "s", "mg", "mtllib", "usemtl", "maplib", "usemap",
    "lod", "bevel", "c_interp", "d_interp", "shadow_obj", "trace_obj", "ctech", "stech", "cstype", "deg",
    "bmat", "step", "curv", "curv2", "surf", "parm", "trim", "hole", "scrv", "sp", "end", "con", "call", "csh",
))
_NUMBERS = {"v": (3, 7), "vt": (1, 3), "vn": (3, 3), "vp": (1, 3)}
_MAX_PROBLEM_LINE = 80


def check_obj(data: bytes, name: str) -> None:
    """Refuse an OBJ with garbage lines, malformed or non-finite numbers, or face indices out of
    range, naming the first bad line. Blender's importer only warns about these and goes on."""
    counts = {"v": 0, "vt": 0, "vn": 0}
    faces: list[tuple[int, str, int]] = []  # positive indices are checked once all are read
    pending = ""
    for number, raw in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        line = pending + raw
        if line.endswith("\\"):  # a continued line
            pending = line[:-1] + " "
            continue
        pending = ""
        tokens = line.split("#", 1)[0].split()
        if not tokens:
            continue
        key, args = tokens[0], tokens[1:]

        def bad(why: str, number: int = number, line: str = line) -> UserError:
            shown = line.strip()
            shown = shown if len(shown) <= _MAX_PROBLEM_LINE else shown[:_MAX_PROBLEM_LINE] + "..."
            return UserError(f"OBJ file {name}, line {number}: {why}: {shown!r}")

        if key not in _KNOWN:
            raise bad(f"unknown statement {key[:20]!r}")
        if key in _NUMBERS:
            lo, hi = _NUMBERS[key]
            try:
                values = [float(a) for a in args]
            except ValueError:
                raise bad(f"'{key}' needs numbers") from None
            if not lo <= len(values) <= hi:
                raise bad(f"'{key}' needs {lo} to {hi} numbers, got {len(values)}")
            if not all(np.isfinite(values)):
                raise bad(f"'{key}' holds a value that is not finite")
            counts[key] = counts.get(key, 0) + 1
        elif key in ("f", "l", "p"):
            if len(args) < {"f": 3, "l": 2, "p": 1}[key]:
                raise bad(f"'{key}' has too few corners")
            for corner in args:
                parts = corner.split("/")
                if len(parts) > 3 or parts[0] == "":
                    raise bad(f"corner {corner[:20]!r} is not v, v/vt, v/vt/vn or v//vn")
                for kind, text in zip(("v", "vt", "vn"), parts, strict=False):
                    if text == "" and kind != "v":
                        continue
                    try:
                        index = int(text)
                    except ValueError:
                        raise bad(f"corner {corner[:20]!r} holds a non-integer index") from None
                    if index == 0:
                        raise bad("OBJ indices start at 1; 0 is not an index")
                    if index < 0:  # relative to what was defined so far
                        if -index > counts[kind]:
                            raise bad(f"{kind} index {index} refers before the first '{kind}'")
                    else:
                        faces.append((number, kind, index))
    for number, kind, index in faces:
        if index > counts[kind]:
            raise UserError(f"OBJ file {name}, line {number}: a corner refers to {kind} {index}, "
                            f"but the file has {counts[kind]}")
