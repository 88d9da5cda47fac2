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
