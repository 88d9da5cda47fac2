"""Licences and attributions of the assets a dataset was made from, for dataset cards."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Known asset sources. The ICT-FaceKit licence (MIT) requires the copyright notice to be kept.
KNOWN: dict[str, dict[str, str]] = {
    "ict-facekit": {
        "asset": "ICT-FaceKit Face Model Light",
        "licence": "MIT",
        "attribution": "Copyright (c) 2020 USC Institute for Creative Technologies; ICT-FaceKit "
        "(https://github.com/ICT-VGL/ICT-FaceKit, commit da5f95a). Cite: Li et al., 'Learning Formation of "
        "Physically-Based Face Attributes', CVPR 2020 (arXiv:2004.03458).",
    },
    "builtin": {
        "asset": "facesynth built-in parametric head",
        "licence": "Apache-2.0",
        "attribution": "facesynth contributors",
    },
    "builtin-hdri": {
        "asset": "Blender bundled studio-light world HDRIs",
        "licence": "CC0-1.0",
        "attribution": "Blender Foundation (datafiles/studiolights/world, license.txt in the bpy wheel)",
    },
}


def collect_licences(metas: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """One entry per distinct asset used, from `face_model`, `environment` and any `licences` list."""
    found: dict[str, dict[str, str]] = {}
    for meta in metas:
        for extra in meta.get("licences") or []:
            if isinstance(extra, dict) and extra.get("asset"):
                found.setdefault(str(extra["asset"]), {k: str(v) for k, v in extra.items()})
        fm = meta.get("face_model") or {}
        name = str(fm.get("name", ""))
        if name in KNOWN:
            found.setdefault(name, KNOWN[name])
        elif name:
            licence = fm.get("licence") or fm.get("license") or "unknown: supplied by the dataset's author"
            found.setdefault(
                name, {"asset": name, "licence": str(licence), "attribution": str(fm.get("attribution", ""))}
            )
        background = meta.get("background") or {}
        if background.get("kind") in ("image", "image_dir") and background.get("source"):
            source = str(background["source"])
            found.setdefault(
                source, {"asset": source, "licence": "unknown: user-supplied background", "attribution": ""}
            )
        env = str((meta.get("environment") or {}).get("source", ""))
        if env.startswith("builtin:"):
            found.setdefault("builtin-hdri", KNOWN["builtin-hdri"])
        elif env:
            found.setdefault(env, {"asset": env, "licence": "unknown: user-supplied environment", "attribution": ""})
    return [found[k] for k in sorted(found)]
