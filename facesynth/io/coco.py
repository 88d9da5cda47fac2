"""`facesynth export --format coco`: COCO keypoint annotations beside copies of the RGB images.

Layout: `images/<id>.rgb.png` and `annotations/face_keypoints_<split>.json`, one file per split,
readable by pycocotools. One annotation per image (category `face`): the 68 iBUG points (70 with
the two pupil centres, Face Synthetics' convention) as
(x, y, v), v = 2 visible, 1 inside the image but occluded (our depth test), 0 outside the image
(x = y = 0, as COCO writes unlabelled points), in the fixed-vertex convention or (`--landmarks
2d-contour`) with the jaw on the visible face outline; `bbox` from the visible face area, `segmentation`
that box as a polygon. COCO puts
(0, 0) at the top-left corner of the image, facesynth at the centre of the top-left pixel: every
coordinate here is facesynth's + 0.5.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from facesynth._version import __version__
from facesynth.errors import UserError
from facesynth.io import codecs
from facesynth.io.dataset import Sample, open_dataset
from facesynth.io.export import checked_read
from facesynth.io.licences import collect_licences
from facesynth.outputs import LANDMARK_CONVENTIONS

COCO_SHIFT = 0.5  # facesynth pixel-centre coordinates -> COCO pixel-corner coordinates
KEYPOINT_NAMES = tuple(f"ibug_{i:02d}" for i in range(68))
PUPIL_NAMES = ("right_pupil", "left_pupil")  # 68 + these = Face Synthetics' 70-point convention
# iBUG contours as 0-based index chains (jaw, brows, nose, eyes, lips), for drawing tools.
_CHAINS = ((0, 17), (17, 22), (22, 27), (27, 31), (31, 36), (36, 42), (42, 48), (48, 60), (60, 68))
SKELETON = tuple((a + 1, a + 2) for lo, hi in _CHAINS for a in range(lo, hi - 1))  # COCO: 1-based


def keypoint_triplets(xy: np.ndarray, visible: np.ndarray, width: int, height: int) -> list[float]:
    """Flat [x1, y1, v1, ...] in COCO coordinates."""
    out: list[float] = []
    for (x, y), vis in zip(np.asarray(xy, dtype=np.float64), np.asarray(visible, dtype=bool), strict=True):
        inside = -0.5 <= x < width - 0.5 and -0.5 <= y < height - 0.5
        if not inside:
            out += [0.0, 0.0, 0]
        else:
            out += [round(float(x) + COCO_SHIFT, 4), round(float(y) + COCO_SHIFT, 4), 2 if vis else 1]
    return out


def coco_box(box: list[float]) -> list[float]:
    """facesynth [x0, y0, x1, y1] (pixel edges for a mask box) -> COCO [x, y, w, h]."""
    x0, y0, x1, y1 = box
    return [round(x0 + COCO_SHIFT, 4), round(y0 + COCO_SHIFT, 4), round(x1 - x0, 4), round(y1 - y0, 4)]


def _annotation(sample: Sample, width: int, height: int, keypoints: int, convention: str) -> dict[str, Any]:
    meta = sample.meta
    if "landmarks_68" not in meta:
        raise UserError(f"sample {sample.id} has no landmarks_68: export --format coco needs the landmarks output")
    lm = sample.landmarks_in(convention)
    xy, visible = lm.xy, lm.visible
    if keypoints == 70:
        if "pupils" not in meta:
            raise UserError(f"sample {sample.id} has no pupils in its metadata (meta_version 1, or a pack without "
                            "irises): use --keypoints 68")
        xy, visible = np.vstack([xy, sample.pupils.xy]), np.concatenate([visible, sample.pupils.visible])
    kps = keypoint_triplets(xy, visible, width, height)
    boxes = meta.get("face_box") or {}
    # Version-1 metadata has no face box: fall back to the landmarks' box.
    box = boxes.get("from_visible_face_area") or boxes.get("from_landmarks") or [
        *lm.xy.min(axis=0).tolist(), *lm.xy.max(axis=0).tolist()]
    bbox = coco_box(box)
    return {"id": sample.index + 1, "image_id": sample.index + 1, "category_id": 1, "iscrowd": 0,
            "keypoints": kps, "num_keypoints": sum(1 for v in kps[2::3] if v > 0),
            "bbox": bbox, "area": round(bbox[2] * bbox[3], 4), "segmentation": [_box_polygon(bbox)]}


def _box_polygon(bbox: list[float]) -> list[float]:
    """The box as a COCO polygon: COCO tools (annToMask, evaluation) expect a segmentation."""
    x, y, w, h = bbox
    return [x, y, x + w, y, x + w, y + h, x, y + h]


def export_coco(root: str | os.PathLike[str], out: str | os.PathLike[str], *, keypoints: int = 68,
                landmarks: str = "3d") -> dict[str, Any]:
    """Write images/ and annotations/face_keypoints_<split>.json into `out`; returns a summary.

    `keypoints`: 68 (iBUG) or 70 (iBUG + the two pupil centres, as Face Synthetics). `landmarks`:
    the convention of the 68 (`facesynth.outputs.LANDMARK_CONVENTIONS`: 3d, or 2d-contour with the
    jaw on the visible outline, as 300W-LP)."""
    if keypoints not in (68, 70):
        raise UserError(f"--keypoints must be 68 or 70, got {keypoints}")
    if landmarks not in LANDMARK_CONVENTIONS:
        raise UserError(f"--landmarks must be one of {', '.join(LANDMARK_CONVENTIONS)}, got {landmarks!r}")
    root, out = Path(root), Path(out)
    dataset = open_dataset(root)
    if dataset.source_kind != "directory":
        raise UserError(f"{root}: export reads a dataset directory, not shards")
    if out.resolve() == root.resolve() or root.resolve() in out.resolve().parents:
        raise UserError(f"export directory {out} must be outside the dataset {root}")
    by_split: dict[str, dict[str, list[dict[str, Any]]]] = {}
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "annotations").mkdir(exist_ok=True)
    metas = []
    for sample in dataset:
        meta = sample.meta
        metas.append(meta)
        if "rgb" not in meta.get("outputs", {}):
            raise UserError(f"sample {sample.id} has no rgb output: nothing to annotate")
        cam = meta["camera"]
        width, height = int(cam["width"]), int(cam["height"])
        name = f"{sample.id}.rgb.png"
        ann = _annotation(sample, width, height, keypoints, landmarks)
        codecs.write_file(out / "images" / name, checked_read(sample, "rgb", meta["outputs"]["rgb"]))
        split = by_split.setdefault(str(meta.get("split", "train")), {"images": [], "annotations": []})
        split["images"].append({"id": sample.index + 1, "file_name": name, "width": width, "height": height})
        split["annotations"].append(ann)
    licences = [{"id": i + 1, "name": f"{lic['asset']}: {lic['licence']}", "url": ""}
                for i, lic in enumerate(collect_licences(metas))]
    names = [*KEYPOINT_NAMES, *(PUPIL_NAMES if keypoints == 70 else ())]
    category = {"id": 1, "name": "face", "supercategory": "face", "keypoints": names,
                "skeleton": [list(pair) for pair in SKELETON]}
    files = []
    for split, content in sorted(by_split.items()):
        doc = {"info": {"description": f"facesynth {split} split: {keypoints} face landmarks ({landmarks} convention)",
                        "version": __version__, "contributor": "facesynth"},
               "licenses": licences, "categories": [category], **content}
        path = out / "annotations" / f"face_keypoints_{split}.json"
        codecs.write_file(path, codecs.encode_json(doc))
        files.append(path.name)
    return {"format": "coco", "samples": len(metas), "splits": {k: len(v["images"]) for k, v in by_split.items()},
            "files": files}
