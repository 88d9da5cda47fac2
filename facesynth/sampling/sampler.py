"""`sample_spec(recipe, index) -> SampleSpec`: every random number of a sample, from the seed alone.

Random streams (numpy PCG64 seeded by a SeedSequence), so that each thing depends on what it
should and nothing else:
- subject (identity, skin tone, iris colour): SeedSequence([seed, SUBJECT_TAG, subject_id])
- group (expression, lights, environment, background): SeedSequence([seed, group]); with no views
  and no sequences a group is one sample, so this is the per-sample SeedSequence([seed, index])
- view within a group (head pose, camera distance and jitter, crop jitter):
  SeedSequence([seed, group, VIEW_TAG, view])
- split assignment: one permutation of subject ids from SeedSequence([seed, SPLIT_TAG])
- fixed lighting set-ups: SeedSequence([seed, LIGHTS_TAG, setup])
Sample i belongs to group i // (views × frames); subjects take turns: subject = group % count.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from facesynth.recipe import LoadedRecipe, Recipe
from facesynth.recipe import presets as preset_data
from facesynth.recipe.loader import HDRI_SUFFIXES, IMAGE_SUFFIXES, list_images
from facesynth.recipe.ranges import Range
from facesynth.recipe.schema import BUILTIN_HDRIS, CharacterFile, View
from facesynth.sampling.groom import groom_spec
from facesynth.sampling.look import look_spec
from facesynth.sampling.spec import (
    BackgroundSpec,
    CameraSpec,
    DenseLandmarksSpec,
    EnvironmentSpec,
    ExpressionSpec,
    HeadPoseSpec,
    LightSpec,
    PosmapSpec,
    RenderSpec,
    SampleSpec,
    SubjectSpec,
)

SUBJECT_TAG = 0x5B1EC7
VIEW_TAG = 0x71E7
SPLIT_TAG = 0x5B117
LIGHTS_TAG = 0x11687
APERTURE_TAG = 0xA9E27
RENDER_SEED_MAX = 2**31 - 1
AREA_LIGHT_FACTOR = 0.25


def _rng(*entropy: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(list(entropy))))


def _uniform(rng: np.random.Generator, r: Range) -> float:
    """Uniform in [min, max]; on the lattice min + k·step when a step is given."""
    if r.is_fixed:
        return float(r.min)
    if r.step is not None:  # the same draw as indexing r.lattice(), without building it per sample
        return float(r.lattice_value(int(rng.integers(r.lattice_size()))))
    return float(rng.uniform(r.min, r.max))


def _log_uniform(rng: np.random.Generator, r: Range) -> float:
    """Uniform in log space: for f-numbers, each stop as likely as the next."""
    if r.is_fixed:
        return float(r.min)
    return float(np.exp(rng.uniform(np.log(r.min), np.log(r.max))))


def _uniform_int(rng: np.random.Generator, r: Range) -> int:
    return int(rng.integers(int(r.min), int(r.max) + 1))


class Layout:
    """How sample indices map onto (group, view, frame)."""

    def __init__(self, recipe: Recipe):
        self.views: list[View] = list(recipe.views) or [View(name="default")]
        seq = recipe.expressions.sequence
        self.frames = seq.frames if seq.enabled else 1
        self.group_size = len(self.views) * self.frames

    def locate(self, index: int) -> tuple[int, int, int]:
        group, rest = divmod(index, self.group_size)
        view, frame = divmod(rest, self.frames)
        return group, view, frame


def sample_id(recipe: Recipe, index: int) -> str:
    width = max(6, len(str(recipe.samples - 1)))
    return f"{index:0{width}d}"


def sample_spec(recipe: Recipe | LoadedRecipe, index: int) -> SampleSpec:
    """The complete, deterministic specification of sample `index`."""
    loaded = recipe if isinstance(recipe, LoadedRecipe) else None
    r = loaded.recipe if loaded else recipe
    assert isinstance(r, Recipe)
    if not 0 <= index < r.samples:
        raise IndexError(f"sample index {index} is outside 0..{r.samples - 1}")
    layout = Layout(r)
    group, view_index, frame = layout.locate(index)
    view = layout.views[view_index]
    subject_id = group % r.subjects.count

    group_rng = _rng(r.seed, group)
    view_rng = _rng(r.seed, group, VIEW_TAG, view_index)
    sample_rng = _rng(r.seed, index)

    subject = subject_spec(r, subject_id)
    return SampleSpec(
        index=index,
        id=sample_id(r, index),
        recipe_name=r.name,
        seed=r.seed,
        split=subject_split(r, subject_id),
        group=group,
        view=view.name,
        subject=subject,
        expression=_expression(r, group_rng, frame, layout.frames),
        camera=_camera(r, view_rng, _rng(r.seed, group, APERTURE_TAG, view_index)),
        head_pose=_head_pose(r, view, view_rng, group * len(layout.views) + view_index),
        lights=_lights(r, group_rng),
        environment=_environment(r, loaded, group_rng),
        background=_background(r, loaded, group_rng),
        render=_render(r, sample_rng),
        posmap=_posmap(r, view_rng),
        outputs=tuple(r.outputs),
        dense_landmarks=DenseLandmarksSpec(count=r.dense_landmarks.count,
                                           vertex_ids=tuple(r.dense_landmarks.vertex_ids or ())),
        look=look_spec(r, subject_id, subject.skin_tone, group, index),
    )


def subject_spec(r: Recipe, subject_id: int) -> SubjectSpec:
    rng = _rng(r.seed, SUBJECT_TAG, subject_id)
    s = r.subjects
    identity = rng.standard_normal(s.identity_components) * s.identity_scale
    skin = _uniform(rng, s.skin_tone)
    iris = s.iris_colors[int(rng.integers(len(s.iris_colors)))]
    textures = []
    for tex in s.textures:
        if tex.subject_id == subject_id:
            textures += [(kind, getattr(tex, kind)) for kind in ("albedo", "normal", "roughness")
                         if getattr(tex, kind)]
    fm = s.face_model
    return SubjectSpec(
        subject_id=subject_id,
        face_model=fm.path if isinstance(fm, CharacterFile) else fm,
        identity=tuple(float(x) for x in identity),
        skin_tone=skin,
        iris_color=tuple(float(c) for c in iris),
        textures=tuple(textures),
        groom=groom_spec(s.groom, r.seed, SUBJECT_TAG, subject_id),
    )


_SPLIT_NAMES = ("train", "val", "test")


def subject_split(r: Recipe, subject_id: int) -> str:
    return _SPLIT_NAMES[int(_split_table(r.seed, r.subjects.count, r.split.train, r.split.val)[subject_id])]


@lru_cache(maxsize=4)
def _split_table(seed: int, count: int, train: float, val: float) -> np.ndarray:
    """Exact split sizes by subject (largest remainder), assigned by a seeded permutation; one byte
    per subject (ten million subjects stay ~90 MB while the permutation is built)."""
    fractions = np.array([train, val, max(0.0, 1.0 - train - val)])
    raw = fractions * count
    sizes = np.floor(raw).astype(int)
    for k in np.argsort(-(raw - sizes), kind="stable")[: count - sizes.sum()]:
        sizes[k] += 1
    order = _rng(seed, SPLIT_TAG).permutation(count)
    table = np.zeros(count, dtype=np.int8)
    start = 0
    for code, size in enumerate(sizes):
        table[order[start:start + size]] = code
        start += size
    table.flags.writeable = False
    return table


def _expression(r: Recipe, rng: np.random.Generator, frame: int, frames: int) -> ExpressionSpec:
    e = r.expressions
    intensity = _uniform(rng, e.intensity)
    preset = e.presets[int(rng.integers(len(e.presets)))]
    mix = e.random_mix
    if mix.enabled and rng.uniform() < mix.probability:
        shapes = list(mix.shapes) or list(preset_data.random_mix_shapes())
        k = min(_uniform_int(rng, mix.active), len(shapes))
        chosen = sorted(shapes[int(i)] for i in rng.choice(len(shapes), size=k, replace=False))
        weights = {name: _uniform(rng, mix.weight) for name in chosen}
        name = "random"
    else:
        weights = dict(preset_data.preset_weights(preset))
        name = preset
    # A sequence runs from neutral (frame 0) to the full expression (last frame).
    ramp = frame / (frames - 1) if frames > 1 else 1.0
    scale = intensity * ramp
    return ExpressionSpec(
        name=name,
        intensity=intensity,
        weights=tuple(sorted((k, float(v * scale)) for k, v in weights.items())),
        frame=frame,
        frame_count=frames,
    )


def _camera(r: Recipe, rng: np.random.Generator, aperture_rng: np.random.Generator) -> CameraSpec:
    """The view's camera; the f-number has its own stream, so turning depth of field on moves no
    other draw."""
    c = r.camera
    distance = _uniform(rng, c.distance_mm)
    j = c.jitter.position_mm
    jitter = tuple(float(x) for x in rng.uniform(-j, j, 3)) if j > 0 else (0.0, 0.0, 0.0)
    return CameraSpec(
        projection=c.projection,
        distance_mm=distance,
        focal_length_mm=c.focal_length_mm,
        sensor_width_mm=c.sensor_width_mm,
        width=c.resolution.width,
        height=c.resolution.height,
        clip_start_mm=c.clip_mm.min,
        clip_end_mm=c.clip_mm.max,
        ortho_scale_mm=c.ortho_scale_mm,
        position_jitter_mm=jitter,
        fstop=_log_uniform(aperture_rng, c.aperture_fstop) if c.aperture_fstop is not None else None,
        auto_exposure=c.auto_exposure,
        auto_exposure_tone=c.auto_exposure_tone,
    )


def _head_pose(r: Recipe, view: View, rng: np.random.Generator, pose_slot: int) -> HeadPoseSpec:
    hp = r.head_pose
    ranges = [view.yaw_deg or hp.yaw_deg, view.pitch_deg or hp.pitch_deg, view.roll_deg or hp.roll_deg]
    if hp.mode == "grid":
        # Enumerate the lattice product in mixed radix (yaw fastest) by pose slot.
        lattices = [rg.lattice() if rg.step is not None else [rg.min] for rg in ranges]
        angles, rest = [], pose_slot
        for values in lattices:
            rest, k = divmod(rest, len(values))
            angles.append(float(values[k]))
    else:
        angles = [_uniform(rng, rg) for rg in ranges]
    t = hp.translation_mm
    translation = tuple(float(x) for x in rng.uniform(-t, t, 3)) if t > 0 else (0.0, 0.0, 0.0)
    return HeadPoseSpec(yaw_deg=angles[0], pitch_deg=angles[1], roll_deg=angles[2], translation_mm=translation)


def _lights(r: Recipe, group_rng: np.random.Generator) -> tuple[LightSpec, ...]:
    lt = r.lights
    if lt.setups is not None:
        setup = int(group_rng.integers(lt.setups))
        rng = _rng(r.seed, LIGHTS_TAG, setup)
    else:
        rng = group_rng
    out = []
    for _ in range(_uniform_int(rng, lt.count)):
        kind = lt.kinds[int(rng.integers(len(lt.kinds)))]
        energy = _uniform(rng, lt.sun_strength if kind == "sun" else lt.energy_w)
        if kind == "area":
            # A one-sided area light sends its power into a half-space with a cosine lobe: straight
            # ahead it is 4x as intense as a point light of the same watts (P/pi vs P/(4 pi)).
            energy *= AREA_LIGHT_FACTOR
        out.append(LightSpec(
            kind=kind,
            azimuth_deg=_uniform(rng, lt.azimuth_deg),
            elevation_deg=_uniform(rng, lt.elevation_deg),
            distance_mm=_uniform(rng, lt.distance_mm),
            energy=energy,
            color_temperature_k=_uniform(rng, lt.color_temperature_k),
            size_mm=_uniform(rng, lt.size_mm),
        ))
    return tuple(out)


def _hdri_choices(r: Recipe, loaded: LoadedRecipe | None) -> list[str]:
    out: list[str] = []
    for entry in r.environment.hdri:
        if entry == "builtin:*":
            out += [f"builtin:{name}" for name in BUILTIN_HDRIS]
        elif entry.startswith("builtin:") or loaded is None:
            out.append(entry)
        else:
            p = loaded.resolve(entry)
            if p.is_dir():
                out += [str(Path(entry) / f.name) for f in list_images(p, HDRI_SUFFIXES)]
            else:
                out.append(entry)
    return out


def _environment(r: Recipe, loaded: LoadedRecipe | None, rng: np.random.Generator) -> EnvironmentSpec:
    env = r.environment
    choices = _hdri_choices(r, loaded)
    return EnvironmentSpec(
        source=choices[int(rng.integers(len(choices)))],
        strength=_uniform(rng, env.strength),
        rotation_deg=_uniform(rng, env.rotation_deg),
    )


def _background(r: Recipe, loaded: LoadedRecipe | None, rng: np.random.Generator) -> BackgroundSpec:
    bg = r.background
    color = bg.colors[int(rng.integers(len(bg.colors)))]
    source = bg.source
    if bg.kind == "image_dir" and bg.source and loaded is not None:
        files = list_images(loaded.resolve(bg.source), IMAGE_SUFFIXES)
        if files:
            source = str(Path(bg.source) / files[int(rng.integers(len(files)))].name)
    return BackgroundSpec(
        kind=bg.kind,
        source=source,
        color=tuple(float(c) for c in color),
        noise_scale=_uniform(rng, bg.noise_scale),
        noise_seed=int(rng.integers(RENDER_SEED_MAX)),
    )


def _render(r: Recipe, rng: np.random.Generator) -> RenderSpec:
    rd = r.render
    return RenderSpec(
        engine=rd.engine,
        samples=rd.samples,
        adaptive_threshold=rd.adaptive_threshold,
        denoise=rd.denoise,
        device=rd.device,
        gpu_fallback_to_cpu=rd.gpu_fallback_to_cpu,
        threads=rd.threads,
        max_bounces=rd.max_bounces,
        light_tree=rd.light_tree,
        seed=int(rng.integers(RENDER_SEED_MAX)),
        rgb_bit_depth=rd.rgb_bit_depth,
    )


def _posmap(r: Recipe, rng: np.random.Generator) -> PosmapSpec:
    pm = r.posmap
    jitter = (
        float(rng.uniform(-pm.jitter.shift, pm.jitter.shift)) if pm.jitter.shift else 0.0,
        float(rng.uniform(-pm.jitter.shift, pm.jitter.shift)) if pm.jitter.shift else 0.0,
        float(rng.uniform(-pm.jitter.scale, pm.jitter.scale)) if pm.jitter.scale else 0.0,
    )
    return PosmapSpec(size=pm.size, crop_scale=pm.crop_scale, crop_jitter=jitter, write_crop_rgb=pm.write_crop_rgb)


def total_groups(r: Recipe) -> int:
    return math.ceil(r.samples / Layout(r).group_size)
