"""`RenderSession`: one Blender per process, the scene built once, per sample only updates.

The session owns Blender's global state (factory settings, one scene). Per sample it writes the
given vertex array with `foreach_set`, the head transform, camera, lights, world, background and
material values, renders with Cycles to a multilayer EXR in a private temp dir and returns numpy
arrays. Nothing is created per sample, so memory does not creep over long loops.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import OpenEXR

from facesynth.assets.pack import FacePack
from facesynth.errors import WorkError
from facesynth.geometry.pose import Posed, focus_distance_mm
from facesynth.geometry.strands import GroomGeometry
from facesynth.render import background as bgmod
from facesynth.render._bpy import blender_output_to, import_bpy
from facesynth.render.cycles_settings import cycles_settings
from facesynth.render.datablocks import datablock_census
from facesynth.render.device import DeviceChoice, apply_device, choose_device, gpu_backends_with_devices
from facesynth.render.exposure import expose, face_target, metered_ev
from facesynth.render.groom import GroomObjects, apply_curve_settings
from facesynth.render.lights import LightPool
from facesynth.render.look import LookScene, Sky
from facesynth.render.materials import HIDDEN, HeadMaterials, build_materials, role_of, skin_albedo
from facesynth.render.mesh import build_head_mesh
from facesynth.render.skin_look import pixel_footprint_mm, skin_colours
from facesynth.render.sync import assign, assign_matrix, write_count
from facesynth.render.units import depth_to_mm, matrix_to_m, points_to_m
from facesynth.render.world import World
from facesynth.sampling.spec import RenderSpec, SampleSpec
from facesynth.scratch import make_scratch_dir

CAMERA_DATA_KEYS = ("type", "lens", "sensor_width", "sensor_fit", "ortho_scale", "clip_start",
                    "clip_end", "shift_x", "shift_y")


@dataclass(frozen=True, eq=False)
class RenderResult:
    rgb: np.ndarray
    """(H, W, 3) or (H, W, 4) for a transparent background; uint8 or uint16 sRGB."""
    depth_mm: np.ndarray | None
    """Blender's Depth pass, planar mm, 0 = no surface (a cross-check; labels use the rasteriser)."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per step: update, render (the bpy.ops.render.render call), read, composite."""
    device: str = "CPU"
    metered_ev: float | None = None
    """The exposure change (stops) of the face meter (spec.camera.auto_exposure); None: off."""


def _region_names() -> dict[int, str]:
    from facesynth.assets.regions import REGION_BY_ID

    return {rid: r.name for rid, r in REGION_BY_ID.items()}


