"""docs/images/jaw_contour_conventions.png: the two jaw-contour conventions at yaw 0, 30 and 60.

Rendered by facesynth itself (ICT head, Cycles); the points are the metadata's `landmarks_68`
(fixed vertices) and `landmarks_68_2d_contour` (the jaw on the visible outline, as 300W-LP).
Run from the checkout: `.venv/bin/python tools/jaw_contour_figure.py`.
"""

from __future__ import annotations

from pathlib import Path

from facesynth.farm.local import render_dataset
from facesynth.io import open_dataset
from facesynth.io.plotting import plt, save_figure

REPO = Path(__file__).resolve().parents[1]
RECIPE = """# jaw-contour figure: one subject, three yaws
name: jaw_contour
seed: 4
samples: 3
subjects: {face_model: ict-facekit, count: 1, identity_scale: 0.5}
expressions: {presets: [neutral]}
camera: {distance_mm: 600, resolution: 360x480}
head_pose: {yaw_deg: 0, pitch_deg: 0, roll_deg: 0}
views:
  - {name: yaw_0, yaw_deg: 0}
  - {name: yaw_30, yaw_deg: 30}
  - {name: yaw_60, yaw_deg: 60}
lights: {setups: 1, count: 2, kinds: [area], energy_w: 70, azimuth_deg: [-50, 50], elevation_deg: 25}
environment: {hdri: ["builtin:studio"], strength: 0.4, rotation_deg: 0}
background: {kind: solid, colors: [[0.35, 0.37, 0.4]]}
render: {samples: 16, threads: 1}
outputs: [rgb, landmarks]
"""
# convention: colour, label, marker size (the 3d markers are drawn larger, below the 2d ones)
STYLE = {"3d": ("#ff5a36", "3d: fixed vertices", 40), "2d-contour": ("#3ce0ff", "2d-contour: visible outline", 12)}
WORK = REPO / ".cache" / "jaw_contour_figure"  # the rendered samples (a rerun only redraws)


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    recipe = WORK / "jaw.yaml"
    recipe.write_text(RECIPE)
    render_dataset(recipe, WORK / "ds", progress=False)
    ds = open_dataset(WORK / "ds")
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.6))
    for ax, sample in zip(axes, ds, strict=True):
        ax.imshow(sample.rgb)
        fixed = sample.landmarks.xy
        lo, hi = fixed.min(axis=0), fixed.max(axis=0)
        c, half = (lo + hi) / 2, 0.75 * (hi - lo).max()
        ax.set_xlim(c[0] - half, c[0] + half)
        ax.set_ylim(c[1] + half, c[1] - half)
        for convention, (color, label, size) in STYLE.items():
            lm = sample.landmarks_in(convention)
            jaw, vis = lm.xy[:17], lm.visible[:17]
            ax.plot(jaw[:, 0], jaw[:, 1], "-", color=color, lw=1, alpha=0.8)
            ax.scatter(*jaw[vis].T, s=size, color=color, label=f"{label} (visible)")
            ax.scatter(*jaw[~vis].T, s=size * 1.5, marker="x", color=color, label=f"{label} (hidden)")
        ax.set_title(f"yaw {sample.meta['head_pose']['yaw_deg']:+.0f}°", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    handles, labels = axes[-1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.12, 1, 0.96))
    print(save_figure(fig, REPO / "docs" / "images" / "jaw_contour_conventions.png", dpi=90))


if __name__ == "__main__":
    main()
