"""Where a dataset's bytes come from: a dataset directory or a directory of WebDataset shards.

Both give the same thing: per sample its id, its index and a reader of `<id>.<kind>.<ext>`
bytes, so `Dataset` and `Sample` do not care which one they read.
"""

from __future__ import annotations

import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

from facesynth.errors import UserError
from facesynth.io.codecs import decode_json
from facesynth.io.layout import KINDS, file_name, kind_of_file
from facesynth.io.store import RECIPE_FILE, read_index, read_meta


@dataclass(frozen=True)
class FileRef:
    """A file on disk (`path`) or a member of a tar shard (`path` + `offset` + `size`)."""

    path: Path
    offset: int | None = None
    size: int | None = None

    def read(self) -> bytes:
        if self.offset is None:
            return self.path.read_bytes()
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            return fh.read(self.size)


@dataclass(frozen=True)
class Entry:
    id: str
    index: int
    meta_ref: FileRef
    files: dict[str, FileRef]
    """kind -> file (kinds as in the metadata's outputs: rgb, depth, masks, ...)."""


def scan_directory(root: Path) -> list[Entry]:
    """Entries of a dataset directory, by index.

    The writers' index lines give each sample's index and kinds without parsing its JSON (fast
    on large datasets); a JSON with no index line (a writer killed between the two) is parsed.
    Samples whose JSON does not parse are skipped (`verify` reports them).
    """
    known = {e["json"]: e for e in read_index(root) if isinstance(e.get("kinds"), list) and "json" in e}
    entries = []
    for folder in sorted(p for p in (root / "samples").glob("*") if p.is_dir()):
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".json") or name.startswith("."):
                continue
            line = known.get(f"samples/{folder.name}/{name}")
            if line is not None and line["id"] == name[: -len(".json")]:
                sid, index, kinds = line["id"], line["index"], line["kinds"]
            else:
                meta = read_meta(folder / name)
                if meta is None or not isinstance(meta.get("outputs"), dict) or not isinstance(meta.get("index"), int):
                    continue
                sid, index, kinds = str(meta["id"]), meta["index"], list(meta["outputs"])
            # Paths come from the layout table, never from the metadata: a tampered name cannot escape.
            files = {k: FileRef(folder / file_name(sid, k)) for k in kinds if k in KINDS}
            entries.append(Entry(sid, int(index), FileRef(folder / name), files))
    return sorted(entries, key=lambda e: e.index)


def scan_shards(paths: list[Path]) -> list[Entry]:
    """Entries of WebDataset tar shards (members `<id>.<kind>.<ext>` and `<id>.json`)."""
    grouped: dict[str, dict[str, FileRef]] = {}
    for shard in paths:
        with tarfile.open(shard, "r:") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                if "/" in member.name or member.name.startswith("."):
                    raise UserError(f"{shard}: unsafe member name {member.name!r}")
                key, _, suffix = member.name.partition(".")
                ref = FileRef(shard, member.offset_data, member.size)
                kind = "json" if suffix == "json" else kind_of_file(member.name)
                if kind is not None:
                    grouped.setdefault(key, {})[kind] = ref
    entries = []
    for key, refs in grouped.items():
        if "json" not in refs:
            raise UserError(f"shard sample {key} has no {key}.json metadata")
        meta_ref = refs.pop("json")
        meta = decode_json(meta_ref.read())
        entries.append(Entry(key, int(meta["index"]), meta_ref, refs))
    return sorted(entries, key=lambda e: e.index)


def find_source(path: Path) -> tuple[str, list[Path]]:
    """('directory', [root]) or ('shards', [tar files]) for a dataset path."""
    if path.is_file() and path.suffix == ".tar":
        return "shards", [path]
    if not path.is_dir():
        raise UserError(f"{path}: no such dataset directory")
    if (path / RECIPE_FILE).exists() and (path / "samples").is_dir():
        return "directory", [path]
    tars = sorted(path.glob("*.tar"))
    if tars:
        return "shards", tars
    raise UserError(f"{path} is neither a facesynth dataset (recipe.yaml + samples/) nor a folder of .tar shards")
