"""`FacePack`: the project's neutral face-model format, and its compact .npz file.

A pack holds a neutral mesh (mm, model frame), polygons (quads kept for rendering) and their
fan triangulation (for ground truth), per-corner UVs, a region id per polygon, the position-map
face area, 68 landmark vertex ids, an identity basis and named expression blendshapes. Posing is
`deform(identity, weights)`: one matmul over the stacked bases.

On disk (.npz, zip-deflated) the bases are stored as int16 with one float scale per shape
(max |delta| / 32767), which bounds the error to half a step: for ICT (deltas of a few cm) that
is well under 0.001 mm, at a quarter of the float32 size.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facesynth.arkit import alias_keys
from facesynth.assets.regions import REGION_BY_ID, SKIN
from facesynth.atomic import atomic_path
from facesynth.errors import UserError

FORMAT = "facesynth-pack/1"
_Q_MAX = 32767

ExpressionWeights = Mapping[str, float] | Iterable[tuple[str, float]]


def triangulate(poly_offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fan-triangulate polygons from their first corner, vectorised.

    Returns (corners (T,3) int64: indices into the per-corner arrays, tri_polygon (T,) int32).
    A quad (a, b, c, d) becomes (a, b, c), (a, c, d): the same split Blender uses for quads.
    """
    counts = np.diff(poly_offsets)
    n_tri = counts - 2
    tri_polygon = np.repeat(np.arange(len(counts), dtype=np.int32), n_tri)
    first_tri = np.cumsum(n_tri) - n_tri
    k = np.arange(int(n_tri.sum()), dtype=np.int64) - np.repeat(first_tri, n_tri)
    start = poly_offsets[:-1][tri_polygon]
    corners = np.stack([start, start + k + 1, start + k + 2], axis=1)
    return corners, tri_polygon


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class FacePack:
    """A face model in the project's neutral format; see docs/internals.md for the field table."""

    name: str
    neutral_mm: np.ndarray
    poly_offsets: np.ndarray
    poly_vertices: np.ndarray
    poly_uv: np.ndarray
    triangles: np.ndarray
    tri_polygon: np.ndarray
    tri_uv: np.ndarray
    poly_region: np.ndarray
    face_area: np.ndarray
    landmarks_68: np.ndarray
    identity_basis: np.ndarray
    expression_names: tuple[str, ...]
    expression_basis: np.ndarray
    pivot_mm: np.ndarray
    unit_scale_mm: float = 1.0
    up_axis: str = "+Y"
    forward_axis: str = "+Z"
    provenance: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""
    # (K+E, V*3) float32 stack of both bases, so deform is one matmul; built if not given.
    _stacked: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _validate(self)
        stacked = self._stacked
        n_basis = self.n_identity + self.n_expressions
        if stacked is None or stacked.shape != (n_basis, self.n_vertices * 3):
            stacked = np.concatenate([self.identity_basis, self.expression_basis]).reshape(n_basis, self.n_vertices * 3)
            stacked = np.ascontiguousarray(stacked, dtype=np.float32)
        object.__setattr__(self, "_stacked", _readonly(stacked))
        for name in _ARRAY_FIELDS:
            _readonly(getattr(self, name))
        object.__setattr__(self, "expression_names", tuple(self.expression_names))
        lookup: dict[str, int] = {}
        for i, n in enumerate(self.expression_names):
            lookup.setdefault(n.lower(), i)
        object.__setattr__(self, "_expr_lookup", lookup)
        object.__setattr__(self, "_rows_of_name", {})

    # --- sizes ---------------------------------------------------------------------------------
    @property
    def n_vertices(self) -> int:
        return int(self.neutral_mm.shape[0])

    @property
    def n_polygons(self) -> int:
        return int(self.poly_offsets.shape[0] - 1)

    @property
    def has_landmarks(self) -> bool:
        """False for user characters imported without a landmark mapping (landmarks_68 empty)."""
        return self.landmarks_68.size == 68

    @property
    def n_identity(self) -> int:
        return int(self.identity_basis.shape[0])

    @property
    def n_expressions(self) -> int:
        return len(self.expression_names)

    # --- expressions ---------------------------------------------------------------------------
    def resolve_expression(self, name: str) -> str | None:
        """This pack's name for `name` (case-insensitive; `eyeBlinkLeft` <-> `eyeBlink_L`), or None."""
        lookup: dict[str, int] = self._expr_lookup  # type: ignore[attr-defined]
        for key in alias_keys(name):
            if key in lookup:
                return self.expression_names[lookup[key]]
        return None

    def expression_targets(self, name: str) -> tuple[str, ...]:
        """The shapes a weight on `name` drives: its resolved name, or, for an unsided ARKit name
        that this pack splits (`cheekPuff` -> `cheekPuff_L` + `cheekPuff_R`), both halves."""
        found = self.resolve_expression(name)
        if found is not None:
            return (found,)
        halves = (self.resolve_expression(name + "_L"), self.resolve_expression(name + "_R"))
        if halves[0] is not None and halves[1] is not None:
            return (halves[0], halves[1])
        unsided = self._unsided(name)
        return (unsided,) if unsided is not None else ()

    def _unsided(self, name: str) -> str | None:
        """A pack with only `browInnerUp` (many character rigs) for a sided `browInnerUp_L`."""
        for suffix in ("_L", "_R", "Left", "Right"):
            if name.endswith(suffix) and len(name) > len(suffix):
                return self.resolve_expression(name[: -len(suffix)])
        return None

    def _weighted_rows(self, name: str) -> tuple[tuple[int, float], ...]:
        """(row in the stacked basis, factor) for a weight on `name`. A sided name driving an
        unsided shape counts half, so a symmetric preset (_L and _R) drives it fully once."""
        k = self.n_identity
        lookup: dict[str, int] = self._expr_lookup  # type: ignore[attr-defined]
        targets = self.expression_targets(name)
        half = len(targets) == 1 and self.resolve_expression(name) is None and self._unsided(name) == targets[0]
        return tuple((k + lookup[t.lower()], 0.5 if half else 1.0) for t in targets)

    def missing_expressions(self, names: Iterable[str]) -> tuple[str, ...]:
        """The names (in order, as given) that this pack cannot drive; deform ignores them."""
        return tuple(n for n in names if not self.expression_targets(n))

    # --- posing --------------------------------------------------------------------------------
    def coefficients(self, identity: Sequence[float] | np.ndarray, expression_weights: ExpressionWeights) -> np.ndarray:
        """The (K+E,) float32 coefficient vector `deform` multiplies with the stacked bases."""
        k = self.n_identity
        coeffs = np.zeros(k + self.n_expressions, dtype=np.float64)
        ident = np.asarray(identity, dtype=np.float64).reshape(-1)
        if not np.all(np.isfinite(ident)):
            raise UserError(f"face pack {self.name!r}: identity coefficients must be finite numbers")
        n = min(len(ident), k)  # extra coefficients are ignored, missing ones are 0
        coeffs[:n] = ident[:n]
        items = expression_weights.items() if isinstance(expression_weights, Mapping) else expression_weights
        rows: dict[str, tuple[tuple[int, float], ...]] = self._rows_of_name  # type: ignore[attr-defined]
        for name, weight in items:
            w = float(weight)
            if not np.isfinite(w):
                raise UserError(f"face pack {self.name!r}: expression weight {name!r} is {w}, not finite")
            if name not in rows:  # resolve each spelling once per pack; a hot path when rendering
                rows[name] = self._weighted_rows(name)
            for row, factor in rows[name]:
                coeffs[row] += w * factor
        return coeffs.astype(np.float32)

    def deform(
        self, identity: Sequence[float] | np.ndarray = (), expression_weights: ExpressionWeights = ()
    ) -> np.ndarray:
        """Posed vertices (V,3) float32 mm, model frame: neutral + coefficients @ stacked bases.

        One matrix-vector product over all shapes (zeros included): a BLAS gemv reads the 50 MB
        ICT basis in well under a millisecond, while gathering only the active rows first would
        copy them and cost more.
        """
        coeffs = self.coefficients(identity, expression_weights)
        out = self.neutral_mm.copy()
        if coeffs.size:
            stacked: np.ndarray = self._stacked  # type: ignore[assignment]
            out += (coeffs @ stacked).reshape(-1, 3)
        return out

    # --- files ---------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the pack as a compact .npz (atomically) and return its path."""
        path = Path(path)
        meta = {
            "name": self.name,
            "expression_names": list(self.expression_names),
            "pivot_mm": [float(x) for x in self.pivot_mm],
            "unit_scale_mm": float(self.unit_scale_mm),
            "up_axis": self.up_axis,
            "forward_axis": self.forward_axis,
            "provenance": self.provenance,
        }
        id_q, id_scale = quantise(self.identity_basis)
        ex_q, ex_scale = quantise(self.expression_basis)
        arrays = {
            "format": np.array(FORMAT),
            "meta": np.array(json.dumps(meta, sort_keys=True)),
            "neutral_mm": self.neutral_mm,
            "poly_offsets": self.poly_offsets,
            "poly_vertices": self.poly_vertices,
            "poly_uv": self.poly_uv,
            "poly_region": self.poly_region,
            "face_area": self.face_area,
            "landmarks_68": self.landmarks_68,
            "identity_q": id_q,
            "identity_scale": id_scale,
            "expression_q": ex_q,
            "expression_scale": ex_scale,
        }
        with atomic_path(path) as tmp:
            _write_npz(tmp, arrays)
        return path

    @classmethod
    def from_arrays(
        cls,
        *,
        name: str,
        neutral_mm: Any,
        poly_uv: Any,
        poly_region: Any,
        landmarks_68: Any,
        pivot_mm: Any,
        polygons: Any = None,
        poly_offsets: Any = None,
        poly_vertices: Any = None,
        face_area: Any = None,
        identity_basis: Any = None,
        expression_names: Sequence[str] = (),
        expression_basis: Any = None,
        unit_scale_mm: float = 1.0,
        up_axis: str = "+Y",
        forward_axis: str = "+Z",
        provenance: Mapping[str, Any] | None = None,
        sha256: str = "",
    ) -> FacePack:
        """Build a pack from plain arrays, deriving the triangulation and checking every shape.

        Polygons come either as `polygons` ((F,n) array or a sequence of vertex-id sequences) or as
        `poly_offsets` (F+1,) + `poly_vertices` (C,). `poly_uv` is (C,2), one UV per corner.
        `face_area` defaults to the skin polygons; missing bases mean zero shapes.
        """
        where = f"face pack {name!r}"
        if (polygons is None) == (poly_vertices is None):
            raise UserError(f"{where}: give either polygons or poly_offsets + poly_vertices")
        if polygons is not None:
            poly_offsets, poly_vertices = polygons_to_offsets(polygons, where)
        elif poly_offsets is None:
            raise UserError(f"{where}: poly_vertices needs poly_offsets")
        neutral = _as(neutral_mm, np.float32, where, "neutral_mm")
        n_vert = neutral.shape[0] if neutral.ndim == 2 else 0
        offsets = _as(poly_offsets, np.int64, where, "poly_offsets")
        verts = _as(poly_vertices, np.int32, where, "poly_vertices")
        uv = _as(poly_uv, np.float32, where, "poly_uv")
        _check_polygons(offsets, verts, n_vert, where)
        if uv.shape != (len(verts), 2):
            raise UserError(f"{where}: poly_uv has shape {uv.shape}, expected ({len(verts)}, 2), a UV per corner")
        corners, tri_polygon = triangulate(offsets)
        region = _as(poly_region, np.uint8, where, "poly_region")
        area = region == SKIN if face_area is None else _as(face_area, bool, where, "face_area")
        shape3 = (n_vert, 3)
        id_basis = np.zeros((0, *shape3), np.float32) if identity_basis is None else identity_basis
        ex_basis = np.zeros((0, *shape3), np.float32) if expression_basis is None else expression_basis
        # No copy here: the concatenation below makes the one copy the pack keeps.
        id_basis = _as(id_basis, np.float32, where, "identity_basis", copy=False)
        ex_basis = _as(ex_basis, np.float32, where, "expression_basis", copy=False)
        stacked = None
        if id_basis.ndim == 3 and ex_basis.ndim == 3 and id_basis.shape[1:] == ex_basis.shape[1:]:
            # One stacked array, with the two bases as views into it: no second copy in memory.
            stacked = np.concatenate([id_basis, ex_basis])
            id_basis, ex_basis = stacked[: len(id_basis)], stacked[len(id_basis) :]
            stacked = stacked.reshape(len(stacked), n_vert * 3)
        else:
            id_basis, ex_basis = id_basis.copy(), ex_basis.copy()
        return cls(
            name=name,
            neutral_mm=neutral,
            poly_offsets=offsets,
            poly_vertices=verts,
            poly_uv=uv,
            triangles=verts[corners],
            tri_polygon=tri_polygon,
            tri_uv=uv[corners],
            poly_region=region,
            face_area=area,
            landmarks_68=_as(landmarks_68, np.int32, where, "landmarks_68"),
            identity_basis=id_basis,
            expression_names=tuple(str(n) for n in expression_names),
            expression_basis=ex_basis,
            pivot_mm=_as(pivot_mm, np.float64, where, "pivot_mm"),
            unit_scale_mm=float(unit_scale_mm),
            up_axis=up_axis,
            forward_axis=forward_axis,
            provenance=dict(provenance or {}),
            sha256=sha256,
            _stacked=stacked,
        )


