"""The render settings the default realism preset's cost was measured with (docs/realism.md,
bench/groom_overhead.py, bench/realism_cost.py) are the ones a session really uses: the look skin
with random-walk subsurface (not Burley), pores and fine noise as roughness (not bump) at the preset's
pixel size and as bump in close-ups. Settings and node graphs, not seconds."""

from __future__ import annotations

import numpy as np
import pytest

from facesynth.assets import load_pack
from facesynth.geometry.camera import camera_from_spec
from facesynth.geometry.pose import pose_sample
from facesynth.recipe import load_recipe
from facesynth.recipe.schema_look import SkinLook
from facesynth.render.quick import quick_spec
from facesynth.render.skin_look import FINE_DETAIL_MM, SSS_METHOD, fine_bump, pixel_footprint_mm, skin_render_settings
from facesynth.sampling import sample_spec
from facesynth.sampling.look import skin_spec
from facesynth.sampling.spec_look import LookSpec


def test_the_preset_pixel_is_coarser_than_pores_so_pores_are_roughness(repo_root) -> None:
    loaded = load_recipe(repo_root / "recipes" / "realism.yaml")
    for i in range(6):
        spec = sample_spec(loaded, i)
        px = pixel_footprint_mm(camera_from_spec(spec.camera), spec.camera.distance_mm)
        assert 0.8 < px < 1.3  # 700-1000 mm, 60 mm lens, 480 px across 36 mm
        assert not fine_bump(px)
    assert fine_bump(FINE_DETAIL_MM) and not fine_bump(FINE_DETAIL_MM * 1.01)
    assert skin_render_settings() == {"subsurface_method": "RANDOM_WALK", "pores_as_bump_below_mm_per_px": 0.357}


def _height_textures(mat) -> set[str]:
    """Texture node types feeding the bump's height input (walked upstream)."""
    bump = next(n for n in mat.node_tree.nodes if n.type == "BUMP")
    seen, todo, kinds = set(), [bump.inputs["Height"]], set()
    while todo:
        sock = todo.pop()
        for link in sock.links:
            node = link.from_node
            if node.name in seen:
                continue
            seen.add(node.name)
            if node.type.startswith("TEX_") and node.type != "TEX_COORD":
                kinds.add(node.type)
            todo.extend(i for i in node.inputs if i.is_linked)
    return kinds


@pytest.mark.render
def test_a_session_picks_the_skin_by_pixel_size_with_random_walk_subsurface() -> None:
    pytest.importorskip("bpy")
    from facesynth.render import RenderSession

    pack = load_pack("builtin")
    skin = skin_spec(SkinLook(enabled=True), 0.4, np.random.default_rng(1))
    v = pack.deform()
    with RenderSession(pack, threads=1) as session:
        picked = {}
        for name, width in (("preset", 480), ("close-up", 2400)):
            spec = quick_spec(width=width, height=width * 4 // 3, distance_mm=800.0, focal_length_mm=60.0)
            spec = spec.model_copy(update={"look": LookSpec(skin=skin)})
            session.apply(spec, v, pose_sample(spec, pack))
            picked[name] = session.look.skin_material
        preset, close = picked["preset"], picked["close-up"]
        assert preset is not None and close is not None and preset is not close
        for mat in (preset, close):
            bsdf = next(n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
            assert bsdf.subsurface_method == SSS_METHOD == "RANDOM_WALK"
        # the preset's skin keeps only the resolvable wrinkles as bump; the close-up adds pores
        assert _height_textures(preset) == {"TEX_WAVE"}
        assert _height_textures(close) == {"TEX_WAVE", "TEX_VORONOI", "TEX_NOISE"}
        # and its roughness carries the pores instead (an Add after the lips' clamp)
        bsdf = next(n for n in preset.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
        assert bsdf.inputs["Roughness"].links[0].from_node.operation == "ADD"
