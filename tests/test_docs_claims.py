"""The docs say what is true: figures in full colour, presets listed, masks as written, any user."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PIL import Image

from facesynth.io import DatasetWriter, open_dataset
from facesynth.recipe import presets
from testkit.synthetic import synthetic_sample

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_figures_are_full_colour() -> None:
    # A 256-colour palette turned smooth figures (position maps, shading) into patches.
    pngs = sorted(DOCS.rglob("*.png"))
    assert len(pngs) >= 10
    palette = [p.relative_to(DOCS).as_posix() for p in pngs if Image.open(p).mode in ("P", "PA")]
    assert palette == []


def test_expression_presets_and_aliases_are_documented() -> None:
    text = (DOCS / "recipes.md").read_text()
    table = text[text.index("## Expression presets") :]
    for name in presets.preset_names():
        assert f"| `{name}` |" in table, name
    for alias, canonical in presets._data()["aliases"].items():
        assert re.search(rf"\| `{canonical}` \| [^|]*`{alias}`", table), alias


def test_masks_are_written_as_the_docs_say(tmp_path: Path) -> None:
    sid, outputs, meta = synthetic_sample(0, width=32, height=24, posmap_size=16)
    DatasetWriter(tmp_path, "name: t\nseed: 7\nsamples: 1\n").write_sample(0, sid, outputs, meta)
    sample = open_dataset(tmp_path)[0]
    with Image.open(sample.files["masks"]) as image:
        assert image.mode == "L"  # plain ids, no palette
    assert np.array_equal(sample.masks, outputs["masks"])
    assert sample.meta["outputs"]["depth"]["shape"] == [24, 32]  # (H, W), as dataset_format.md's example
    fmt = (DOCS / "dataset_format.md").read_text()
    assert "8-bit grayscale PNG (mode L)" in fmt
    assert "for a 480×640 portrait (width × height" in fmt and '"shape": [640, 480]' in fmt


def test_docs_are_written_for_any_user() -> None:
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text().lower()
        for phrase in ("workplace", "this shared", "2 shared cores", "design.md"):
            assert phrase not in text, f"{page.name}: {phrase!r}"
