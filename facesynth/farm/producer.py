"""One sample from index to files: spec -> vertices -> labels + render -> dataset store.

The vertices Blender renders are the very array the labels are computed from.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from facesynth._version import __version__
from facesynth.assets import FacePack
from facesynth.geometry.labels import Labels, compute_labels
from facesynth.geometry.look_parts import look_parts
from facesynth.geometry.mesh_export import posed_mesh_ply
from facesynth.geometry.metadata import build_metadata
from facesynth.geometry.pose import Posed, pose_sample
from facesynth.geometry.posmap import crop_image
from facesynth.io.image_formation import apply_image_formation
from facesynth.io.store import DatasetWriter
from facesynth.recipe import LoadedRecipe
from facesynth.sampling import sample_spec
from facesynth.sampling.spec import SampleSpec


def prepare(loaded: LoadedRecipe, pack: FacePack, index: int) -> tuple[SampleSpec, np.ndarray, Posed]:
    """Sample `index`'s spec, posed vertices (model frame, mm) and pose: what Blender and labels share.

    The render worker and the Blender add-on both start here, so they cannot drift apart."""
    spec = sample_spec(loaded, index)
    vertices = pack.deform(np.asarray(spec.subject.identity), spec.expression_weights())
    return spec, vertices, pose_sample(spec, pack)


def resolve_spec_paths(loaded: LoadedRecipe, spec: SampleSpec) -> SampleSpec:
    """Paths in a spec are relative to the recipe file (portable metadata); Blender gets them resolved."""
    env, bg, subj = spec.environment, spec.background, spec.subject
    update: dict[str, Any] = {}
    if not env.source.startswith("builtin:"):
        update["environment"] = env.model_copy(update={"source": str(loaded.resolve(env.source))})
    if bg.source:
        update["background"] = bg.model_copy(update={"source": str(loaded.resolve(bg.source))})
    if subj.textures:
        textures = tuple((kind, str(loaded.resolve(path))) for kind, path in subj.textures)
        update["subject"] = subj.model_copy(update={"textures": textures})
    return spec.model_copy(update=update) if update else spec


class SampleProducer:
    """Holds what lives for a whole run: the recipe, the face pack, one render session, the writer."""

    def __init__(self, loaded: LoadedRecipe, pack: FacePack, session: Any, writer: DatasetWriter,
                 blender_version: str):
        self.loaded = loaded
        self.pack = pack
        self.session = session
        self.writer = writer
        self.blender_version = blender_version

    def produce(self, index: int) -> SampleSpec:
        spec, vertices, posed = prepare(self.loaded, self.pack, index)
        labels = compute_labels(spec, self.pack, vertices, posed, look_parts(spec, self.pack, vertices))
        result = self.session.render(resolve_spec_paths(self.loaded, spec), vertices, posed)
        meta = build_metadata(spec, self.pack, posed, labels, recipe_sha256=self.loaded.sha256,
                              facesynth_version=__version__, blender_version=self.blender_version)
        # Timings and the device actually used vary by machine and run; metadata must not, so
        # they are not recorded per sample (the recipe's render.device is).
        self.writer.write_sample(index, spec.id, self._outputs(spec, labels, result.rgb), meta)
        return spec

    def _outputs(self, spec: SampleSpec, labels: Labels, rgb: np.ndarray) -> dict[str, Any]:
        wanted = set(spec.outputs)
        out: dict[str, Any] = {}
        image = spec.look.image if spec.look else None
        if image is not None:  # camera effects on the RGB only; labels stay as computed
            if image.keep_clean or "rgb_clean" in wanted:
                out["rgb_clean"] = rgb
            rgb = apply_image_formation(rgb, image)
        if "rgb" in wanted:
            out["rgb"] = rgb
        if "parsing" in wanted and labels.parsing is not None:
            out["parsing"] = labels.parsing
        if "depth" in wanted:
            out["depth"] = labels.depth
        if "normals" in wanted:
            out["normals"] = labels.normals
        if "masks" in wanted:
            out["masks"] = labels.mask
        if "posmap" in wanted and labels.posmap is not None:
            pm = labels.posmap
            out["posmap"] = {
                **{f"prn.{a}": np.ascontiguousarray(pm.prn[..., i], dtype=np.float32) for i, a in enumerate("xyz")},
                **{f"cam.{a}": np.ascontiguousarray(pm.cam[..., i], dtype=np.float32) for i, a in enumerate("xyz")},
                "coverage": pm.coverage.astype(np.float32),
            }
            if spec.posmap.write_crop_rgb:
                out["crop"] = crop_image(rgb, pm.crop_transform, spec.posmap.size)
        if "mesh" in wanted:
            out["mesh"] = posed_mesh_ply(labels.vertices_cam, self.pack)
        return out
