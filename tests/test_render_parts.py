"""The render package's pure parts: device choice, colour temperature, compositing, units, lazy bpy.

These need no Blender render (the GPU path is configuration code: there is no GPU here).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from facesynth.assets.regions import REGIONS
from facesynth.errors import MissingDependencyError, UserError
from facesynth.recipe.schema import RENDER_PRESETS, Render
from facesynth.render import background as bg
from facesynth.render.color import kelvin_to_rgb
from facesynth.render.cycles_settings import cycles_settings
from facesynth.render.device import choose_device
from facesynth.render.materials import HIDDEN, role_of, skin_albedo
from facesynth.render.quick import KEY_LIGHT, quick_spec
from facesynth.render.units import depth_to_mm, matrix_to_m, points_to_m
from facesynth.sampling.spec import BackgroundSpec, light_tree_enabled


def test_gpu_prefers_optix_then_cuda() -> None:
    assert choose_device("gpu", ["CUDA", "OPTIX"], fallback_to_cpu=False).backend == "OPTIX"
    assert choose_device("gpu", ["cuda"], fallback_to_cpu=False).backend == "CUDA"
    assert choose_device("cpu", ["OPTIX"], fallback_to_cpu=False).device == "CPU"


def test_gpu_missing_is_a_clear_user_error_or_explicit_fallback() -> None:
    with pytest.raises(UserError, match=r"render\.device: gpu.*no OptiX or CUDA"):
        choose_device("gpu", ["HIP", "METAL"], fallback_to_cpu=False)
    c = choose_device("gpu", [], fallback_to_cpu=True)
    assert c.device == "CPU" and "no OptiX/CUDA" in c.note


def test_light_tree_auto_follows_the_lamps_and_presets_map_to_cycles() -> None:
    lamp = KEY_LIGHT
    sun = KEY_LIGHT.model_copy(update={"kind": "sun"})
    assert [light_tree_enabled("auto", (lamp,) * n) for n in range(5)] == [False, False, False, True, True]
    assert not light_tree_enabled("auto", (lamp, lamp, sun))
    assert light_tree_enabled("on", ()) and not light_tree_enabled("off", (lamp,) * 5)
    render = quick_spec(samples=64, adaptive_threshold=0.01, denoise=True, max_bounces=12).render
    settings = cycles_settings(render, (lamp,))
    assert settings["samples"] == 64 and settings["use_adaptive_sampling"] and settings["use_denoising"]
    assert (settings["diffuse_bounces"], settings["glossy_bounces"], settings["transmission_bounces"]) == (4, 4, 8)
    assert not settings["use_light_tree"] and cycles_settings(render, (lamp,) * 3)["use_light_tree"]
    no_adapt = render.model_copy(update={"adaptive_threshold": 0.0, "light_tree": "on"})
    assert cycles_settings(no_adapt, ())["use_light_tree"]
    assert not cycles_settings(no_adapt, ())["use_adaptive_sampling"]


def test_default_preset_is_what_a_recipe_without_a_preset_gets() -> None:
    # docs/rendering.md's time-to-quality figures were measured for this preset; a recipe that
    # names no preset must render with exactly it
    bare, named = Render(), Render(preset="default")
    for key, value in RENDER_PRESETS["default"].items():
        assert getattr(bare, key) == getattr(named, key) == value, key
    assert RENDER_PRESETS["default"]["adaptive_threshold"] > 0  # the preset's speed comes from adaptive stops
    assert Render(preset="final", samples=32).samples == 32  # explicit fields win over the preset


def test_blackbody_warm_to_cool() -> None:
    cols = np.array([kelvin_to_rgb(t) for t in (1800, 2700, 4000, 5500, 6500, 9000, 15000)])
    blue_over_red = cols[:, 2] / cols[:, 0]
    assert np.all(np.diff(blue_over_red) > 0)  # hotter is bluer
    assert np.allclose(cols.max(axis=1), 1.0)
    r, g, b = kelvin_to_rgb(6500)
    assert min(r, g, b) > 0.9  # close to white (D65 is 6504 K)
    assert kelvin_to_rgb(1000) == kelvin_to_rgb(500)  # clamped to the valid range


def test_skin_tone_is_monotonic_and_roles_cover_the_region_table() -> None:
    lum = [np.dot(skin_albedo(t), [0.2126, 0.7152, 0.0722]) for t in np.linspace(0, 1, 11)]
    assert np.all(np.diff(lum) < 0) and lum[0] / lum[-1] > 6
    roles = {r.name: role_of(r.name) for r in REGIONS}
    assert roles["skin"] == roles["head_neck"] == "skin"
    assert roles["eye_occlusion"] == HIDDEN
    assert roles["iris"] == "iris" and roles["sclera"] == "sclera" and roles["eyelashes"] == "eyelashes"
    assert roles["mouth_socket"] == "mouth" and roles["gums_tongue"] == "gums" and roles["teeth"] == "teeth"


def test_cover_crop_keeps_aspect_and_centre() -> None:
    # a circle in a wide image stays a circle (same width and height) after covering a tall frame
    w, h = 300, 100
    yy, xx = np.mgrid[:h, :w]
    circle = ((xx - 150) ** 2 + (yy - 50) ** 2 < 30**2).astype(np.uint8) * 255
    out = np.asarray(bg.cover_crop(Image.fromarray(circle), 90, 120))
    assert out.shape == (120, 90)
    ys, xs = np.nonzero(out > 127)
    assert abs((xs.max() - xs.min()) - (ys.max() - ys.min())) <= 2  # not stretched
    assert abs(xs.mean() - 44.5) < 1 and abs(ys.mean() - 59.5) < 1  # centred
    assert (ys.max() - ys.min()) == pytest.approx(60 * 1.2, abs=3)  # scaled by 120/100


def test_composite_over_and_unpremultiply() -> None:
    fg = np.zeros((2, 2, 4), np.float32)
    fg[0, 0] = (0.25, 0.0, 0.0, 0.5)  # half-covered red, premultiplied
    fg[1, 1] = (0.0, 1.0, 0.0, 1.0)
    plate = np.full((2, 2, 3), 0.5, np.float32)
    out = bg.composite(fg, plate)
    assert np.allclose(out[0, 0], (0.5, 0.25, 0.25)) and np.allclose(out[1, 1], (0, 1, 0))
    assert np.allclose(out[0, 1], 0.5)
    straight = bg.unpremultiply(fg)
    assert np.allclose(straight[0, 0], (0.5, 0, 0, 0.5)) and np.all(straight[0, 1] == 0)


def test_encode_srgb_and_bit_depths() -> None:
    lin = np.array([[[0.0, 0.2, 1.0]]], np.float32)
    assert bg.encode(lin, 8).tolist() == [[[0, 124, 255]]]
    out16 = bg.encode(lin, 16)
    assert out16.dtype == np.uint16 and out16[0, 0, 2] == 65535
    assert np.allclose(bg.srgb_to_linear(bg.linear_to_srgb(np.linspace(0, 1, 50))), np.linspace(0, 1, 50),
                       atol=1e-5)


def test_noise_plate_is_deterministic_and_seeded() -> None:
    a = bg.background_plate(BackgroundSpec(kind="noise", noise_seed=3), 64, 48, "000000")
    b = bg.background_plate(BackgroundSpec(kind="noise", noise_seed=3), 64, 48, "000000")
    c = bg.background_plate(BackgroundSpec(kind="noise", noise_seed=4), 64, 48, "000000")
    assert a.shape == (48, 64, 3) and np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.std() > 0.02


def test_missing_background_image_names_sample_and_field(tmp_path) -> None:
    spec = BackgroundSpec(kind="image", source=str(tmp_path / "nope.jpg"))
    with pytest.raises(UserError, match=r"sample 000007: background\.source: file not found"):
        bg.background_plate(spec, 8, 8, "000007")


def test_units_convert_in_one_place() -> None:
    assert np.allclose(points_to_m(np.array([[1000.0, -500.0, 2.0]])), [1.0, -0.5, 0.002])
    m = np.eye(4)
    m[:3, 3] = (100.0, 0.0, -2000.0)
    assert np.allclose(matrix_to_m(m)[:3, 3], (0.1, 0.0, -2.0)) and np.allclose(matrix_to_m(m)[:3, :3], np.eye(3))
    assert depth_to_mm(np.array([0.5, 1e10], np.float32)).tolist() == [500.0, 0.0]


def test_import_is_lazy_and_missing_bpy_gives_install_advice() -> None:
    code = (
        "import sys; sys.modules['bpy'] = None\n"  # makes `import bpy` fail like a missing wheel
        "import facesynth.render as r\n"
        "assert 'bpy' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
        "from facesynth.render._bpy import import_bpy\n"
        "try:\n    import_bpy()\nexcept Exception as e:\n    print(type(e).__name__, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith(MissingDependencyError.__name__)
    assert "pip install 'facesynth[render]'" in out


def test_environment_sources_are_checked(tmp_path) -> None:
    from facesynth.render.environment import resolve_hdri

    with pytest.raises(UserError, match=r"environment\.source: unknown built-in HDRI 'builtin:moon'"):
        resolve_hdri("builtin:moon", None)
    with pytest.raises(UserError, match=r"environment\.source: .* is not an \.exr or \.hdr file"):
        resolve_hdri(str(tmp_path / "sky.png"), None)
    with pytest.raises(UserError, match=r"environment\.source: file not found"):
        resolve_hdri(str(tmp_path / "sky.hdr"), None)
    (tmp_path / "sky.hdr").write_bytes(b"#?RADIANCE\n")
    assert resolve_hdri(str(tmp_path / "sky.hdr"), None) == tmp_path / "sky.hdr"
