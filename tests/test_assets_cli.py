"""`facesynth assets` commands and the asset manifests, run for real (real archive, real files)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from facesynth.assets.commands import _bundled_world_dir, app
from facesynth.assets.manifest import list_manifest_names, load_manifest
from facesynth.assets.registry import load_pack
from facesynth.errors import UserError

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FACESYNTH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_list_shows_every_asset_and_what_to_do(home: Path):
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert set(lines) == {"builtin", "ict-facekit", "blender-worlds", "flame", "bfm"}
    assert "not imported" in lines["ict-facekit"] and "import ict-facekit --from" in lines["ict-facekit"]
    assert "MIT" in lines["ict-facekit"] and "CC0-1.0" in lines["blender-worlds"]
    assert "9/9 files verified" in lines["blender-worlds"]  # the bpy wheel's HDRIs match the pins
    assert "own licence" in lines["flame"] and "own licence" in lines["bfm"]


def test_import_from_the_archive_then_load_and_list(home: Path, ict_archive: Path, ict_pack):
    result = runner.invoke(app, ["import", "ict-facekit", "--from", str(ict_archive)])
    assert result.exit_code == 0, result.output
    assert "26719 vertices" in result.stdout and "100 identity modes" in result.stdout
    assert "57 expressions" in result.stdout
    built = home / "packs" / "ict-facekit.npz"
    assert load_pack("ict-facekit").sha256 == hashlib.sha256(built.read_bytes()).hexdigest() == ict_pack.sha256
    listed = runner.invoke(app, ["list"]).stdout
    assert f"imported: {built}" in listed


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["import", "flame", "--from", "."], "cannot import 'flame'"),
        (["import", "ict-facekit", "--from", "/no/such/ict.tar.xz"], "/no/such/ict.tar.xz does not exist"),
        (["import", "ict-facekit", "--from", "{tmp}"], "holds no ICT-FaceKit FaceXModel/ folder"),
        (["fetch", "bfm"], "cannot fetch 'bfm'"),
        # Offline (or unreachable): fails fast, exit 2, and points at the offline route.
        (
            ["fetch", "ict-facekit", "--url", "http://127.0.0.1:9/ict.tar.gz", "--timeout", "3"],
            "import ict-facekit --from",
        ),
    ],
)
def test_user_errors_exit_2_with_one_line(home: Path, tmp_path: Path, args: list[str], needle: str):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and needle in errors[0]  # one line says it all (progress lines aside)
    assert "Traceback" not in result.output
    assert not (home / "packs").exists()  # nothing built


def test_fetch_of_the_pinned_url_fails_cleanly_offline(home: Path):
    result = runner.invoke(app, ["fetch", "ict-facekit", "--timeout", "5"])
    if result.exit_code == 0:  # a machine with internet really fetched and imported it
        assert (home / "packs" / "ict-facekit.npz").exists()
        return
    assert result.exit_code == 2
    assert "github.com/ICT-VGL/ICT-FaceKit/archive/da5f95a607f5e6b37755b38d3385d7f2853732e5" in result.stderr
    assert "import ict-facekit --from" in result.stderr


def test_manifests_pin_the_shared_files_and_the_bundled_worlds(ict_archive: Path):
    assert list_manifest_names() == ["bfm", "blender-worlds", "flame", "ict-facekit"]
    ict = load_manifest("ict-facekit")
    sums = dict(line.split()[::-1] for line in (ict_archive.parent / "SHA256SUMS").read_text().splitlines())
    assert ict.files == sums and len(sums) == 162
    assert ict.upstream.commit == "da5f95a607f5e6b37755b38d3385d7f2853732e5" in (ict.upstream.url or "")
    assert ict.licence.spdx == "MIT" and ict.importer == "facesynth.assets.ict"
    worlds = load_manifest("blender-worlds")
    folder = _bundled_world_dir()
    assert folder is not None
    names = sorted(n for n in worlds.files if n.endswith(".exr"))
    assert [Path(n).stem for n in names] == [
        "city", "courtyard", "forest", "interior", "night", "studio", "sunrise", "sunset"
    ]  # fmt: skip
    for rel, sha in worlds.files.items():
        assert hashlib.sha256((folder / rel).read_bytes()).hexdigest() == sha, rel
    for name in ("flame", "bfm"):
        placeholder = load_manifest(name)
        assert placeholder.availability == "user-supplied" and placeholder.files == {}
        assert "own licence" in placeholder.licence.terms


GOOD = """name: {name}
kind: face-model
title: T
availability: import
upstream: {{url: "https://example.org/x.tar.gz"}}
licence: {{spdx: MIT, terms: t, notice_file: LICENSE}}
attribution: A
files: {{LICENSE: "{sha}"}}
"""


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (GOOD.format(name="m", sha="0" * 63), "files"),
        (GOOD.format(name="m", sha="0" * 64).replace("kind: face-model", "kind: texture"), "kind"),
        (GOOD.format(name="m", sha="0" * 64).replace("attribution: A\n", ""), "attribution"),
        (GOOD.format(name="m", sha="0" * 64).replace("LICENSE: ", "COPYING: "), "notice_file"),
        (GOOD.format(name="other", sha="0" * 64), "does not match the file name"),
        ("name: [unclosed\n", "invalid YAML"),
    ],
)
def test_bad_manifest_names_file_and_field(tmp_path: Path, text: str, needle: str):
    (tmp_path / "m.yaml").write_text(text)
    with pytest.raises(UserError, match=needle) as info:
        load_manifest("m", tmp_path)
    assert "m.yaml" in str(info.value) and "\n" not in str(info.value)
    (tmp_path / "m.yaml").write_text(GOOD.format(name="m", sha="0" * 64))
    assert load_manifest(tmp_path / "m.yaml").files == {"LICENSE": "0" * 64}  # the fixed one loads
