"""RenderSpec -> the Cycles integrator settings a sample is rendered with (pure, no bpy).

One table so the worker, the Blender add-on and the benches agree on what a preset means.
Why the light tree is switched by lamp count: on the ICT head at 240x320 and 32 spp, turning
Cycles' light tree off lowered face noise by 1.5-2.6 dB with one lamp (two HDRIs), changed
nothing without lamps, and cost 0.4-1.3 dB with three; see docs/rendering.md.
"""

from __future__ import annotations

from typing import Any

from facesynth.sampling.spec import RenderSpec

DIFFUSE_BOUNCES_MAX = 4  # skin converges with 4 (Blender's default too); the rest of max_bounces
GLOSSY_BOUNCES_MAX = 4  # goes to transmission (eyes, glasses)
TRANSMISSION_BOUNCES_MAX = 8
LIGHT_TREE_MIN_LAMPS = 2


def light_tree_enabled(mode: str, lamps: int) -> bool:
    """`auto`: the tree only pays once there are lamps to choose between."""
    if mode == "auto":
        return lamps >= LIGHT_TREE_MIN_LAMPS
    return mode == "on"


def cycles_settings(r: RenderSpec, lamps: int) -> dict[str, Any]:
    """`scene.cycles` attribute -> value for one sample with `lamps` lights besides the world."""
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
        "use_light_tree": light_tree_enabled(r.light_tree, lamps),
        "seed": int(r.seed),
    }
