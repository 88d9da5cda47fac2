"""The dataset card (README.md) written beside exported shards."""

from __future__ import annotations

from typing import Any

from facesynth.io.layout import KINDS


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
    for split, count in info["splits"].items():
        n = sum(1 for s in info["shards"] if s["split"] == split)
        expr = ", ".join(f"{k}: {v}" for k, v in info["expressions"][split].items())
        lines.append(f"| {split} | {count} | {n} | {expr} |")
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
        "```python",
        "import webdataset as wds",
        "ds = wds.WebDataset('train-{000000..000009}.tar')  # keys: json, rgb.png, depth.exr, ...",
        "",
        "import facesynth",
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
    return "\n".join(lines) + "\n"
