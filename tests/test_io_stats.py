"""stats, inspect and the CLI commands of the store, on a small real dataset."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from facesynth.io import DatasetWriter, open_dataset
from facesynth.io.commands import register
from facesynth.io.inspect import inspect_sample
from facesynth.io.stats import write_report
from testkit.synthetic import synthetic_sample

RECIPE = "name: t\nseed: 7\nsamples: 10\n"


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ds")
    writer = DatasetWriter(root, RECIPE)
    for i in range(10):
        sid, outputs, meta = synthetic_sample(i, width=64, height=48, posmap_size=32)
        if i == 7:  # lenient: a sample without skin tone or lights still counts elsewhere
            del meta["face_model"]["skin_tone"], meta["lights"]
        writer.write_sample(i, sid, outputs, meta)
    return root


@pytest.fixture()
def cli() -> tuple[CliRunner, typer.Typer]:
    app = typer.Typer()
    register(app)
    return CliRunner(), app


def test_summary_agrees_with_metadata(dataset_dir: Path, tmp_path: Path) -> None:
    result = write_report(dataset_dir, tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary == {k: v for k, v in result.items()}
    metas = [s.meta for s in open_dataset(dataset_dir)]
    assert summary["samples"] == 10
    assert summary["expressions"] == dict(Counter(m["face_model"]["expression_name"] for m in metas))
    assert summary["splits"] == dict(Counter(m["split"] for m in metas))
    assert summary["skin_tone"]["count"] == 9 and summary["yaw_deg"]["count"] == 10
    assert summary["light_counts"] == {
        str(k): v for k, v in sorted(Counter(len(m["lights"]) for m in metas if "lights" in m).items())
    }
    yaws = [m["head_pose"]["yaw_deg"] for m in metas]
    assert summary["yaw_deg"]["min"] == min(yaws) and summary["yaw_deg"]["max"] == max(yaws)
    for name in summary["files"]:
        with Image.open(tmp_path / name) as im:
            assert im.format == "PNG" and im.size[0] > 300 and im.size[1] > 200


def test_inspect_draws_four_panels(dataset_dir: Path, tmp_path: Path) -> None:
    path = inspect_sample(dataset_dir, "000003", tmp_path / "x.png")
    image = np.asarray(Image.open(path).convert("RGB"))
    assert image.shape[1] > 3 * image.shape[0]  # panels side by side
    # Visible landmarks are drawn lime, hidden ones red: both colours appear for a turned head.
    lm = open_dataset(dataset_dir).by_id("000003").landmarks
    assert lm.visible.any() and (~lm.visible).any()
    lime = (image[..., 0] < 60) & (image[..., 1] > 200) & (image[..., 2] < 60)
    red = (image[..., 0] > 200) & (image[..., 1] < 60) & (image[..., 2] < 60)
    assert lime.sum() > 20 and red.sum() > 5


def test_cli_verify_export_stats_inspect(dataset_dir: Path, tmp_path: Path, cli) -> None:
    runner, app = cli
    ok = runner.invoke(app, ["verify", str(dataset_dir)])
    assert ok.exit_code == 0 and "10/10 samples ok" in ok.output
    out = runner.invoke(app, ["export", str(dataset_dir), "--format", "webdataset", "--shard-size", "4",
                              "--out", str(tmp_path / "wds")])  # fmt: skip
    assert out.exit_code == 0 and len(list((tmp_path / "wds").glob("*.tar"))) >= 3
    st = runner.invoke(app, ["stats", str(dataset_dir), "--out", str(tmp_path / "report")])
    assert st.exit_code == 0 and (tmp_path / "report" / "summary.json").exists()
    ins = runner.invoke(app, ["inspect", str(dataset_dir), "000001", "--out", str(tmp_path / "i.png")])
    assert ins.exit_code == 0 and (tmp_path / "i.png").exists()


def test_cli_user_errors_are_one_line_exit_2(dataset_dir: Path, tmp_path: Path, cli) -> None:
    runner, app = cli
    cases = [
        (["verify", str(tmp_path / "nope")], str(tmp_path / "nope")),
        (["inspect", str(dataset_dir), "999999", "--out", str(tmp_path / "i.png")], "999999"),
        (["export", str(dataset_dir), "--shard-size", "0", "--out", str(tmp_path / "o")], "--shard-size"),
        (["stats", str(tmp_path), "--out", str(tmp_path / "r")], str(tmp_path)),
    ]
    for args, named in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0]
        assert "Traceback" not in result.output


def test_cli_verify_failure_exits_1(tmp_path: Path, cli) -> None:
    runner, app = cli
    writer = DatasetWriter(tmp_path, RECIPE)
    for i in range(3):
        sid, outputs, meta = synthetic_sample(i, width=64, height=48, posmap_size=32)
        writer.write_sample(i, sid, outputs, meta)
    (tmp_path / "samples" / "000" / "000001.rgb.png").unlink()
    result = runner.invoke(app, ["verify", str(tmp_path)])
    assert result.exit_code == 1
    assert "corrupt 000001: 000001.rgb.png is missing" in result.output
    assert "missing indices: 3, 4, 5, 6, 7, 8, 9" in result.output
    flipped = tmp_path / "samples" / "000" / "000002.depth.exr"
    data = bytearray(flipped.read_bytes())
    data[-10] ^= 1
    flipped.write_bytes(bytes(data))
    quick = runner.invoke(app, ["verify", str(tmp_path), "--quick"])  # sizes only: the flip goes unseen
    assert "corrupt 000001" in quick.output and "corrupt 000002" not in quick.output
    full = runner.invoke(app, ["verify", str(tmp_path)])
    assert "corrupt 000002: 000002.depth.exr sha256 differs from metadata" in full.output
    repaired = runner.invoke(app, ["verify", str(tmp_path), "--repair"])
    assert repaired.exit_code == 1 and "repaired 2" in repaired.output
    assert not (tmp_path / "samples" / "000" / "000001.json").exists()