class RenderSession:
    """Builds the scene for `pack` once; `render(spec, vertices_model, posed)` per sample."""

    def __init__(self, pack: FacePack, *, threads: int = 0, scene: Any = None) -> None:
        """Build the head, camera, world and lights once.

        With `scene=None` (the render worker) Blender is reset to factory settings and renders go
        to a private scratch file. With a scene (the Blender add-on), nothing is reset: facesynth's
        objects are added to that scene and its output path stays the artist's.
        """
        bpy = self._bpy = import_bpy()
        own_blender = scene is None
        if own_blender:
            bpy.ops.wm.read_factory_settings(use_empty=True)
            # Never run Python embedded in .blend files we might open (textures, user characters).
            bpy.context.preferences.filepaths.use_scripts_auto_execute = False
            scene = bpy.context.scene
        self.pack = pack
        self.threads = int(threads)
        self.counters: dict[str, int] = {"meshes_created": 0, "materials_created": 0, "renders": 0,
                                         "lights_created": 0, "last_sample_writes": 0, "cycles_resets": 0}
        """`last_sample_writes`: Blender properties the last render changed (0 for a repeat);
        `cycles_resets`: renders that dropped Cycles' persistent data (see `_keep_pixels_reproducible`)."""
        self._lamp_kinds: tuple[str, ...] | None = None
        self._tmp = make_scratch_dir("render")  # named by PID: a killed run's is removed next time
        self.log_path = self._tmp / "blender.log"
        """Blender's own console output of this session's renders."""
        self._device: tuple[tuple[str, bool], DeviceChoice] | None = None
        self._scene_changed = True
        self.scene = scene
        artists_output = scene.render.filepath
        self._setup_scene(scene)
        if not own_blender:
            scene.render.filepath = artists_output
        self.materials = self._build_head(bpy, scene, pack)
        cam_data = bpy.data.cameras.new("facesynth_camera")
        self.camera = bpy.data.objects.new("facesynth_camera", cam_data)
        scene.collection.objects.link(self.camera)
        scene.camera = self.camera
        self.world = World(bpy, scene)
        self.lights = LightPool(bpy, scene.collection)
        self.groom = GroomObjects(bpy, scene.collection)
        self.look = LookScene(bpy, scene, self.head, self.mesh, self.materials.by_role.get("skin"), pack)
        self.sky = Sky(self.world)

    # -- building (once) -------------------------------------------------------------------
    def _setup_scene(self, scene: Any) -> None:
        scene.render.engine = "CYCLES"
        scene.render.resolution_percentage = 100
        scene.render.use_persistent_data = True  # keep BVH/shaders between renders
        scene.render.image_settings.media_type = "MULTI_LAYER_IMAGE"
        scene.render.image_settings.file_format = "OPEN_EXR_MULTILAYER"
        scene.render.image_settings.color_depth = "32"
        scene.render.image_settings.exr_codec = "NONE"  # private scratch file: speed over size
        scene.render.filepath = str(self._tmp / "frame.exr")
        scene.view_layers[0].use_pass_z = True
        scene.cycles.denoiser = "OPENIMAGEDENOISE"
        scene.cycles.transparent_max_bounces = 8
        scene.cycles.volume_bounces = 0
        apply_curve_settings(scene)

    def _build_head(self, bpy: Any, scene: Any, pack: FacePack) -> HeadMaterials:
        names = _region_names()
        region = np.asarray(pack.poly_region)
        role_by_region = {int(r): role_of(names.get(int(r), f"region_{r}")) for r in np.unique(region)}
        hm = build_materials(bpy, set(role_by_region.values()), pack.name)
        self.counters["materials_created"] = len(hm.by_role)

        mesh = build_head_mesh(bpy, pack, {r: (None if role == HIDDEN else hm.by_role[role])
                                           for r, role in role_by_region.items()})
        self._co = points_to_m(pack.neutral_mm)
        self.mesh = mesh
        self.head = bpy.data.objects.new("facesynth_head", mesh)
        scene.collection.objects.link(self.head)
        self.counters["meshes_created"] += 1
        return hm

    # -- per sample --------------------------------------------------------------------------
    def _apply_render_settings(self, spec: SampleSpec) -> DeviceChoice:
        r: RenderSpec = spec.render
        cy = self.scene.cycles
        threads = self.threads or int(r.threads)
        writes = [
            *(assign(cy, key, value) for key, value in cycles_settings(r, spec.lights).items()),
            assign(self.scene.render, "threads_mode", "FIXED" if threads > 0 else "AUTO"),
            threads > 0 and assign(self.scene.render, "threads", threads),
        ]
        if any(writes):
            self._scene_changed = True
        key = (r.device, r.gpu_fallback_to_cpu)
        if self._device is None or self._device[0] != key:
            available = gpu_backends_with_devices(self._bpy) if r.device == "gpu" else []
            choice = choose_device(r.device, available, fallback_to_cpu=r.gpu_fallback_to_cpu)
            apply_device(self._bpy, self.scene, choice)
            self._device = (key, choice)
            self._scene_changed = True
        return self._device[1]

    def _apply_camera(self, spec: SampleSpec, posed: Posed, vertices_model: np.ndarray) -> None:
        cam = posed.camera
        settings = cam.blender_settings()
        for key in CAMERA_DATA_KEYS:
            assign(self.camera.data, key, settings[key])
        dof = self.camera.data.dof
        fstop = spec.camera.fstop
        assign(dof, "use_dof", fstop is not None)
        if fstop is not None:
            assign(dof, "aperture_fstop", float(fstop))
            lm = posed.to_camera(vertices_model[np.asarray(self.pack.landmarks_68, dtype=np.int64).reshape(-1)])
            assign(dof, "focus_distance", focus_distance_mm(posed, lm) / 1000.0)
        if assign(self.scene.render, "resolution_x", int(settings["resolution_x"])) | assign(
                self.scene.render, "resolution_y", int(settings["resolution_y"])):
            self._scene_changed = True
        assign_matrix(self.camera, cam.blender_matrix_world_m())

    def _apply_lights(self, spec: SampleSpec, posed: Posed) -> None:
        matrices = []
        if spec.lights:
            from facesynth.geometry.lights import light_pose  # the one placement function

            matrices = [light_pose(ls, posed).blender_matrix_world_m() for ls in spec.lights]
        self.lights.update(spec.lights, matrices)
        self.counters["lights_created"] = self.lights.created

    def update(self, spec: SampleSpec, vertices_model: np.ndarray, posed: Posed,
               groom: GroomGeometry | None = None) -> None:
        """Mirror one sample into the scene (no rendering); `groom` is the sample's posed
        GroomGeometry (facesynth.geometry.groom.posed_groom), None for the bare head."""
        v = np.asarray(vertices_model)
        if v.shape != (len(self.mesh.vertices), 3):
            raise WorkError(f"sample {spec.id}: vertices have shape {v.shape}, the pack "
                            f"{self.pack.name!r} has {len(self.mesh.vertices)} vertices")
        co = points_to_m(v)
        if not np.array_equal(co, self._co):  # unchanged vertices keep Cycles' BVH
            self.mesh.vertices.foreach_set("co", co)
            self.mesh.update()
            self._co = co
        assign_matrix(self.head, matrix_to_m(posed.model_to_world))
        self._apply_camera(spec, posed, v)
        self._apply_lights(spec, posed)
        self.world.update(spec.environment)
        self.sky.update(spec.look)
        if assign(self.scene.render, "film_transparent", spec.background.kind != "hdri"):
            self._scene_changed = True
        subj = spec.subject
        self.materials.update(self.head, subj.skin_tone, subj.iris_color, dict(subj.textures), spec.id)
        self.groom.update(groom, posed.model_to_world, subj.groom)
        from facesynth.geometry.look_parts import clothing_mesh  # the shirt the labels rasterise

        self.look.update_skin(spec.look, pixel_footprint_mm(posed.camera, spec.camera.distance_mm))
        self.look.update_clothing(spec.look, clothing_mesh(spec, self.pack, v), matrix_to_m(posed.model_to_world))

    def apply(self, spec: SampleSpec, vertices_model: np.ndarray, posed: Posed,
              groom: GroomGeometry | None = None) -> DeviceChoice:
        """Everything a render does before Cycles runs: render settings, then the scene update.
        The Blender add-on calls this to show sample N exactly as the worker renders it."""
        choice = self._apply_render_settings(spec)
        self.update(spec, vertices_model, posed, groom)
        return choice

    def render(self, spec: SampleSpec, vertices_model: np.ndarray, posed: Posed, *,
               depth: bool = False, groom: GroomGeometry | None = None,
               parsing: np.ndarray | None = None) -> RenderResult:
        """One sample's RGB (and Blender's depth pass). With `spec.camera.auto_exposure` the face
        meter reads the sample's parsing labels: pass them when they are computed already (the
        producer does), else they are computed here."""
        t0 = time.perf_counter()
        writes = write_count()
        choice = self.apply(spec, vertices_model, posed, groom)
        self.counters["last_sample_writes"] = write_count() - writes
        self._keep_pixels_reproducible(spec)
        if self._scene_changed:
            # With persistent data, Cycles ignores changed scene settings (samples, seed, film...)
            # unless the scene itself is tagged: measured on bpy 5.0.1, see tests.
            self.scene.update_tag()
            self._scene_changed = False
        t1 = time.perf_counter()
        with blender_output_to(self.log_path):
            self._bpy.ops.render.render(write_still=True)
        self.counters["renders"] += 1
        t2 = time.perf_counter()
        rgba, depth_m = read_multilayer(Path(self.scene.render.filepath), want_depth=depth)
        t3 = time.perf_counter()
        w, h = spec.camera.width, spec.camera.height
        bg = spec.background
        if bg.kind == "transparent":
            linear = bgmod.unpremultiply(rgba)
        elif bg.kind == "hdri":
            linear = rgba[..., :3]
        else:
            linear = bgmod.composite(rgba, bgmod.background_plate(bg, w, h, spec.id))
        ev = None
        if spec.camera.auto_exposure is not None:
            if parsing is None:
                parsing = self._parsing(spec, vertices_model, posed, groom)
            target = face_target(spec.camera.auto_exposure, spec.camera.auto_exposure_tone, _skin_albedo(spec))
            ev = metered_ev(linear, parsing, target)
            linear = expose(linear, ev)
        rgb = bgmod.encode(linear, spec.render.rgb_bit_depth)
        t4 = time.perf_counter()
        timings = {"update": t1 - t0, "render": t2 - t1, "read": t3 - t2, "composite": t4 - t3}
        return RenderResult(rgb=rgb, depth_mm=None if depth_m is None else depth_to_mm(depth_m),
                            timings=timings, device=choice.device if not choice.note else
                            f"{choice.device} ({choice.note})", metered_ev=ev)

    def _parsing(self, spec: SampleSpec, vertices_model: np.ndarray, posed: Posed,
                 groom: GroomGeometry | None) -> np.ndarray:
        """The sample's face-parsing labels, as the producer computes them (for the face meter)."""
        from facesynth.geometry.labels import compute_labels
        from facesynth.geometry.look_parts import look_parts

        parts = look_parts(spec, self.pack, vertices_model)
        return compute_labels(spec, self.pack, vertices_model, posed, parts=parts, groom=groom).parsing

    def _keep_pixels_reproducible(self, spec: SampleSpec) -> None:
        """Without the light tree, Cycles' persistent light list keeps the order of past samples'
        lamps, so a sample's noise (not its expected value) would depend on which samples this
        worker rendered before it, and shards would not reproduce an unsharded run. When the lamp
        kinds change under a tree-off render, drop the persistent data: Cycles syncs afresh, as in
        a new process (one scene sync, no Blender data rebuilt)."""
        kinds = tuple(light.kind for light in spec.lights)
        if not self.scene.cycles.use_light_tree and self._lamp_kinds not in (None, kinds):
            self.scene.render.use_persistent_data = False  # its RNA update frees Cycles' session
            self.scene.render.use_persistent_data = True
            self.counters["cycles_resets"] += 1
        self._lamp_kinds = kinds

    # -- bookkeeping -------------------------------------------------------------------------
    def datablock_counts(self) -> dict[str, int]:
        """How many blocks of each kind Blender holds, every kind, and the orphans among them
        (`render/datablocks.py`; a soak test asserts these stay flat)."""
        return datablock_census(self._bpy)

    def close(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> RenderSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _skin_albedo(spec: SampleSpec) -> tuple[float, float, float]:
    """The linear albedo the skin shader starts from: the look's two pigments, else the plain tone."""
    skin = spec.look.skin if spec.look is not None else None
    return skin_colours(skin)["base"] if skin is not None else skin_albedo(spec.subject.skin_tone)


def read_multilayer(path: Path, *, want_depth: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Blender's multilayer EXR -> (premultiplied linear RGBA (H,W,4) float32, depth m or None)."""
    rgba = depth = None
    with OpenEXR.File(str(path), separate_channels=False) as f:
        for part in f.parts:
            for name, ch in part.channels.items():
                if name.endswith(".Combined"):
                    rgba = np.asarray(ch.pixels, dtype=np.float32)
                elif want_depth and name.endswith("Depth.Z"):
                    depth = np.asarray(ch.pixels, dtype=np.float32)
    if rgba is None:
        raise WorkError(f"Blender wrote no Combined pass to {path}")
    if rgba.shape[-1] == 3:
        rgba = np.concatenate([rgba, np.ones_like(rgba[..., :1])], axis=-1)
    return rgba, depth
