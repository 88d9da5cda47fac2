"""The built-in face pack: a procedural, parametric human head written by this project.

`build_builtin_pack()` generates it with numpy alone (no download, no data files): a closed
head-and-neck skin of ~26k vertices with an eye slit and a mouth slit folding into pockets,
separate eyeballs (sclera + iris), 16 identity modes (coefficient 1 = one plausible standard
deviation; names in `provenance['identity_names']`), 53 ARKit-named expression shapes (ARKit's
52 without tongueOut, with cheekPuff and browInnerUp split into _L/_R) and 68 iBUG landmarks. Each basis shape is the
shape function (`builtin_head.shape`) at one parameter = 1 minus the same at rest, so the
result is deterministic: the same code gives byte-identical arrays. `load_pack('builtin')`
caches the result as a pack file.
"""

from __future__ import annotations

import numpy as np

from facesynth.assets.builtin_head.grid import Grid, build_grid
from facesynth.assets.builtin_head.landmarks import landmarks_68
from facesynth.assets.builtin_head.layout import build_layout
from facesynth.assets.builtin_head.profiles import Profiles
from facesynth.assets.builtin_head.shape import (
    EXPRESSION_NAMES,
    EYE_X,
    IDENTITY_NAMES,
    MOUTH_HALF_WIDTH,
    HeadShape,
)
from facesynth.assets.pack import FacePack
from facesynth.assets.regions import SKIN

PIVOT_MM = (0.0, -10.0, 10.0)  # inside the head, behind the eyes, above the neck
VERSION = "1"


def head_model() -> tuple[Grid, HeadShape]:
    """The grid and the shape function of the built-in head (for tools that sweep parameters)."""
    prof = Profiles()
    grid = build_grid(prof)
    return grid, HeadShape(grid, prof)


def build_builtin_pack() -> FacePack:
    grid, shape = head_model()
    neutral, t_eff = shape.evaluate({})
    identity = np.stack([shape.evaluate({name: 1.0})[0] - neutral for name in IDENTITY_NAMES])
    expression = np.stack([shape.evaluate({name: 1.0})[0] - neutral for name in EXPRESSION_NAMES])

    mid_row = neutral[: grid.n_ring_vertices].reshape(grid.n_rows, grid.n_cols, 3)[grid.eye_rows[1]]
    eye_window = shape.eye_params(mid_row[:, 0], np.clip(2.5 * np.cos(grid.col_phi), 0.0, 1.0), {})[0]
    polys, uv, region = build_layout(grid, neutral, t_eff, MOUTH_HALF_WIDTH, eye_window)
    counts = np.concatenate([np.full(len(p), p.shape[1]) for p in polys])
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    vertices = np.concatenate([p.reshape(-1) for p in polys]).astype(np.int32)
    return FacePack.from_arrays(
        name="builtin",
        neutral_mm=neutral.astype(np.float32),
        poly_offsets=offsets,
        poly_vertices=vertices,
        poly_uv=uv.astype(np.float32),
        poly_region=region,
        face_area=region == SKIN,
        landmarks_68=landmarks_68(grid, neutral, EYE_X, MOUTH_HALF_WIDTH),
        identity_basis=identity.astype(np.float32),
        expression_names=EXPRESSION_NAMES,
        expression_basis=expression.astype(np.float32),
        pivot_mm=np.array(PIVOT_MM),
        unit_scale_mm=1.0,
        up_axis="+Y",
        forward_axis="+Z",
        provenance={
            "source": "facesynth built-in procedural head (facesynth/assets/builtin_head/)",
            "licence": "Apache-2.0 (part of facesynth)",
            "attribution": "facesynth contributors",
            "importer_version": f"builtin-head/{VERSION}",
            "identity_names": list(IDENTITY_NAMES),
        },
    )
