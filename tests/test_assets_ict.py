"""The ICT-FaceKit importer, checked against the real upstream files in ../shared (no copies)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest

from facesynth.assets import regions
from facesynth.assets.ict import (
    IMPORTER_VERSION,
    LANDMARKS_68,
    N_POLYGONS,
    POLYGON_REGIONS,
    import_ict,
)
from facesynth.assets.manifest import load_manifest
from facesynth.assets.obj import parse_obj_vertices
from facesynth.errors import UserError

pytestmark = pytest.mark.ict
TOL_MM = 0.01


@pytest.fixture(scope="module")
def upstream(ict_archive: Path) -> dict[str, object]:
    """Every OBJ's vertices (cm, as published) and the text files, read straight from the archive."""
    out: dict[str, object] = {}
    with tarfile.open(ict_archive, "r:xz") as tar:
        for member in tar:
            if not member.isfile():
                continue
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.endswith(".obj"):
                out[member.name] = parse_obj_vertices(data, member.name)
                if member.name.endswith("generic_neutral_mesh.obj"):
                    out["neutral_bytes"] = data
            else:
                out[member.name] = data.decode("utf-8")
    return out


def reference_obj(data: bytes) -> tuple[np.ndarray, list[list[int]], np.ndarray, list[list[int]]]:
    """A deliberately plain line-by-line OBJ reading, to check the vectorised reader against."""
    v, vt, f, ft = [], [], [], []
    for line in data.decode("utf-8").splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "v":
            v.append([float(x) for x in parts[1:4]])
        elif parts[0] == "vt":
            vt.append([float(x) for x in parts[1:3]])
        elif parts[0] == "f":
            f.append([int(c.split("/")[0]) - 1 for c in parts[1:]])
            ft.append([int(c.split("/")[1]) - 1 for c in parts[1:]])
    return np.array(v), f, np.array(vt), ft


def test_neutral_mesh_topology_and_uvs_match_the_source(ict_pack, upstream):
    v, polys, vt, ft = reference_obj(upstream["neutral_bytes"])  # type: ignore[arg-type]
    assert ict_pack.n_vertices == 26719 and ict_pack.n_polygons == N_POLYGONS == len(polys)
    assert np.abs(ict_pack.neutral_mm - v * 10.0).max() <= TOL_MM
    assert ict_pack.poly_vertices.tolist() == [i for p in polys for i in p]
    assert np.diff(ict_pack.poly_offsets).tolist() == [len(p) for p in polys]
    np.testing.assert_allclose(ict_pack.poly_uv, vt[[i for p in ft for i in p]], atol=1e-6)
    assert ict_pack.unit_scale_mm == 10.0 and (ict_pack.up_axis, ict_pack.forward_axis) == ("+Y", "+Z")
    # Quads kept, 548 triangles as published; each quad split in two for ground truth.
    assert np.bincount(np.diff(ict_pack.poly_offsets))[3:5].tolist() == [548, 25836]
    assert len(ict_pack.triangles) == 548 + 2 * 25836


def test_every_identity_mode_reproduces_its_obj(ict_pack, upstream):
    neutral = upstream["FaceXModel/generic_neutral_mesh.obj"]
    files = sorted(k for k in upstream if re.fullmatch(r"FaceXModel/identity\d{3}\.obj", k))
    assert len(files) == ict_pack.n_identity == 100
    worst = 0.0
    for k, name in enumerate(files):
        e_k = np.zeros(100)
        e_k[k] = 1.0
        worst = max(worst, float(np.abs(ict_pack.deform(e_k) - upstream[name] * 10.0).max()))
        # The basis is the published offset from the neutral, one standard deviation per unit.
        assert np.abs(ict_pack.identity_basis[k] - (upstream[name] - neutral) * 10.0).max() <= TOL_MM
    assert worst <= TOL_MM


def test_every_expression_reproduces_its_obj(ict_pack, upstream):
    listed = json.loads(upstream["FaceXModel/vertex_indices.json"])["expressions"]  # type: ignore[arg-type]
    shape_files = {
        Path(k).stem for k in upstream if k.endswith(".obj") and not re.search(r"identity\d{3}|generic_neutral_mesh", k)
    }
    assert len(listed) == 53
    assert list(ict_pack.expression_names[:53]) == listed
    assert set(ict_pack.expression_names) == shape_files  # every shape OBJ shipped is imported
    assert {"cheekRaiser_L", "cheekRaiser_R", "PupilDilate_L", "PupilDilate_R"} <= set(ict_pack.expression_names)
    for name in ict_pack.expression_names:
        got = ict_pack.deform([], {name: 1.0})
        err = float(np.abs(got - upstream[f"FaceXModel/{name}.obj"] * 10.0).max())
        assert err <= TOL_MM, (name, err)
    # ARKit spellings drive the same shapes.
    np.testing.assert_array_equal(
        ict_pack.deform([], {"mouthSmileLeft": 0.7}), ict_pack.deform([], {"mouthSmile_L": 0.7})
    )


def test_identity_and_expression_mixing_is_linear(ict_pack):
    n = ict_pack.neutral_mm.astype(np.float64)
    a = ict_pack.deform([0.0, 2.0], {}) - n
    b = ict_pack.deform([0, 0, 0, -1.5], {}) - n
    c = ict_pack.deform([], {"jawOpen": 1.0}) - n
    d = ict_pack.deform([], {"eyeBlink_L": 1.0}) - n
    mixed = ict_pack.deform([0.0, 2.0, 0.0, -1.5], {"jawOpen": 0.4, "eyeBlinkLeft": 0.8}) - n
    np.testing.assert_allclose(mixed, a + b + 0.4 * c + 0.8 * d, atol=1e-3)
    assert np.abs(c).max() > 10.0  # jawOpen really moves the jaw (by mm, not microns)


