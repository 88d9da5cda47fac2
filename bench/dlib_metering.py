"""Would a camera's auto exposure rescue the faces dlib's HOG detector misses? Re-exposes every
stored clean render (`rgb_clean`) of a dataset so that its centre-weighted mean linear luminance is
18 % grey (gain clamped to +-2 EV, what a centre-weighted meter does) and counts HOG detections
before and after. HOG normalises contrast per block, so a global gain changes little; this checks it.

    .venv/bin/python bench/dlib_metering.py .cache/dlib200
"""

from __future__ import annotations

import sys

import numpy as np

from facesynth.color import REC709_LUMA

GREY = 0.18
CLAMP_EV = 2.0


def metered_ev(lin: np.ndarray) -> float:
    """Exposure change that brings the centre-weighted (Gaussian, a quarter of the frame) mean
    luminance of a linear image to 18 % grey."""
    h, w = lin.shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    weight = np.exp(-(((x - w / 2) / (0.25 * w)) ** 2 + ((y - h / 2) / (0.25 * h)) ** 2) / 2)
    lum = lin @ REC709_LUMA
    return float(np.clip(np.log2(GREY / max((lum * weight).sum() / weight.sum(), 1e-6)), -CLAMP_EV, CLAMP_EV))


def main(path: str) -> None:
    import dlib

    from facesynth import open_dataset
    from facesynth.color import linear_to_srgb, srgb_to_linear
    from facesynth.io import codecs

    hog = dlib.get_frontal_face_detector()
    found = [0, 0]
    evs = []
    for sample in open_dataset(path):
        img = codecs.decode_png(sample.read("rgb_clean"))[..., :3]
        lin = srgb_to_linear(img / 255.0)
        evs.append(metered_ev(lin))
        metered = np.round(linear_to_srgb(lin * 2.0 ** evs[-1]) * 255).astype(np.uint8)
        for i, im in enumerate((img, metered)):
            found[i] += bool(len(hog(np.ascontiguousarray(im), 1)))
    print(f"{len(evs)} clean renders: HOG detects {found[0]} as rendered, {found[1]} metered; "
          f"metered EV 5/50/95th percentile {np.percentile(evs, [5, 50, 95]).round(2).tolist()}")


if __name__ == "__main__":
    main(sys.argv[1])
