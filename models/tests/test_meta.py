"""Metadata of both versions reads the same through facesynth_models.meta."""

from __future__ import annotations

import pytest
from facesynth_models import meta as M

from facesynth.errors import UserError


def test_expression_weights_v1_and_v2_agree() -> None:
    v1 = {"id": "1", "meta_version": 1, "face_model": {"expression": {"jawOpen": 0.5, "mouthSmile_L": 0.25}}}
    v2 = {"id": "2", "meta_version": 2, "face_model": {"expression": {
        "names": ["browInnerUp", "jawOpen", "mouthSmile_L"], "weights": [0.0, 0.5, 0.25]}}}
    assert M.expression_weights(v1) == M.expression_weights(v2) == {"jawOpen": 0.5, "mouthSmile_L": 0.25}
    with pytest.raises(UserError, match="meta_version"):
        M.meta_version({"id": "3", "meta_version": 99})
