"""Determinism is about content: datasets whose compressed bytes differ compare equal when decoded."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facesynth.io import DatasetWriter, codecs, png16, verify
from facesynth.io.compare import compare_datasets
from testkit.synthetic import synthetic_sample

RECIPE = "name: t\nseed: 7\nsamples: 4\n"


def _write(root: Path, rgb16: bool = False) -> Path:
    writer = DatasetWriter(root, RECIPE)
    for i in range(4):
        sid, outputs, meta = synthetic_sample(i, width=32, height=24, posmap_size=16)
        if rgb16 and i == 1:
            outputs["rgb"] = outputs["rgb"].astype(np.uint16) * 257
        writer.write_sample(i, sid, outputs, meta)
    return root


def _other_compressor(array: np.ndarray) -> bytes:
    """PNG bytes as another zlib build may write them: same pixels, other compression."""
    if array.dtype == np.uint16:
        return png16.encode(array, level=1)
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def test_other_png_bytes_same_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = _write(tmp_path / "a", rgb16=True)
    monkeypatch.setattr(codecs, "encode_png", _other_compressor)
    b = _write(tmp_path / "b", rgb16=True)
    monkeypatch.undo()
    assert not verify(b).corrupt  # each dataset is consistent with its own sha256s
    meta_a = json.loads((a / "samples/000/000001.json").read_text())
    meta_b = json.loads((b / "samples/000/000001.json").read_text())
    assert meta_a["outputs"]["rgb"]["sha256"] != meta_b["outputs"]["rgb"]["sha256"]
    assert meta_a["outputs"]["masks"]["sha256"] != meta_b["outputs"]["masks"]["sha256"]
    assert compare_datasets(a, b) == []


def test_a_changed_pixel_or_label_is_found(tmp_path: Path) -> None:
    a, b = _write(tmp_path / "a"), _write(tmp_path / "b")
    assert compare_datasets(a, b) == []
    mask_path = b / "samples/000/000002.mask.png"
    mask = codecs.decode_png(mask_path.read_bytes()).copy()
    mask[5, 5] ^= 1
    mask_path.write_bytes(codecs.encode_png(mask))
    meta_path = b / "samples/000/000003.json"
    meta = json.loads(meta_path.read_text())
    meta["head_pose"]["yaw_deg"] += 1e-9
    meta_path.write_text(json.dumps(meta))
    (b / "samples/000/000000.json").unlink()
    assert compare_datasets(a, b) == [
        "sample 000000: in only one dataset",
        "sample 000002: output 'masks' differs when decoded",
        "sample 000003: metadata differs",
    ]
