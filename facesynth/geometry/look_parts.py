"""The extra solid parts a sample's `look` adds to the head (today: clothing), as label Parts.

The render session and the label pass both call `look_parts` with the same vertices, so Blender
renders exactly the triangles the labels rasterise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from facesynth.appearance.clothing import ClothingMesh, build_clothing, neck_vertex_mask
from facesynth.assets import parsing as P
from facesynth.assets import regions as R
from facesynth.geometry.labels import Part
from facesynth.geometry.per_pack import per_pack
from facesynth.sampling.spec import SampleSpec

_neck = per_pack(neck_vertex_mask)


def clothing_mesh(spec: SampleSpec, pack: Any, vertices_model: np.ndarray) -> ClothingMesh | None:
    """The sample's shirt, or None (no clothing in the look, or a pack without landmarks)."""
    look = spec.look
    if look is None or look.clothing is None or len(np.asarray(pack.landmarks_68).reshape(-1)) != 68:
        return None
    return build_clothing(pack, vertices_model, look.clothing.style, _neck(pack))


def look_parts(spec: SampleSpec, pack: Any, vertices_model: np.ndarray) -> tuple[Part, ...]:
    shirt = clothing_mesh(spec, pack, vertices_model)
    if shirt is None:
        return ()
    return (Part(vertices_model=shirt.vertices, triangles=shirt.triangles, region=R.CLOTHING,
                 parsing=P.CLOTHING),)
