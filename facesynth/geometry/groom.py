"""A subject's groom (hair, brows, beard, lashes, glasses, headwear) grown on its face pack.

`grow_groom` is a pure function of (GroomSpec, pack, identity shape); `posed_groom` moves it onto
one sample's vertices. The result is handed to Blender as curves and meshes and rasterised by
the label pass, so both see one geometry. Growing takes about a second per subject; a worker
keeps the last few subjects' grooms.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from facesynth.assets import regions as R
from facesynth.geometry import accessories, braids, facial_hair, scalp_hair, vec
from facesynth.geometry.head_shell import build_shell, directions, sample_surface
from facesynth.geometry.strands import GroomGeometry, StrandSet
from facesynth.sampling.groom import GroomSpec
from facesynth.sampling.spec import SampleSpec

_CACHE: OrderedDict[tuple[Any, ...], GroomGeometry] = OrderedDict()
_CACHE_SIZE = 4


def head_triangles(pack: Any) -> np.ndarray:
    """Triangles (vertex ids) of the pack's skin and head/neck regions: where hair can grow."""
    region = np.asarray(pack.poly_region)[np.asarray(pack.tri_polygon)]
    return np.asarray(pack.triangles)[np.isin(region, (R.SKIN, R.HEAD_NECK))]


def grow_groom(g: GroomSpec, pack: Any, rest_vertices: np.ndarray) -> GroomGeometry:
    """Every strand set and mesh of one subject, on its identity shape (model frame, mm)."""
    if not pack.has_landmarks:
        return GroomGeometry()
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([g.geometry_seed])))
    v = np.asarray(rest_vertices, dtype=np.float64)
    lm_ids = np.asarray(pack.landmarks_68).reshape(-1)
    lm = v[lm_ids]
    tris = head_triangles(pack)
    strands: list[StrandSet] = []
    shell = line = hair = None
    if g.hair_style != "bald" or g.headwear is not None:
        shell = _head_shell(v, tris, lm)
        line = _hairline(shell, lm, rng)
    if g.hair_style != "bald":
        hair = _scalp(g, v, tris, shell, line, rng, y_ear=float((lm[0, 1] + lm[16, 1]) / 2))
        strands.append(hair)
    strands.append(facial_hair.eyebrows(v, tris, lm, g.brow_density, g.brow_thickness_mm, rng))
    if g.beard_style is not None:
        strands.append(facial_hair.beard(v, tris, lm, g.beard_style, g.hair_density, rng))
    if g.eyelashes:
        strands.append(facial_hair.eyelashes(v, lm_ids, rng))
    meshes = []
    if g.glasses_shape is not None:
        frame, lenses = accessories.eyeglasses(v, tris, lm, g.glasses_shape, g.glasses_sun)
        strands.append(frame)
        meshes.append(lenses)
    if g.headwear is not None:
        meshes.append(accessories.beanie(shell, line, hair))
    return GroomGeometry(tuple(s for s in strands if s.n_strands), tuple(meshes))


def _head_shell(v: np.ndarray, tris: np.ndarray, lm: np.ndarray) -> Any:
    head = v[np.unique(tris)]
    cy = float(vec.mean(lm[36:48, 1]) + 20.0)
    band = head[np.abs(head[:, 1] - cy) < 12.0]
    centre = np.array([float(lm[27, 0]), cy, float((band[:, 2].max() + band[:, 2].min()) / 2)])
    return build_shell(head, centre)


def _hairline(shell: Any, lm: np.ndarray, rng: np.random.Generator) -> scalp_hair.Hairline:
    brow_top = float(max(lm[19, 1], lm[24, 1]))
    y_ear = float((lm[0, 1] + lm[16, 1]) / 2)
    return scalp_hair.hairline(shell, brow_top + rng.uniform(48.0, 62.0), y_ear, float(lm[48, 1]) + 5.0,
                               float(lm[8, 1]))


