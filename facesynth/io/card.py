"""The dataset card (README.md) written beside exported shards."""

from __future__ import annotations

from typing import Any

import yaml

from facesynth.io.layout import KINDS

# Hugging Face Hub metadata: task categories per output kind, licence ids it knows.
_TASKS = {"depth": "depth-estimation", "landmarks": "keypoint-detection", "masks": "image-segmentation",
          "normals": "image-to-3d", "posmap": "image-to-3d", "mesh": "image-to-3d"}
_HUB_LICENCES = {"mit": "mit", "apache-2.0": "apache-2.0", "cc0-1.0": "cc0-1.0", "cc-by-4.0": "cc-by-4.0"}
_SIZES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))


def shard_pattern(names: list[str]) -> str:
    """'train-{000000..000003}.tar' for a split's shards (brace notation of webdataset), or the one name."""
    if len(names) == 1:
        return names[0]
    first, last = sorted(names)[0], sorted(names)[-1]
    split = first.rsplit("-", 1)[0]
    return f"{split}-{{{first.rsplit('-', 1)[1][:-4]}..{last.rsplit('-', 1)[1][:-4]}}}.tar"


def card_header(info: dict[str, Any]) -> str:
    """The YAML front matter the Hub reads: licence, task categories, size, splits as data files."""
    licences = {str(lic["licence"]).lower() for lic in info["licences"]}
    hub = {_HUB_LICENCES.get(lic) for lic in licences}
    kinds = set(info["kinds"]) | ({"landmarks"} if "landmarks_68" in info.get("labels", ()) else set())
    header = {
        "pretty_name": "facesynth synthetic faces",
        "license": hub.pop() if len(hub) == 1 and None not in hub else "other",
        "task_categories": sorted({_TASKS[k] for k in kinds if k in _TASKS}),
        "tags": ["synthetic", "faces", "facesynth", "webdataset"],
        "size_categories": [next((c for n, c in _SIZES if info["samples"] < n), "n>1M")],
        "configs": [{"config_name": "default", "data_files": [
            {"split": split, "path": f"{split}-*.tar"} for split in info["splits"]]}],
    }
    return "---\n" + yaml.safe_dump(header, sort_keys=False) + "---\n\n"


def dataset_card(info: dict[str, Any]) -> str:
    lines = [
        "# facesynth synthetic face dataset",
        "",
        f"{info['samples']} samples rendered by facesynth {info['facesynth_version']} "
        f"(Blender {', '.join(info['blender_versions'])}) from the recipe in `recipe.yaml` "
        f"(sha256 `{info['recipe']['sha256']}`). Every label is exact ground truth computed from the same "
        "posed mesh that was rendered.",
        "",
        "## Splits and shards",
        "",
        "| split | samples | shards | expressions |",
        "|---|---|---|---|",
    ]
    shards = {split: [s["name"] for s in info["shards"] if s["split"] == split] for split in info["splits"]}
    example = "train" if "train" in shards else next(iter(shards))
    for split, count in info["splits"].items():
        expr = ", ".join(f"{k}: {v}" for k, v in info["expressions"][split].items())
        lines.append(f"| {split} | {count} | `{shard_pattern(shards[split])}` | {expr} |")
    lines += ["", "## Files per sample", "", "| kind | member | unit |", "|---|---|---|"]
    lines += [f"| {k} | `<id>.{KINDS[k].suffix}` | {KINDS[k].unit} |" for k in info["kinds"] if k in KINDS]
    lines += [
        "| metadata | `<id>.json` | camera K and extrinsics, head pose (deg), lights, landmarks, sha256 of files |",
        "",
        "Conventions: OpenCV camera frame (x right, y down, z forward), millimetres, degrees; pixel (0, 0) "
        "is the centre of the top-left pixel. `dataset_info.json` lists each shard's sha256.",
        "",
        "## Loading",
        "",
        "Every snippet runs in this folder; EXR members come back as float32 arrays (depth in mm).",
        "",
        "```python",
        "import webdataset as wds",
        "from facesynth.io.decoders import exr_handler",
        "",
        f"ds = wds.WebDataset('{shard_pattern(shards[example])}', shardshuffle=False).decode(exr_handler, 'rgb8')",
        "sample = next(iter(ds))  # keys: json, rgb.png, depth.exr (HxW float32), ...",
        "```",
        "",
        "```python",
        "from datasets import load_dataset",
        "from facesynth.io.decoders import hf_decode_exr",
        "",
        f"ds = load_dataset('webdataset', data_files={{'{example}': '{example}-*.tar'}}, split='{example}')",
        "ds = ds.map(hf_decode_exr).with_format('numpy')  # adds depth, normals, posmap arrays",
        "```",
        "",
        "```python",
        "import facesynth",
        "",
        "ds = facesynth.open_dataset('.')  # decoded arrays: ds[0].rgb, ds[0].depth (mm), ds[0].landmarks",
        "```",
        "",
        "## Licences and attribution",
        "",
    ]
    for lic in info["licences"]:
        lines.append(f"- **{lic['asset']}**: {lic['licence']}. {lic.get('attribution', '')}".rstrip())
    if not info["licences"]:
        lines.append("- no third-party assets recorded in the sample metadata")
    return card_header(info) + "\n".join(lines) + "\n"