_ARRAY_FIELDS = (
    "neutral_mm",
    "poly_offsets",
    "poly_vertices",
    "poly_uv",
    "triangles",
    "tri_polygon",
    "tri_uv",
    "poly_region",
    "face_area",
    "landmarks_68",
    "identity_basis",
    "expression_basis",
    "pivot_mm",
)


def _as(value: Any, dtype: Any, where: str, field_name: str, copy: bool = True) -> np.ndarray:
    try:
        arr = np.array(value, dtype=dtype, copy=copy)
    except (TypeError, ValueError) as exc:
        raise UserError(f"{where}: {field_name} is not a numeric array ({exc})") from None
    return arr


def polygons_to_offsets(polygons: Any, where: str = "face pack") -> tuple[np.ndarray, np.ndarray]:
    """(F,n) array or ragged sequence of vertex-id sequences -> (poly_offsets, poly_vertices)."""
    if isinstance(polygons, np.ndarray) and polygons.ndim == 2:
        f, n = polygons.shape
        return np.arange(f + 1, dtype=np.int64) * n, polygons.reshape(-1).astype(np.int32)
    try:
        counts = np.array([len(p) for p in polygons], dtype=np.int64)
        flat = np.fromiter((int(v) for p in polygons for v in p), dtype=np.int64, count=int(counts.sum()))
    except (TypeError, ValueError) as exc:
        raise UserError(f"{where}: polygons must be sequences of vertex ids ({exc})") from None
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets, flat.astype(np.int32)


