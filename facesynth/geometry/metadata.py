"""The per-sample metadata dict (meta_version 2): every number needed to rebuild the labels.

Schema and units: docs/conventions.md. Values are JSON-native and a pure function of the inputs,
and schema-stable: every sample of a dataset has the same keys and list lengths (no dict keyed by
varying names), so loaders that infer columns from the first samples lose nothing.
The dataset store adds `outputs` (file names and sha256s) before writing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from facesynth.assets.pack import FacePack
from facesynth.color import kelvin_to_rgb
from facesynth.geometry.contour import CONVENTION_2D
from facesynth.geometry.dense import VERTEX_SET_VERSION
from facesynth.geometry.face_box import mask_box, points_box, pupil_centres, visible_face_area
from facesynth.geometry.labels import Labels
from facesynth.geometry.landmarks import Landmarks
from facesynth.geometry.lights import light_pose
from facesynth.geometry.pose import POSE_CONVENTION, Posed, focus_distance_mm
from facesynth.geometry.posmap import __doc__ as _POSMAP_DOC
from facesynth.outputs import LANDMARK_CONVENTIONS, META_VERSION
from facesynth.sampling.spec import SampleSpec, light_tree_enabled

LANDMARK_ORDER = "iBUG/Multi-PIE 68, 0-indexed"
BOX_FORMAT = "[x0, y0, x1, y1] px, (0, 0) = centre of the top-left pixel; [] = none"
CONTOUR_KEY = LANDMARK_CONVENTIONS["2d-contour"].meta_key
POSMAP_CONVENTION = " ".join((_POSMAP_DOC or "").split())


def _f(x: Any) -> Any:
    """numpy -> nested lists of Python floats (JSON-native)."""
    return np.asarray(x, dtype=np.float64).tolist()


def _f32(x: np.float32) -> float:
    """The shortest decimal that reads back as the same float32 (deform's coefficients are
    float32): 0.3, not 0.30000001192092896."""
    return float(np.format_float_positional(np.float32(x), unique=True))


def face_model_entry(spec: SampleSpec, pack: FacePack) -> dict[str, Any]:
    """Identity coefficients as applied to the pack's (= source's) modes, and the expression
    weights per pack shape after alias resolution and _L/_R splitting."""
    coeffs = pack.coefficients(spec.subject.identity, spec.expression.weights)
    k = pack.n_identity
    return {
        "name": pack.name,
        "source": spec.subject.face_model,
        # A user character's pack lives only in memory: its source file's hash identifies it.
        "pack_sha256": pack.sha256 or str(pack.provenance.get("file_sha256", "")),
        "identity": [_f32(c) for c in coeffs[:k]],
        "expression_name": spec.expression.name,
        "expression_intensity": float(spec.expression.intensity),
        # Parallel lists over every pack shape, zeros included: the same keys and lengths in every
        # sample, so loaders that infer a schema from the first samples (HF datasets) keep them all.
        "expression": {"names": list(pack.expression_names), "weights": [_f32(c) for c in coeffs[k:]]},
        "skin_tone": float(spec.subject.skin_tone),
        "iris_color": _f(spec.subject.iris_color),
        "licence": str(pack.provenance.get("licence", pack.provenance.get("license", ""))),
        "attribution": str(pack.provenance.get("attribution", "")),
    }


def build_metadata(
    spec: SampleSpec,
    pack: FacePack,
    posed: Posed,
    labels: Labels,
    *,
    recipe_sha256: str,
    facesynth_version: str,
    blender_version: str,
    metered_ev: float | None = None,
) -> dict[str, Any]:
    """`metered_ev`: the exposure change the render's face meter applied (RenderResult.metered_ev)."""
    cam = posed.camera
    # The spec's angles are exact; R_head is built from them (angles_from_rotation(R) returns them).
    hp = spec.head_pose
    yaw, pitch, roll = float(hp.yaw_deg), float(hp.pitch_deg), float(hp.roll_deg)
    lm = labels.landmarks
    focus_mm = focus_distance_mm(posed, lm.xyz_cam) if spec.camera.fstop is not None else None
    meta: dict[str, Any] = {
        "meta_version": META_VERSION,
        "id": spec.id,
        "index": spec.index,
        "recipe_name": spec.recipe_name,
        "subject_id": spec.subject.subject_id,
        "split": spec.split,
        "group": spec.group,
        "view": spec.view,
        "frame": spec.expression.frame,
        "frame_count": spec.expression.frame_count,
        "seed": spec.seed,
        "recipe_sha256": recipe_sha256,
        "facesynth_version": facesynth_version,
        "blender_version": blender_version,
        "face_model": face_model_entry(spec, pack),
        "mesh": {"model_to_camera": _f(posed.model_to_camera), "model_to_world": _f(posed.model_to_world),
                 "units": "mm", "frame": "opencv_camera"},
        "camera": {
            "K": _f(cam.K),
            "width": cam.width,
            "height": cam.height,
            "projection": cam.projection,
            "lens_mm": float(cam.focal_length_mm),
            "sensor_width_mm": float(cam.sensor_width_mm),
            "sensor_fit": "horizontal",
            "ortho_scale_mm": float(cam.ortho_scale_mm),
            "clip_mm": [float(cam.clip_start_mm), float(cam.clip_end_mm)],
            "world_to_camera": _f(cam.world_to_camera),
            "distance_mm": float(spec.camera.distance_mm),
            "position_jitter_mm": _f(spec.camera.position_jitter_mm),
            "fstop": spec.camera.fstop,
            "focus_distance_mm": focus_mm,
            "auto_exposure": spec.camera.auto_exposure,
            "auto_exposure_tone": spec.camera.auto_exposure_tone,
            "metered_ev": None if metered_ev is None else round(float(metered_ev), 4),
        },
        "head_pose": {
            "R": _f(posed.R_head),
            "t_mm": _f(posed.t_mm),
            "yaw_deg": yaw,
            "pitch_deg": pitch,
            "roll_deg": roll,
            "translation_world_mm": _f(spec.head_pose.translation_mm),
            "convention": POSE_CONVENTION,
        },
        "lights": [_light_entry(light, posed) for light in spec.lights],
        "environment": {"source": spec.environment.source, "strength": float(spec.environment.strength),
                        "rotation_deg": float(spec.environment.rotation_deg)},
        "background": {"kind": spec.background.kind, "source": spec.background.source or "",
                       "color": _f(spec.background.color)},
        "render": {"engine": spec.render.engine, "samples": spec.render.samples, "device": spec.render.device,
                   "seed": spec.render.seed, "denoise": spec.render.denoise,
                   "adaptive_threshold": float(spec.render.adaptive_threshold),
                   "max_bounces": spec.render.max_bounces, "light_tree": spec.render.light_tree,
                   "light_tree_used": light_tree_enabled(spec.render.light_tree, spec.lights)},
        "depth": {"kind": "planar camera z", "units": "mm", "no_surface": 0.0,
                  "includes": list(labels.depth_includes),
                  **({"face_only_channel": "face.Z"} if labels.depth_face is not None else {})},
    }
    if spec.subject.groom is not None:
        meta["groom"] = spec.subject.groom.model_dump(mode="json")
    if spec.look is not None:  # skin, clothing, sky and camera-effect parameters, as drawn
        meta["look"] = spec.look.model_dump(mode="json")
    if len(lm.uv) == 68:  # packs without a landmark mapping have none to write
        meta["landmarks_68"] = {**_points_entry(lm, pack.landmarks_68), "order": LANDMARK_ORDER}
    if labels.landmarks_2d_contour is not None:
        c = labels.landmarks_2d_contour
        p = c.points
        meta[CONTOUR_KEY] = {"2d": _f(p.uv), "3d": _f(p.xyz_cam), "visible": [bool(b) for b in p.visible],
                             "order": LANDMARK_ORDER, "convention": CONVENTION_2D,
                             "vertex_pairs": c.pairs.tolist(), "weights": _f(c.weights)}
    meta["face_box"] = {
        "from_visible_face_area": mask_box(visible_face_area(labels.raster, labels.solid_triangles, pack)),
        "from_landmarks": points_box(lm.uv),
        "format": BOX_FORMAT,
    }
    pupils = pupil_centres(pack, labels.vertices_cam, cam, labels.mask)
    if pupils is not None:  # packs with two irises (the built-in head, ICT)
        meta["pupils"] = {"2d": _f(pupils.uv), "3d": _f(pupils.xyz_cam), "visible": [bool(b) for b in pupils.visible],
                          "order": "subject's right eye, left eye (iris centroid)"}
    if labels.dense is not None:
        dl = spec.dense_landmarks
        meta["dense_landmarks"] = {
            **_points_entry(labels.dense, labels.dense_ids),
            "vertex_set": "recipe vertex_ids" if dl.vertex_ids else f"{VERTEX_SET_VERSION} count={dl.count}",
        }
    if labels.posmap is not None:
        pm = labels.posmap
        meta["posmap"] = {
            "size": int(pm.coverage.shape[0]),
            "crop_transform": _f(pm.crop_transform),
            "crop_scale": float(spec.posmap.crop_scale),
            "crop_jitter": _f(spec.posmap.crop_jitter),
            "z_scale_px_per_mm": pm.z_scale_px_per_mm,
            "z_offset_px": pm.z_offset_px,
            "convention": POSMAP_CONVENTION,
        }
    return meta


def _points_entry(points: Landmarks, vertex_ids: Any) -> dict[str, Any]:
    """2D (px), 3D (mm, camera frame), visibility and the pack vertex ids of projected points."""
    return {
        "2d": _f(points.uv),
        "3d": _f(points.xyz_cam),
        "visible": [bool(b) for b in points.visible],
        "vertex_ids": [int(i) for i in np.asarray(vertex_ids).reshape(-1)],
    }


def _light_entry(light: Any, posed: Posed) -> dict[str, Any]:
    lp = light_pose(light, posed)
    return {
        "kind": light.kind,
        "position_camera_mm": _f(lp.position_camera_mm),
        "direction_camera": _f(lp.direction_camera),
        "position_world_mm": _f(lp.position_world_mm),
        "energy": float(light.energy),
        "color_temperature_k": float(light.color_temperature_k),
        "color": _f(kelvin_to_rgb(light.color_temperature_k)),
        "size_mm": float(light.size_mm),
        "spot_angle_deg": float(light.spot_angle_deg),
        "azimuth_deg": float(light.azimuth_deg),
        "elevation_deg": float(light.elevation_deg),
        "distance_mm": float(light.distance_mm),
    }
