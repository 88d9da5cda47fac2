"""The reader refuses names it does not know, slices, prints itself usefully and keeps full precision."""

from __future__ import annotations

import numpy as np
import pytest

from facesynth.errors import UserError
from facesynth.io import Dataset, DatasetWriter, open_dataset
from facesynth.io.layout import KINDS
from testkit.synthetic import synthetic_sample

COUNT = 10


@pytest.fixture(scope="module")
def ds(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    root = tmp_path_factory.mktemp("strict")
    writer = DatasetWriter(root, "name: t\nseed: 7\nsamples: 10\n")
    for i in range(COUNT):
        sid, outputs, meta = synthetic_sample(i, width=32, height=24, posmap_size=16)
        if i == 2:  # a 16-bit RGBA file, as render.rgb_bit_depth: 16 with a transparent background writes
            rgb16 = outputs["rgb"].astype(np.uint16) * 257 + np.arange(32, dtype=np.uint16)[None, :, None]
            outputs["rgb"] = np.dstack([rgb16, np.full((24, 32), 40000, np.uint16)])
        writer.write_sample(i, sid, outputs, meta)
    return open_dataset(root)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d: list(d.iter_arrays(kinds=["mask"])), r"unknown output kind 'mask' \(did you mean 'masks'\?\)"),
        (lambda d: list(d.iter_arrays(kinds=["rgb", "dpeth"])), r"unknown output kind 'dpeth'.*known: rgb, depth"),
        (lambda d: d.filter(split="tarin"), r"split 'tarin' \(did you mean 'train'\?\); known: train, val, test"),
        (lambda d: d.filter(split=["train", "validation"]), r"unknown split 'validation'"),
        (lambda d: d.filter(expression="hapy"), r"unknown expression 'hapy' \(did you mean 'happy'\?\)"),
        (lambda d: d.filter(expression=["happy", "joy"]), r"unknown expression 'joy'; known: neutral, happy"),
        (lambda d: d.filter(yaw_deg=(30, -30)), r"yaw_deg must be a \(low, high\) pair"),
        (lambda d: d.filter(subject="12"), r"subject takes subject ids \(integers\), got '12'"),
        (lambda d: d[0].read("mask"), r"unknown output kind 'mask'"),
        (lambda d: d[0].decoded("normal"), r"unknown output kind 'normal' \(did you mean 'normals'\?\)"),
        (lambda d: d[0].read("landmarks"), r"sample 000000 has no 'landmarks' output \(it has: crop, depth"),
    ],
)
def test_unknown_names_are_clear_errors(ds: Dataset, call, message: str) -> None:
    with pytest.raises(UserError, match=message):
        call(ds)


def test_expression_aliases_and_the_random_mix_are_accepted(ds: Dataset) -> None:
    names = [s.meta["face_model"]["expression_name"] for s in ds]
    assert "surprise" in names  # the synthetic data has it; the recipe's alias is 'surprised'
    want = [s.id for s, n in zip(ds, names, strict=True) if n == "surprise"]
    assert ds.filter(expression="surprised").ids == want
    assert ds.filter(expression=" Surprise ").ids == want
    assert ds.filter(expression=["fear", "random"]).ids == []  # known names, no such samples


def test_output_kind_and_sample_attribute_share_one_name(ds: Dataset) -> None:
    sample = ds[0]
    item = next(iter(ds.iter_arrays()))
    assert set(sample.kinds) <= set(KINDS)
    for kind in sample.kinds:
        assert kind in item, kind
        value = getattr(sample, kind)  # every kind is an attribute of the same name
        assert type(value) is type(item[kind]), kind
    assert np.array_equal(item["masks"], sample.masks) and not hasattr(sample, "mask")
    # Kinds that live in the metadata are asked for by the same names.
    extra = next(iter(ds.iter_arrays(kinds=["depth", "landmarks"])))
    assert np.array_equal(extra["landmarks"].xy, sample.landmarks.xy) and "masks" not in extra
    assert isinstance(item["mesh"], bytes) and item["mesh"].startswith(b"ply")


def test_slices_are_datasets(ds: Dataset) -> None:
    part = ds[2:7]
    assert isinstance(part, Dataset) and part.ids == ds.ids[2:7]
    assert ds[::3].ids == ds.ids[::3] and ds[-2:].ids == ds.ids[-2:] and ds[5:2].ids == []
    assert part[0].id == ds[2].id and np.array_equal(part[1].depth, ds[3].depth)
    assert part.filter(split="train").ids == [i for i in ds.filter(split="train").ids if i in part.ids]
    with pytest.raises(TypeError, match="integers or slices"):
        ds["000001"]  # type: ignore[index]


def test_repr_names_the_source_size_and_kinds(ds: Dataset) -> None:
    text = repr(ds)
    assert text.startswith(f"Dataset({str(ds.path)!r}, source=directory, samples={COUNT}, ids=000000..000009")
    assert "'depth'" in text and "'masks'" in text
    assert "samples=0" in repr(ds[0:0]) and "ids=" not in repr(ds[0:0])


def test_full_precision_rgb_beside_the_uint8_view(ds: Dataset) -> None:
    full, view = ds[2].rgb_full, ds[2].rgb
    assert full.dtype == np.uint16 and full.shape == (24, 32, 4) and (full[..., 3] == 40000).all()
    assert view.dtype == np.uint8 and view.shape == (24, 32, 3)
    assert np.array_equal(view, np.round(full[..., :3] / 257).astype(np.uint8))
    assert len(np.unique(full[..., 0])) > len(np.unique(view[..., 0]))  # the 16-bit steps are kept
    eight = ds[0].rgb_full
    assert eight.dtype == np.uint8 and np.array_equal(eight, ds[0].rgb)
