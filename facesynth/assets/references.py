"""Files that an asset file names (a glTF's buffers and images, an OBJ's material libraries and the
textures those name) must stay inside the asset's own folder.

Why: an importer reads whatever such a reference points at, so a character file shared by someone
else could otherwise turn any local file into vertices or textures. Absolute paths, URI schemes
other than `data:`, `..` steps and symlinks leading out of the folder are refused with the file
and the reference named. Paths written in a recipe are the user's own and are not restricted.
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from urllib.parse import unquote

from facesynth.errors import UserError, quoted

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# MTL statements whose last argument is a texture file (options such as `-bm 1` come first).
_MTL_MAPS = ("map_", "bump", "disp", "decal", "refl", "norm")


def contained(owner: Path, reference: str, *, uri: bool = False) -> Path | None:
    """The path `reference` (named inside file `owner`) resolves to, refused unless it stays
    inside `owner`'s folder; None for an embedded `data:` URI. `uri`: glTF percent-encoding."""
    if not isinstance(reference, str) or not reference.strip():
        raise UserError(f"{owner}: names an empty or non-text file reference {quoted(reference)}")
    if reference.startswith("data:"):
        return None
    name = unquote(reference) if uri else reference
    name = name.replace("\\", "/")  # files written on Windows
    if "\0" in name:
        raise UserError(f"{owner}: file reference {quoted(reference)} holds a NUL byte")
    if _SCHEME.match(name) or name.startswith("/") or name.startswith("~"):
        raise UserError(f"{owner}: file reference {quoted(reference)} points outside the file's folder "
                        f"(only relative paths inside {owner.parent} are read)")
    folder = owner.parent.resolve()
    target = (folder / name).resolve()
    if not target.is_relative_to(folder):
        raise UserError(f"{owner}: file reference {quoted(reference)} points outside the file's folder "
                        f"{owner.parent} (via '..' or a symbolic link)")
    return target


def gltf_document(path: Path) -> dict:
    """The JSON part of a .gltf or .glb file (a UserError naming the file if it is damaged)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read character file {path}: {exc.strerror or exc}") from None
    try:
        if path.suffix.lower() == ".glb":
            # GLB: 12-byte header (magic, version, length), then the JSON chunk (length, type, bytes)
            magic, _version, _length, chunk_len, chunk_type = struct.unpack_from("<4sIIII", data, 0)
            if magic != b"glTF" or chunk_type != 0x4E4F534A:
                raise ValueError("not a GLB file (no glTF header and JSON chunk)")
            data = data[20 : 20 + chunk_len]
        doc = json.loads(data.decode("utf-8"))
    except (ValueError, struct.error, UnicodeDecodeError) as exc:
        raise UserError(f"character file {path} is not a readable glTF file: {str(exc)[:200]}") from None
    if not isinstance(doc, dict):
        raise UserError(f"character file {path} is not a readable glTF file: its JSON is not an object")
    return doc


def gltf_references(path: Path) -> dict[str, Path]:
    """{uri: resolved path} of the external buffers and images of a .gltf/.glb, each checked."""
    doc = gltf_document(path)
    out: dict[str, Path] = {}
    for section in ("buffers", "images"):
        items = doc.get(section, [])
        if not isinstance(items, list):
            raise UserError(f"character file {path}: '{section}' is not a list")
        for item in items:
            if isinstance(item, dict) and "uri" in item:
                target = contained(path, item["uri"], uri=True)
                if target is not None:
                    out[item["uri"]] = target
    return out


def obj_references(path: Path) -> dict[str, Path]:
    """{name: resolved path} of an OBJ's material libraries and the textures they name, each checked."""
    out: dict[str, Path] = {}
    for name in _statements(path, ("mtllib",)):
        target = contained(path, name)
        assert target is not None
        out[name] = target
        if target.is_file():
            for texture in _statements(target, _MTL_MAPS, last_token=True):
                found = contained(target, texture)
                assert found is not None
                out[texture] = found
    return out


def _statements(path: Path, keywords: tuple[str, ...], *, last_token: bool = False) -> list[str]:
    """The argument of every line of `path` that starts with one of `keywords`."""
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    found: list[str] = []
    for line in text.splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2 and parts[0].lower().startswith(keywords):
            arg = parts[1].strip()
            found.append(arg.split()[-1] if last_token else arg)
    return found


def references(path: Path) -> dict[str, Path]:
    """The checked side files of a character file (none known for FBX: see the Blender-side check)."""
    suffix = path.suffix.lower()
    if suffix in (".gltf", ".glb"):
        return gltf_references(path)
    if suffix == ".obj":
        return obj_references(path)
    return {}