def _scalp(g: GroomSpec, v: np.ndarray, tris: np.ndarray, shell: Any, line: scalp_hair.Hairline,
           rng: np.random.Generator, y_ear: float) -> StrandSet:
    _, count, n_pts, _, _ = scalp_hair.STYLES[g.hair_style]
    n = max(int(count * g.hair_density), scalp_hair.N_GUIDES)
    s = sample_surface(v, tris, n * 4, rng)
    el, az, _ = directions(s.points, shell.centre)
    edge = line.elevation(az) + rng.normal(0.0, np.radians(1.2), len(el))
    keep = np.flatnonzero(el > edge)[:n]
    roots = s.points[keep]
    params = scalp_hair.HairParams(g.hair_style, g.hair_density, g.hair_length, g.hair_clump, g.hair_curl,
                                   g.hair_frizz, g.part_side)
    if g.hair_style == "buzz":  # too short for the shell's resolution: lie on the skin instead
        n_pts = scalp_hair.STYLES["buzz"][2]
        flow = roots - shell.centre - np.array([0.0, 200.0, -150.0])  # away from the crown, down
        points = facial_hair.lying_strands(roots, s.normals[keep], flow, scalp_hair.STYLES["buzz"][0] * g.hair_length
                                           * rng.uniform(0.7, 1.2, len(roots)), n_pts, lift=0.5)
        radius = np.broadcast_to(np.linspace(0.07, 0.05, n_pts), (len(roots), n_pts)).copy()
        return StrandSet("hair", "hair", points, radius, np.full(len(roots), R.HAIR, np.uint8),
                         tris[s.triangle[keep]], s.bary[keep])
    if g.hair_style == "braids":  # combed to two gather points below the ears, then plaited
        length = scalp_hair.STYLES["braids"][0] * g.hair_length
        points = braids.braid_strands(roots, shell, y_ear - 12.0, length, n_pts, rng)
    else:
        n_guides = min(scalp_hair.N_GUIDES, len(roots))
        guides = scalp_hair.grow_guides(roots[:n_guides], shell, line, params, rng)
        points = scalp_hair.children(roots, roots[:n_guides], guides, shell, line, params, rng)
    if g.hair_style == "bun":  # a third of the strands wound into the bun
        wound = np.argsort(vec.norm(roots - points[:, -1]), kind="stable")[: len(roots) // 3]
        points[wound] = scalp_hair.bun_strands(roots[wound], shell, rng, n_pts)
    radius = np.broadcast_to(np.linspace(scalp_hair.ROOT_RADIUS_MM, scalp_hair.TIP_RADIUS_MM, n_pts),
                             (len(roots), n_pts)).copy()
    return StrandSet("hair", "hair", points, radius, np.full(len(roots), R.HAIR, np.uint8),
                     tris[s.triangle[keep]], s.bary[keep])


def rest_vertices(spec: SampleSpec, pack: Any) -> np.ndarray:
    """The subject's identity shape without expression: what strands are grown on."""
    return pack.deform(np.asarray(spec.subject.identity), ())


def subject_groom(spec: SampleSpec, pack: Any) -> tuple[GroomGeometry, np.ndarray] | None:
    """(rest groom, rest vertices) of the sample's subject, or None without grooming."""
    g = spec.subject.groom
    if g is None:
        return None
    key = (pack.name, pack.sha256, spec.subject.model_dump_json())
    rest = rest_vertices(spec, pack)
    if key not in _CACHE:
        _CACHE[key] = grow_groom(g, pack, rest)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    return _CACHE[key], rest


def posed_groom(spec: SampleSpec, pack: Any, vertices: np.ndarray) -> GroomGeometry | None:
    """The sample's groom on its posed vertices (model frame), or None without grooming."""
    found = subject_groom(spec, pack)
    if found is None:
        return None
    groom, rest = found
    return groom.posed(rest, vertices)
