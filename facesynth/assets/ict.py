"""ICT-FaceKit Face Model Light -> face pack.

Reads the upstream files from the archive (tar, read directly) or an unpacked folder, checks every
file against the sha256 pinned in assets_manifest/ict-facekit.yaml before using it, and builds a
pack in mm (source cm x 10) in the source's model frame (+Y up, +Z out of the face, +X the
subject's left; never re-centred):

- neutral: generic_neutral_mesh.obj (quads kept, UVs per corner in ICT's UDIM layout: the face
  and eyeballs in tile u in [0, 1], other parts in tiles u in [1, 7]);
- identity basis: identityNNN.obj - neutral, i.e. one standard deviation of mode NNN per unit;
- expressions: the 53 names of vertex_indices.json, then the other shape OBJs of the release
  (cheekRaiser_L/R, PupilDilate_L/R), each as shape - neutral;
- regions, face area and landmarks from the tables of the upstream README (hard-coded below).
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from facesynth.assets import regions as R
from facesynth.assets.cache import pack_cache_path
from facesynth.assets.manifest import AssetManifest, load_manifest
from facesynth.assets.obj import parse_obj, parse_obj_vertices
from facesynth.assets.pack import FacePack
from facesynth.errors import UserError

PACK_NAME = "ict-facekit"
IMPORTER_VERSION = "2"  # 2: narrow face area for position maps
UNIT_SCALE_MM = 10.0  # ICT-FaceKit is in centimetres
NEUTRAL = "FaceXModel/generic_neutral_mesh.obj"
EXPRESSION_LIST = "FaceXModel/vertex_indices.json"
_IDENTITY = re.compile(r"^FaceXModel/identity(\d{3})\.obj$")

# Polygon ranges (inclusive) of the "Face Model Topology" and "Eyeball Details" tables of the
# ICT-FaceKit README at commit da5f95a607f5e6b37755b38d3385d7f2853732e5, mapped onto our regions.
POLYGON_REGIONS: tuple[tuple[int, int, int, str], ...] = (
    (0, 9229, R.SKIN, "#0 Face"),
    (9230, 11143, R.HEAD_NECK, "#1 Head and Neck"),
    (11144, 13225, R.MOUTH_SOCKET, "#2 Mouth socket"),
    (13226, 13629, R.EYE_SOCKET, "#3 Eye socket left"),
    (13630, 14033, R.EYE_SOCKET, "#4 Eye socket right"),
    (14034, 17005, R.GUMS_TONGUE, "#5 Gums and tongue"),
    (17006, 21495, R.TEETH, "#6 Teeth"),
    (21496, 22295, R.SCLERA, "Eyeball details #0 Sclera left"),
    (22296, 23093, R.IRIS, "Eyeball details #1 Iris left"),
    (23094, 23893, R.SCLERA, "Eyeball details #2 Sclera right"),
    (23894, 24691, R.IRIS, "Eyeball details #3 Iris right"),
    (24692, 24854, R.EYE_OCCLUSION, "#9 Lacrimal fluid left"),
    (24855, 25017, R.EYE_OCCLUSION, "#10 Lacrimal fluid right"),
    (25018, 25032, R.EYE_OCCLUSION, "#11 Eye blend left"),
    (25033, 25047, R.EYE_OCCLUSION, "#12 Eye blend right"),
    (25048, 25175, R.EYE_OCCLUSION, "#13 Eye occlusion left"),
    (25176, 25303, R.EYE_OCCLUSION, "#14 Eye occlusion right"),
    (25304, 25843, R.EYELASHES, "#15 Eyelashes left"),
    (25844, 26383, R.EYELASHES, "#16 Eyelashes right"),
)
N_POLYGONS = 26384
# README "Face Area Details": #1 Narrow face area, polygons [0:6559], is the position-map face area;
# #0 Full face area [0:9229] also covers ears, neck and the underside of the jaw, which a frontal
# PRN-style map never sees (about a third of its texels would stay empty).
POSMAP_FACE_AREA = (0, 6559)
# README "Eyeball Details": vertex ranges of the two eyeballs (sclera + iris), for the pivot.
EYEBALL_VERTICES = ((21451, 23020), (23021, 24590))
# README "Facial Landmarks": Multi-PIE 68-point landmark vertex indices (0-indexed).
LANDMARKS_68: tuple[int, ...] = (
    1225, 1888, 1052, 367, 1719, 1722, 2199, 1447, 966, 3661, 4390, 3927, 3924, 2608, 3272, 4088, 3443,
    268, 493, 1914, 2044, 1401, 3615, 4240, 4114, 2734, 2509, 978, 4527, 4942, 4857, 1140, 2075, 1147,
    4269, 3360, 1507, 1542, 1537, 1528, 1518, 1511, 3742, 3751, 3756, 3721, 3725, 3732, 5708, 5695,
    2081, 0, 4275, 6200, 6213, 6346, 6461, 5518, 5957, 5841, 5702, 5711, 5533, 6216, 6207, 6470,
    5517, 5966,
)  # fmt: skip

PIVOT_RULE = (
    "x, y: centre of the two eyeballs' bounding-box centres; z: midway between that point and the "
    "back of the head (min z of the face and head/neck vertices within 10 mm of eye height)"
)


def poly_regions() -> np.ndarray:
    """(N_POLYGONS,) uint8 region id from POLYGON_REGIONS (which covers every polygon once)."""
    out = np.zeros(N_POLYGONS, dtype=np.uint8)
    for first, last, region_id, _ in POLYGON_REGIONS:
        out[first : last + 1] = region_id
    return out


def head_pivot_mm(neutral_mm: np.ndarray) -> np.ndarray:
    """A point inside the head behind the eyes, about which head pose rotates (see PIVOT_RULE)."""
    centres = [(neutral_mm[a : b + 1].min(0) + neutral_mm[a : b + 1].max(0)) / 2 for a, b in EYEBALL_VERTICES]
    eyes = (centres[0] + centres[1]) / 2
    head = neutral_mm[: 11247 + 1]  # README vertex ranges #0 Face and #1 Head and Neck
    band = head[np.abs(head[:, 1] - eyes[1]) < 10.0]
    back_z = band[:, 2].min()
    return np.array([eyes[0], eyes[1], (eyes[2] + back_z) / 2], dtype=np.float64)


# --- reading the upstream files -------------------------------------------------------------------


def _checksum_error(rel: str, source: Path, expected: str, actual: str) -> UserError:
    return UserError(
        f"ICT-FaceKit file {rel} in {source} has sha256 {actual}, expected {expected} "
        "(pinned in assets_manifest/ict-facekit.yaml); nothing was built"
    )


def _dir_root(source: Path) -> Path:
    """The folder holding FaceXModel/: the source itself, its parent, or one level below it."""
    if (source / "FaceXModel").is_dir():
        return source
    if source.name == "FaceXModel":
        return source.parent
    below = sorted(p.parent for p in source.glob("*/FaceXModel") if p.is_dir())
    if len(below) == 1:
        return below[0]
    raise UserError(f"{source} holds no ICT-FaceKit FaceXModel/ folder (expected DIR/FaceXModel/*.obj)")


def _verified_files(source: Path, pinned: Mapping[str, str]) -> Iterator[tuple[str, bytes]]:
    """Yield (path inside the release, bytes) for every pinned file, each checked before use.

    A folder is checked completely before the first file is yielded. An archive is streamed once
    (decompressing 400 MB twice would double the import time): each member is checked before it
    is yielded, and the caller writes nothing until the last one passed.
    """
    if source.is_dir():
        root = _dir_root(source)
        missing = [rel for rel in pinned if not (root / rel).is_file()]
        if missing:
            raise UserError(f"ICT-FaceKit file {missing[0]} is missing from {root} ({len(missing)} missing)")
        for rel, expected in pinned.items():
            actual = hashlib.sha256((root / rel).read_bytes()).hexdigest()
            if actual != expected:
                raise _checksum_error(rel, root, expected, actual)
        for rel in pinned:
            yield rel, (root / rel).read_bytes()
        return
    if not source.is_file():
        raise UserError(f"ICT-FaceKit source {source} does not exist (give the archive or the unpacked folder)")
    seen: set[str] = set()
    try:
        with tarfile.open(source, "r:*") as tar:
            prefix: str | None = None
            for member in tar:
                if not member.isfile():
                    continue
                if prefix is None and "FaceXModel/" in member.name:
                    prefix = member.name[: member.name.index("FaceXModel/")]
                rel = member.name[len(prefix) :] if prefix and member.name.startswith(prefix) else member.name
                rel = rel.removeprefix("./")
                if rel not in pinned:
                    continue
                fh = tar.extractfile(member)
                data = fh.read() if fh is not None else b""
                actual = hashlib.sha256(data).hexdigest()
                if actual != pinned[rel]:
                    raise _checksum_error(rel, source, pinned[rel], actual)
                seen.add(rel)
                yield rel, data
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise UserError(f"cannot read ICT-FaceKit archive {source}: {exc}") from None
    missing = [rel for rel in pinned if rel not in seen]
    if missing:
        raise UserError(f"ICT-FaceKit file {missing[0]} is missing from {source} ({len(missing)} missing)")


# --- building the pack ----------------------------------------------------------------------------


def build_ict_pack(source: str | Path, manifest: AssetManifest | None = None) -> FacePack:
    """Read, verify and convert the ICT-FaceKit release at `source` (archive or folder)."""
    source = Path(source).expanduser()
    manifest = manifest or load_manifest(PACK_NAME)
    pinned = dict(manifest.files)
    shapes: dict[str, np.ndarray] = {}
    neutral_obj = None
    texts: dict[str, bytes] = {}
    for rel, data in _verified_files(source, pinned):
        if rel == NEUTRAL:
            neutral_obj = parse_obj(data, rel)
        elif rel.endswith(".obj"):
            shapes[rel] = parse_obj_vertices(data, rel)
        elif rel in (EXPRESSION_LIST, "LICENSE"):
            texts[rel] = data
    if neutral_obj is None or EXPRESSION_LIST not in texts or "LICENSE" not in texts:
        raise UserError(f"{source}: the pinned manifest lacks the neutral mesh, expression list or LICENSE")
    neutral_cm = neutral_obj.vertices
    n_vert = len(neutral_cm)
    if len(neutral_obj.poly_offsets) - 1 != N_POLYGONS or neutral_obj.poly_uv_index is None:
        raise UserError(f"{NEUTRAL}: expected {N_POLYGONS} polygons with texture coordinates")
    for rel, verts in shapes.items():
        if verts.shape != (n_vert, 3):
            raise UserError(f"ICT-FaceKit file {rel} has {len(verts)} vertices, the neutral mesh {n_vert}")

    identity_files = sorted(rel for rel in shapes if _IDENTITY.match(rel))
    listed = json.loads(texts[EXPRESSION_LIST])["expressions"]
    extra = sorted(Path(rel).stem for rel in shapes if not _IDENTITY.match(rel) and Path(rel).stem not in listed)
    expression_names = [*listed, *extra]
    for name in expression_names:
        if f"FaceXModel/{name}.obj" not in shapes:
            raise UserError(f"{EXPRESSION_LIST} names expression {name!r} but FaceXModel/{name}.obj is missing")

    def delta_mm(rel: str) -> np.ndarray:
        return ((shapes[rel] - neutral_cm) * UNIT_SCALE_MM).astype(np.float32)

    neutral_mm = neutral_cm * UNIT_SCALE_MM
    region = poly_regions()
    face_area = np.zeros(N_POLYGONS, dtype=bool)
    face_area[POSMAP_FACE_AREA[0] : POSMAP_FACE_AREA[1] + 1] = True
    provenance = {
        "source": manifest.title,
        "source_url": f"{manifest.upstream.repository}/tree/{manifest.upstream.commit}",
        "commit": manifest.upstream.commit,
        "licence": manifest.licence.spdx,
        "licence_text": texts["LICENSE"].decode("utf-8"),
        "attribution": manifest.attribution,
        "files": {rel: pinned[rel] for rel in sorted(pinned)},
        "importer": "facesynth.assets.ict",
        "importer_version": IMPORTER_VERSION,
        "unit": "source cm x 10 = mm",
        "pivot": PIVOT_RULE,
    }
    return FacePack.from_arrays(
        name=PACK_NAME,
        neutral_mm=neutral_mm,
        poly_offsets=neutral_obj.poly_offsets,
        poly_vertices=neutral_obj.poly_vertices,
        poly_uv=neutral_obj.uvs[neutral_obj.poly_uv_index],
        poly_region=region,
        face_area=face_area,
        landmarks_68=np.array(LANDMARKS_68, dtype=np.int32),
        identity_basis=np.stack([delta_mm(rel) for rel in identity_files]),
        expression_names=expression_names,
        expression_basis=np.stack([delta_mm(f"FaceXModel/{n}.obj") for n in expression_names]),
        pivot_mm=head_pivot_mm(neutral_mm),
        unit_scale_mm=UNIT_SCALE_MM,
        up_axis="+Y",
        forward_axis="+Z",
        provenance=provenance,
    )


def import_ict(source: str | Path, out: str | Path | None = None) -> Path:
    """Build the ICT-FaceKit pack from `source` and save it (default: the cache, where
    `load_pack('ict-facekit')` finds it). Nothing is written unless every file verified."""
    pack = build_ict_pack(source)
    return pack.save(Path(out) if out is not None else pack_cache_path(PACK_NAME))