def _check_polygons(offsets: np.ndarray, verts: np.ndarray, n_vert: int, where: str) -> None:
    if offsets.ndim != 1 or len(offsets) < 2 or offsets[0] != 0 or offsets[-1] != len(verts):
        raise UserError(f"{where}: poly_offsets must run from 0 to len(poly_vertices) = {len(verts)}")
    counts = np.diff(offsets)
    if np.any(counts < 3):
        bad = int(np.flatnonzero(counts < 3)[0])
        raise UserError(f"{where}: polygon {bad} has {int(counts[bad])} corners; polygons need at least 3")
    if verts.size and (verts.min() < 0 or verts.max() >= n_vert):
        raise UserError(f"{where}: poly_vertices holds vertex ids outside [0, {n_vert})")


def _validate(p: FacePack) -> None:
    where = f"face pack {p.name!r}"

    def shape(field_name: str, expected: tuple[int, ...]) -> None:
        got = getattr(p, field_name).shape
        if got != expected:
            raise UserError(f"{where}: {field_name} has shape {got}, expected {expected}")

    if p.neutral_mm.ndim != 2 or p.neutral_mm.shape[1] != 3 or len(p.neutral_mm) == 0:
        raise UserError(f"{where}: neutral_mm has shape {p.neutral_mm.shape}, expected (V, 3) with V > 0")
    v = len(p.neutral_mm)
    f = len(p.poly_offsets) - 1
    _check_polygons(p.poly_offsets, p.poly_vertices, v, where)
    c = len(p.poly_vertices)
    t = len(p.triangles)
    shape("poly_uv", (c, 2))
    shape("triangles", (t, 3))
    shape("tri_polygon", (t,))
    shape("tri_uv", (t, 3, 2))
    shape("poly_region", (f,))
    shape("face_area", (f,))
    if p.landmarks_68.shape not in ((68,), (0,)):  # (0,): a user character with no landmark mapping
        raise UserError(f"{where}: landmarks_68 has shape {p.landmarks_68.shape}, expected (68,) or (0,)")
    shape("pivot_mm", (3,))
    k = len(p.identity_basis)
    shape("identity_basis", (k, v, 3))
    shape("expression_basis", (len(p.expression_names), v, 3))
    if len(set(n.lower() for n in p.expression_names)) != len(p.expression_names):
        raise UserError(f"{where}: expression_names are not unique (case-insensitively)")
    unknown = sorted(set(np.unique(p.poly_region).tolist()) - set(REGION_BY_ID))
    if unknown:
        raise UserError(f"{where}: poly_region holds ids {unknown} that are not in facesynth.assets.regions")
    if p.landmarks_68.size and (p.landmarks_68.min() < 0 or p.landmarks_68.max() >= v):
        raise UserError(f"{where}: landmarks_68 holds vertex ids outside [0, {v})")
    for name in ("neutral_mm", "poly_uv", "identity_basis", "expression_basis", "pivot_mm"):
        if not np.all(np.isfinite(getattr(p, name))):
            raise UserError(f"{where}: {name} holds NaN or infinite values")