def test_landmarks_sit_on_facial_features(ict_pack, upstream):
    readme = upstream["README.md"]
    listed = re.search(r"Multi-PIE 68 point facial landmarks indices:\s*\n\s*([\d, ]+)", readme)  # type: ignore[arg-type]
    assert listed is not None
    assert tuple(int(x) for x in listed.group(1).split(",")) == LANDMARKS_68 == tuple(ict_pack.landmarks_68)
    lm = ict_pack.neutral_mm[ict_pack.landmarks_68]
    assert int(np.argmax(lm[:, 2])) == 30  # the nose tip is the most forward landmark
    # iBUG eye corners: 36/45 outer, 39/42 inner; the subject's left eye is on +X.
    for right, left in ((36, 45), (39, 42)):
        assert lm[right, 0] < 0 < lm[left, 0]
        np.testing.assert_allclose(lm[right] * [-1, 1, 1], lm[left], atol=1.0)
    assert lm[8, 1] < lm[57, 1] < lm[51, 1] < lm[33, 1] < lm[27, 1]  # chin, lips, nose, bridge: upward


def test_region_table_is_the_readme_table(ict_pack, upstream):
    readme = upstream["README.md"]
    rows = re.findall(r"\|\s*#\d+\s*\|\s*([^|]+?)\s*\|\s*\[\d+:\d+\]\s*\|\s*\[(\d+):(\d+)\]", readme)  # type: ignore[arg-type]
    published = {name: (int(a), int(b)) for name, a, b in rows}
    covered = np.zeros(N_POLYGONS, dtype=int)
    for first, last, region_id, label in POLYGON_REGIONS:
        name = label.split(" ", 1)[1] if label.startswith("#") else label.split(" ", 3)[3]
        assert published[name] == (first, last), label
        covered[first : last + 1] += 1
        assert (ict_pack.poly_region[first : last + 1] == region_id).all()
    assert (covered == 1).all()  # every polygon has exactly one region
    counts = np.bincount(ict_pack.poly_region, minlength=11)
    assert counts[regions.SKIN] == 9230 and counts[regions.TEETH] == 4490 and counts[regions.IRIS] == 2 * 798
    assert counts[regions.EYELASHES] == 1080 and counts[regions.BACKGROUND] == 0
    narrow = published["Narrow face area"][1] + 1  # the position-map face area
    assert ict_pack.face_area.sum() == narrow == 6560 and ict_pack.face_area[:narrow].all()


def test_pivot_is_inside_the_head_behind_the_eyes(ict_pack):
    p = ict_pack.pivot_mm
    eyes = ict_pack.neutral_mm[21451:24591]
    skin = ict_pack.neutral_mm[: 11247 + 1]  # README vertex ranges: Face, Head and Neck
    assert abs(p[0]) < 1.0 and eyes[:, 1].min() < p[1] < eyes[:, 1].max()
    assert skin[:, 2].min() + 40 < p[2] < eyes[:, 2].min() - 20  # well behind the eyeballs, inside the skull
    near = skin[np.abs(skin[:, 1] - p[1]) < 10.0]
    assert near[:, 0].min() < p[0] < near[:, 0].max()


def test_provenance_and_pack_file(ict_pack, upstream):
    prov = ict_pack.provenance
    manifest = load_manifest("ict-facekit")
    assert prov["commit"] == "da5f95a607f5e6b37755b38d3385d7f2853732e5" in prov["source_url"]
    assert prov["licence"] == "MIT" and prov["licence_text"] == upstream["LICENSE"]
    assert "USC Institute for Creative Technologies" in prov["attribution"]
    assert prov["files"] == manifest.files and len(prov["files"]) == 162
    assert prov["importer_version"] == IMPORTER_VERSION
    from facesynth.assets.cache import pack_cache_path

    path = pack_cache_path("ict-facekit")
    assert path.stat().st_size <= 40e6
    assert ict_pack.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def unpacked(ict_archive: Path, tmp_path: Path):
    """A private unpacked copy (400 MB), removed afterwards so old pytest temp dirs stay small."""
    folder = tmp_path / "ict"
    with tarfile.open(ict_archive, "r:xz") as tar:
        tar.extractall(folder, filter="data")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_folder_import_matches_archive_and_a_corrupt_file_is_refused(ict_pack, unpacked, tmp_path):
    out = tmp_path / "out"
    # Same files, other container: byte-identical pack (reproducible builds).
    built = import_ict(unpacked, out / "from-folder.npz")
    assert hashlib.sha256(built.read_bytes()).hexdigest() == ict_pack.sha256

    victim = unpacked / "FaceXModel" / "jawOpen.obj"
    data = bytearray(victim.read_bytes())
    expected = hashlib.sha256(data).hexdigest()
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    target = out / "corrupt.npz"
    with pytest.raises(UserError) as info:
        import_ict(unpacked, target)
    message = str(info.value)
    assert "FaceXModel/jawOpen.obj" in message and expected in message
    assert hashlib.sha256(data).hexdigest() in message and "\n" not in message
    assert not target.exists() and sorted(p.name for p in out.iterdir()) == ["from-folder.npz"]

    victim.unlink()
    with pytest.raises(UserError, match=r"FaceXModel/jawOpen\.obj is missing"):
        import_ict(unpacked, target)
    assert not target.exists()
