"""Figures for docs/conventions.md, rendered by facesynth itself (ICT head).

docs/images/conventions_pose.png: the sign of each pose angle in the image.
docs/images/conventions_labels.png: one sample's landmarks, region mask, depth and position map.
Run from the checkout: `.venv/bin/python tools/convention_figures.py`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from facesynth.farm.local import render_dataset
from facesynth.io import open_dataset
from facesynth.io.inspect import render_inspection
from facesynth.io.plotting import plt, save_figure

REPO = Path(__file__).resolve().parents[1]
RECIPE = """# conventions figure: one subject, one expression, four poses
name: conventions
seed: 4
samples: 4
subjects: {face_model: ict-facekit, count: 1, identity_scale: 0.5}
expressions: {presets: [neutral]}
camera: {distance_mm: 800, resolution: 240x320}
head_pose: {yaw_deg: 0, pitch_deg: 0, roll_deg: 0}
views:
  - {name: rest}
  - {name: yaw_plus_30, yaw_deg: 30}
  - {name: pitch_plus_20, pitch_deg: 20}
  - {name: roll_plus_20, roll_deg: 20}
lights: {setups: 1, count: 2, kinds: [area], energy_w: 70, azimuth_deg: [-50, 50], elevation_deg: 25}
environment: {hdri: ["builtin:studio"], strength: 0.4, rotation_deg: 0}
background: {kind: solid, colors: [[0.35, 0.37, 0.4]]}
render: {samples: 32}
outputs: [rgb, depth, masks, landmarks, posmap]
"""
CAPTIONS = {
    "rest": "rest: yaw = pitch = roll = 0\nlooks into the camera, upright",
    "yaw_plus_30": "yaw +30°\nnose moves toward image +x",
    "pitch_plus_20": "pitch +20°\nnose moves toward image −y (chin up)",
    "roll_plus_20": "roll +20°\nface turns clockwise in the image",
}


def main() -> None:
    images = REPO / "docs" / "images"
    with tempfile.TemporaryDirectory() as tmp:
        recipe = Path(tmp) / "conventions.yaml"
        recipe.write_text(RECIPE)
        render_dataset(recipe, Path(tmp) / "ds", progress=False)
        ds = open_dataset(Path(tmp) / "ds")
        fig, axes = plt.subplots(1, 4, figsize=(11, 4.2))
        for ax, sample in zip(axes, ds, strict=True):
            ax.imshow(sample.rgb)
            ax.set_title(CAPTIONS[sample.meta["view"]], fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[0].annotate("", xy=(60, 12), xytext=(10, 12), arrowprops={"arrowstyle": "->", "color": "white"})
        axes[0].annotate("", xy=(10, 62), xytext=(10, 12), arrowprops={"arrowstyle": "->", "color": "white"})
        axes[0].text(64, 16, "+x", color="white", fontsize=8)
        axes[0].text(14, 70, "+y", color="white", fontsize=8)
        fig.tight_layout()
        print(save_figure(fig, images / "conventions_pose.png", dpi=90))
        print(render_inspection(ds[0], images / "conventions_labels.png"))


if __name__ == "__main__":
    main()
