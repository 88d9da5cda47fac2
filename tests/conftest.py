"""Shared test fixtures.

Tests use the real ICT-FaceKit archive from ../shared/assets (never a copy in the repository) and
a facesynth cache under .cache/ in the checkout, so the ICT pack is built once per clone.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_ICT_DIR = REPO.parent / "shared" / "assets" / "ict-facekit"
ICT_ARCHIVE = SHARED_ICT_DIR / "ict-facekit-da5f95a.tar.xz"

# Before any facesynth import reads it: a per-checkout cache shared by all test modules.
os.environ.setdefault("FACESYNTH_HOME", str(REPO / ".cache" / "facesynth-test"))


@pytest.fixture(scope="session")
def ict_archive() -> Path:
    if not ICT_ARCHIVE.exists():
        pytest.fail(f"ICT-FaceKit archive missing: {ICT_ARCHIVE} (tests need ../shared beside the checkout)")
    return ICT_ARCHIVE


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def ict_pack(ict_archive: Path):
    """The real ICT-FaceKit pack, built from the shared archive once into $FACESYNTH_HOME and
    rebuilt when the cached file is unreadable or from another importer version."""
    from facesynth.assets.cache import pack_cache_path
    from facesynth.assets.ict import IMPORTER_VERSION, import_ict
    from facesynth.assets.registry import load_pack
    from facesynth.errors import UserError

    path = pack_cache_path("ict-facekit")
    if path.exists():
        try:
            pack = load_pack(path)
            if pack.provenance.get("importer_version") == IMPORTER_VERSION:
                return pack
        except UserError:
            pass
    import_ict(ict_archive, path)
    return load_pack(path)
