"""The look through Blender on the real ICT head: skin, shirt and sky render and switch off again,
the scene does not grow (dlib on the default preset: test_realism_dlib.py)."""

from __future__ import annotations

import numpy as np
import pytest

from facesynth.assets import parsing as P
from facesynth.geometry.labels import compute_labels
from facesynth.geometry.look_parts import look_parts
from facesynth.geometry.pose import pose_sample
from facesynth.recipe.schema_look import SkinLook
from facesynth.render.quick import KEY_LIGHT, quick_spec
from facesynth.sampling.look import skin_spec
from facesynth.sampling.spec_look import ClothingSpec, LookSpec, SkySpec

pytest.importorskip("bpy")
pytestmark = [pytest.mark.render, pytest.mark.ict]
RED_SHIRT = (0.6, 0.03, 0.03)


@pytest.fixture(scope="module")
def session(ict_pack):
    from facesynth.render import RenderSession

    with RenderSession(ict_pack, threads=2) as s:
        yield s


def _look(tone: float, sky: bool = False) -> LookSpec:
    skin = skin_spec(SkinLook(enabled=True), tone, np.random.default_rng(int(tone * 10)))
    return LookSpec(skin=skin, clothing=ClothingSpec(style="crew", color=RED_SHIRT),
                    sky=SkySpec(sun_elevation_deg=30, sun_rotation_deg=40, strength=0.03, air=1, aerosols=1)
                    if sky else None)


def _render(pack, session, look, *, yaw=0.0, size=(96, 128), samples=4, denoise=False):
    spec = quick_spec(face_model=pack.name, width=size[0], height=size[1], samples=samples, yaw_deg=yaw,
                      distance_mm=750.0, focal_length_mm=60.0, lights=(KEY_LIGHT,), denoise=denoise)
    spec = spec.model_copy(update={"look": look})
    v = pack.deform()
    posed = pose_sample(spec, pack)
    labels = compute_labels(spec, pack, v, posed, parts=look_parts(spec, pack, v))
    return session.render(spec, v, posed).rgb[..., :3].astype(float), labels


def test_skin_shirt_and_sky_render_and_switch_off(ict_pack, session):
    light, lab = _render(ict_pack, session, _look(0.05))
    dark, _ = _render(ict_pack, session, _look(0.95, sky=True))
    face = lab.parsing == P.SKIN
    cloth = lab.parsing == P.CLOTHING
    assert light[face].mean() > 1.8 * dark[face].mean()  # the tone scale reaches the pixels
    shirt = light[cloth].mean(axis=0)
    assert shirt[0] > 2.0 * shirt[1] and shirt[0] > 2.0 * shirt[2]  # the red shirt is where its label is
    counts = session.datablock_counts()
    bare, bare_lab = _render(ict_pack, session, None)
    assert not (bare_lab.parsing == P.CLOTHING).any()
    below = cloth & (bare_lab.depth == 0)  # shirt pixels where the bare bust shows background
    assert below.any() and not np.allclose(bare[below], light[below], atol=20)
    assert session.look.skin_material is None  # plain skin back
    _render(ict_pack, session, _look(0.5))
    assert session.datablock_counts() == counts  # nothing created per sample


def test_realism_recipe_writes_clean_and_degraded_rgb_with_the_same_labels(ict_pack, repo_root, tmp_path):
    """Through the real producer and store: camera effects touch `rgb` only."""
    from facesynth import open_dataset
    from facesynth.farm.local import render_dataset
    from facesynth.io import codecs

    tiny = ["camera.resolution=64x80", "render.preset=draft", "render.samples=2", "look.image.noise=0.01",
            "look.sky.probability=0"]
    recipe = repo_root / "recipes" / "realism.yaml"
    render_dataset(recipe, tmp_path / "on", indices="0", progress=False, overrides=tiny)
    render_dataset(recipe, tmp_path / "off", indices="0", progress=False, overrides=[*tiny, "look.image.enabled=false"])
    on, off = next(iter(open_dataset(tmp_path / "on"))), next(iter(open_dataset(tmp_path / "off")))
    for kind in ("depth", "masks", "parsing"):
        assert on.read(kind) == off.read(kind), kind  # labels byte-identical
    parsing = codecs.decode_png(on.read("parsing"))
    assert (parsing == 15).any() and (parsing == 1).any()  # clothing and skin
    clean = codecs.decode_png(on.read("rgb_clean"))
    assert np.array_equal(clean, off.rgb) and not np.array_equal(on.rgb, clean)
    assert on.meta["look"]["image"]["noise"] == 0.01 and off.meta["look"]["image"] is None