def _write_npz(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """np.savez_compressed, but byte-reproducible: fixed entry times, so the same pack built on
    two machines has the same sha256 (which sample metadata records)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, arr in arrays.items():
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.asanyarray(arr), allow_pickle=False)


def quantise(basis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(S,V,3) float -> (int16 (S,V,3), float32 (S,) scale) with basis ~= q * scale per shape."""
    flat = basis.reshape(len(basis), int(np.prod(basis.shape[1:])))
    peak = np.abs(flat).max(axis=1) if flat.size else np.zeros(len(basis))
    scale = np.where(peak > 0, peak / _Q_MAX, 1.0).astype(np.float32)
    q = np.rint(basis / scale.astype(np.float64)[:, None, None]).astype(np.int16)
    return q, scale


def read_pack_file(path: str | Path) -> FacePack:
    """Load a pack .npz; a missing, corrupt, truncated or foreign file is a UserError naming it."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read face pack file {path}: {exc.strerror or exc}") from None
    digest = hashlib.sha256(data).hexdigest()
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            fmt = str(z["format"]) if "format" in z.files else ""
            if fmt != FORMAT:
                raise UserError(f"face pack file {path} is not a {FORMAT} file (format {fmt or 'missing'!r})")
            meta = json.loads(str(z["meta"]))
            arrays = {k: z[k] for k in z.files if k not in ("format", "meta")}
    except UserError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, OSError) as exc:
        msg = f"face pack file {path} is corrupt or truncated ({type(exc).__name__}: {exc})"
        raise UserError(msg) from None
    try:
        n_id = len(arrays["identity_q"])
        stacked = np.empty((n_id + len(arrays["expression_q"]), *arrays["neutral_mm"].shape), np.float32)
        np.multiply(arrays["identity_q"], arrays["identity_scale"][:, None, None], out=stacked[:n_id])
        np.multiply(arrays["expression_q"], arrays["expression_scale"][:, None, None], out=stacked[n_id:])
        return FacePack.from_arrays(
            name=meta["name"],
            neutral_mm=arrays["neutral_mm"],
            poly_offsets=arrays["poly_offsets"],
            poly_vertices=arrays["poly_vertices"],
            poly_uv=arrays["poly_uv"],
            poly_region=arrays["poly_region"],
            face_area=arrays["face_area"],
            landmarks_68=arrays["landmarks_68"],
            identity_basis=stacked[:n_id],
            expression_names=meta["expression_names"],
            expression_basis=stacked[n_id:],
            pivot_mm=meta["pivot_mm"],
            unit_scale_mm=meta["unit_scale_mm"],
            up_axis=meta["up_axis"],
            forward_axis=meta["forward_axis"],
            provenance=meta["provenance"],
            sha256=digest,
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise UserError(f"face pack file {path} is missing or has malformed data ({exc})") from None
