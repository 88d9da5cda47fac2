"""One sample from index to files: spec -> vertices -> labels + render -> dataset store.

The vertices Blender renders are the very array the labels are computed from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from facesynth._version import __version__
from facesynth.assets import FacePack
from facesynth.geometry.groom import posed_groom
from facesynth.geometry.labels import Labels, compute_labels
from facesynth.geometry.look_parts import look_parts
from facesynth.geometry.mesh_export import posed_mesh_ply
from facesynth.geometry.metadata import build_metadata
from facesynth.geometry.pose import Posed, pose_sample
from facesynth.geometry.posmap import crop_image
from facesynth.io.image_formation import apply_image_formation
from facesynth.io.store import DatasetWriter
from facesynth.outputs import FILE_KINDS
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
        groom = posed_groom(spec, self.pack, vertices)  # one geometry for labels and Blender
        labels = compute_labels(spec, self.pack, vertices, posed, parts=look_parts(spec, self.pack, vertices),
                                groom=groom)
        result = self.session.render(resolve_spec_paths(self.loaded, spec), vertices, posed, groom=groom,
                                     parsing=labels.parsing)
        meta = build_metadata(spec, self.pack, posed, labels, recipe_sha256=self.loaded.sha256,
                              facesynth_version=__version__, blender_version=self.blender_version,
                              metered_ev=result.metered_ev)
        # Timings and the device actually used vary by machine and run; metadata must not, so
        # they are not recorded per sample (the recipe's render.device is).
        self.writer.write_sample(index, spec.id, self._outputs(spec, labels, result.rgb), meta)
        return spec

    def _outputs(self, spec: SampleSpec, labels: Labels, rgb: np.ndarray) -> dict[str, Any]:
        """The files of the sample: one maker per file kind of facesynth.outputs, in its order.
        Camera effects (look.image) change the RGB only: every label is made as computed."""
        image = spec.look.image if spec.look else None
        clean = rgb
        if image is not None:
            rgb = apply_image_formation(rgb, image)
        made = ((kind, _MAKERS[kind](self.pack, spec, labels, clean if kind == "rgb_clean" else rgb))
                for kind in FILE_KINDS if _wanted(spec, kind))
        return {kind: value for kind, value in made if value is not None}


def _wanted(spec: SampleSpec, kind: str) -> bool:
    if kind == "rgb_clean":  # only when camera effects change the RGB
        image = spec.look.image if spec.look else None
        return image is not None and (image.keep_clean or kind in spec.outputs)
    return kind in spec.outputs or (kind == "crop" and "posmap" in spec.outputs and spec.posmap.write_crop_rgb)


def _posmap_channels(pm: Any) -> dict[str, np.ndarray]:
    return {
        **{f"prn.{a}": np.ascontiguousarray(pm.prn[..., i], dtype=np.float32) for i, a in enumerate("xyz")},
        **{f"cam.{a}": np.ascontiguousarray(pm.cam[..., i], dtype=np.float32) for i, a in enumerate("xyz")},
        "coverage": pm.coverage.astype(np.float32),
    }


_Maker = Callable[[FacePack, SampleSpec, Labels, np.ndarray], Any]
_MAKERS: dict[str, _Maker] = {
    "rgb": lambda pack, spec, labels, rgb: rgb,
    # with a groom the file holds both: Z (everything) and face.Z (the head alone)
    "depth": lambda pack, spec, labels, rgb: (labels.depth if labels.depth_face is None
                                              else {"Z": labels.depth, "face.Z": labels.depth_face}),
    "normals": lambda pack, spec, labels, rgb: labels.normals,
    "masks": lambda pack, spec, labels, rgb: labels.mask,
    "posmap": lambda pack, spec, labels, rgb: None if labels.posmap is None else _posmap_channels(labels.posmap),
    "crop": lambda pack, spec, labels, rgb: (
        None if labels.posmap is None else crop_image(rgb, labels.posmap.crop_transform, spec.posmap.size)),
    "mesh": lambda pack, spec, labels, rgb: posed_mesh_ply(labels.vertices_cam, pack),
    "parsing": lambda pack, spec, labels, rgb: labels.parsing,
    "rgb_clean": lambda pack, spec, labels, rgb: rgb,
}
# Adding a file kind to facesynth.outputs without saying how it is made fails at import.
assert set(_MAKERS) == set(FILE_KINDS), sorted(set(_MAKERS) ^ set(FILE_KINDS))
