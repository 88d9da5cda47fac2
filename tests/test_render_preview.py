"""`facesynth preview`: a captioned grid of fast renders, and one-line errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from facesynth.render.preview import preview_sheet, register

pytest.importorskip("bpy")
pytestmark = pytest.mark.render


def test_preview_sheet_grid_of_distinct_samples(repo_root, tmp_path) -> None:
    out = preview_sheet(repo_root / "recipes" / "quickstart.yaml", 4, tmp_path / "sheet.png", samples=2,
                        scale=0.3)
    sheet = np.asarray(Image.open(out).convert("RGB"))
    # quickstart is 240x320: tiles of 72x96, 2x2 grid, a 14 px caption strip under each row
    assert sheet.shape == (2 * (96 + 14), 2 * 72, 3)
    tiles = [sheet[r * 110: r * 110 + 96, c * 72:(c + 1) * 72] for r in range(2) for c in range(2)]
    assert all(t.std() > 5 for t in tiles)  # rendered, not blank
    assert not np.array_equal(tiles[0], tiles[1])  # different samples
    caption = sheet[96:110, :72]
    assert (caption > 200).any()  # caption text drawn


def test_preview_cli_user_errors_exit_2_with_one_line(tmp_path) -> None:
    app = typer.Typer()
    register(app)

    @app.command()
    def _other() -> None:  # a second command keeps typer from collapsing to a single command
        pass

    runner = CliRunner()
    res = runner.invoke(app, ["preview", str(tmp_path / "missing.yaml"), "-n", "2"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["preview", str(tmp_path / "missing.yaml"), "-n", "0"])
    assert res.exit_code == 2 and "-n must be at least 1" in res.output
    assert len(res.output.strip().splitlines()) == 1
