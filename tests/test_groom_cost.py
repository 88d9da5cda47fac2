"""The render settings the groom's cost was measured with (docs/groom.md, bench/groom_overhead.py)
are the ones a session really uses: ribbons, the Chiang hair model, hair paths cut after
HAIR_MAX_DEPTH events. Counts and settings, not seconds."""

from __future__ import annotations

import numpy as np
import pytest

from facesynth.assets import load_pack
from facesynth.geometry.groom import posed_groom
from facesynth.geometry.pose import pose_sample
from facesynth.render.groom import CURVE_SHAPE, HAIR_MAX_DEPTH, HAIR_MODEL, hair_render_settings
from facesynth.render.quick import quick_spec
from facesynth.sampling.groom import GroomSpec

pytestmark = pytest.mark.render
pytest.importorskip("bpy")


def test_pinned_hair_render_settings_are_the_measured_ones() -> None:
    assert hair_render_settings() == {"curve_shape": "RIBBONS", "hair_model": "CHIANG", "hair_max_depth": 2}


def test_a_session_renders_hair_as_ribbons_with_chiang_and_a_depth_cut() -> None:
    from facesynth.render import RenderSession

    pack = load_pack("builtin")
    groom = GroomSpec(hair_style="short", hair_density=0.3, hair_length=1.0, hair_clump=0.4, hair_curl=0.1,
                      hair_frizz=0.1, melanin=0.5, redness=0.2, grey=0.0, part_side=1, brow_density=0.8,
                      brow_thickness_mm=9.0, eyelashes=True, beard_style=None, glasses_shape=None, glasses_sun=False,
                      glasses_color=(0.1, 0.1, 0.1), headwear=None, headwear_color=(0.2, 0.0, 0.0), geometry_seed=3)
    spec = quick_spec(width=32, height=32)
    spec = spec.model_copy(update={"subject": spec.subject.model_copy(update={"groom": groom})})
    v = pack.deform(np.asarray(spec.subject.identity), spec.expression_weights())
    with RenderSession(pack, threads=1) as session:
        session.apply(spec, v, pose_sample(spec, pack), posed_groom(spec, pack, v))
        assert session.scene.cycles_curves.shape == CURVE_SHAPE
        hair = session.groom.objects["hair"].data.materials[0]
        nodes = hair.node_tree.nodes
        assert [n.model for n in nodes if n.type == "BSDF_HAIR_PRINCIPLED"] == [HAIR_MODEL]
        cut = [n for n in nodes if n.type == "MATH" and n.operation == "GREATER_THAN"]
        assert [n.inputs[1].default_value for n in cut] == [HAIR_MAX_DEPTH]
        assert cut[0].inputs[0].links[0].from_socket.name == "Ray Depth"
