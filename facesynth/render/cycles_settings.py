"""RenderSpec -> the Cycles integrator settings a sample is rendered with (pure, no bpy).

One table so the worker, the Blender add-on and the benches agree on what a preset means.
The light tree's `auto` rule lives with the spec (`light_tree_enabled`) so metadata records it too.
"""

from __future__ import annotations

from typing import Any

from facesynth.sampling.spec import LightSpec, RenderSpec, light_tree_enabled

DIFFUSE_BOUNCES_MAX = 4  # skin converges with 4 (Blender's default too); the rest of max_bounces
GLOSSY_BOUNCES_MAX = 4  # goes to transmission (eyes, glasses)
TRANSMISSION_BOUNCES_MAX = 8


def cycles_settings(r: RenderSpec, lights: tuple[LightSpec, ...]) -> dict[str, Any]:
    """`scene.cycles` attribute -> value for one sample lit by `lights` (besides the world)."""
    bounces = int(r.max_bounces)
    return {
        "samples": int(r.samples),
        "use_adaptive_sampling": r.adaptive_threshold > 0,
        "adaptive_threshold": float(r.adaptive_threshold),
        "use_denoising": bool(r.denoise),
        "max_bounces": bounces,
        "diffuse_bounces": min(bounces, DIFFUSE_BOUNCES_MAX),
        "glossy_bounces": min(bounces, GLOSSY_BOUNCES_MAX),
        "transmission_bounces": min(bounces, TRANSMISSION_BOUNCES_MAX),
        "use_light_tree": light_tree_enabled(r.light_tree, lights),
        "seed": int(r.seed),
    }
