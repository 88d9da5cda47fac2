"""Load a recipe file: safe YAML only, every problem reported as `field.path: message (file:line)`."""

from __future__ import annotations

import difflib
import hashlib
import re
import stat
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from facesynth.errors import UserError, quoted
from facesynth.recipe import bounded_yaml
from facesynth.recipe.images import image_problem
from facesynth.recipe.schema import CharacterFile, Recipe

Loc = tuple[str | int, ...]
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".exr", ".hdr", ".tif", ".tiff", ".bmp", ".webp")
HDRI_SUFFIXES = (".exr", ".hdr")
MAX_PROBLEMS = 50


class RecipeError(UserError):
    """One or more problems in a recipe; `str()` is the first one plus a count of the rest."""

    def __init__(self, problems: list[str]):
        # bounded output for hostile input: each problem cut to a line, at most MAX_PROBLEMS of them
        cut = [p if len(p) <= 400 else p[:400] + "..." for p in problems[:MAX_PROBLEMS]]
        if len(problems) > MAX_PROBLEMS:
            cut.append(f"... and {len(problems) - MAX_PROBLEMS} more problems")
        problems = cut
        self.problems = problems
        more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
        super().__init__(problems[0] + more)


@dataclass(frozen=True)
class LoadedRecipe:
    """A validated recipe with where it came from (relative paths resolve against `base_dir`)."""

    recipe: Recipe
    path: Path
    text: str
    sha256: str
    base_dir: Path = field(repr=False)

    def resolve(self, relative: str) -> Path:
        p = Path(relative).expanduser()
        return p if p.is_absolute() else self.base_dir / p


def load_recipe(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> LoadedRecipe:
    """Read, parse and validate a recipe file; raises RecipeError naming the field and line.

    `overrides` are `field.path=YAML value` strings (`camera.resolution=96x128`); with them, the
    recipe's text becomes the merged recipe written out as YAML (what a dataset then stores).
    """
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise RecipeError([f"{name}: no such recipe file"])
    if path.is_dir():
        raise RecipeError([f"{name}: is a directory, not a recipe file"])
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
            raise RecipeError([f"{name}: not a regular file"])
        if info.st_size > bounded_yaml.MAX_BYTES:
            raise RecipeError([f"{name}: {info.st_size:,} bytes is too large for a recipe "
                               f"(at most {bounded_yaml.MAX_BYTES:,})"])
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecipeError([f"{name}: not UTF-8 text (byte {exc.start})"]) from None
    except OSError as exc:
        raise RecipeError([f"{name}: cannot read: {exc.strerror}"]) from None
    if overrides:
        text = apply_overrides(text, overrides, name)
        raw = text.encode("utf-8")
        try:
            recipe = parse_recipe(text, name)
        except RecipeError as exc:  # the file itself was valid: the overrides broke it
            where = f"from --set {'; '.join(overrides)}"
            raise RecipeError([re.sub(rf"\({re.escape(name)}(:\d+)?\)$", f"({where})", p)
                               for p in exc.problems]) from None
    else:
        recipe = parse_recipe(text, name)
    loaded = LoadedRecipe(recipe, path, text, hashlib.sha256(raw).hexdigest(), path.resolve().parent)
    problems = list(_check_paths(loaded, _line_map_or_empty(text)))
    if problems:
        raise RecipeError([_format(loc, msg, name, _line_map_or_empty(text)) for loc, msg in problems])
    return loaded


def parse_recipe(text: str, source: str = "<recipe>") -> Recipe:
    """Validate recipe text (no file checks)."""
    if not text.strip():
        raise RecipeError([f"{source}: the file is empty; a recipe needs at least 'name' and 'samples'"])
    root = _compose(text, source)
    lines = _line_map_of(root, source)
    try:
        data = bounded_yaml.construct(root)
    except yaml.MarkedYAMLError as exc:
        raise RecipeError([_yaml_message(exc, source)]) from None
    except yaml.YAMLError as exc:
        raise RecipeError([f"{source}: YAML error: {str(exc)[:300]}"]) from None
    except (ValueError, OverflowError) as exc:  # e.g. an int of 5000 digits, a date like 2024-13-45
        raise RecipeError([f"{source}: YAML error: a value cannot be read: {str(exc)[:200]}"]) from None
    if data is None:
        raise RecipeError([f"{source}: the file holds no recipe (only comments?)"])
    if not isinstance(data, dict):
        raise RecipeError([f"{source}:1: expected a mapping of recipe sections at the top level, "
                           f"got {type(data).__name__}"])
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        problems = [_format(*_attach_field(_clean_loc(err["loc"]), _message(err)), source, lines)
                    for err in exc.errors()]
        raise RecipeError(_dedupe(problems)) from None


def apply_overrides(text: str, overrides: list[str] | tuple[str, ...], source: str) -> str:
    """Merge `a.b.c=value` overrides into the recipe's YAML and return the new YAML text."""
    parse_recipe(text, source)  # the file itself must be valid first, with its own line numbers
    data = bounded_yaml.safe_load(text, source)
    for item in overrides:
        key, sep, value = item.partition("=")
        shown = quoted(item)
        if not sep or not key.strip():
            raise RecipeError([f"--set {shown}: expected FIELD.PATH=VALUE, e.g. camera.resolution=96x128"])
        try:
            parsed = bounded_yaml.safe_load(value, f"--set {shown}")
        except bounded_yaml.YamlLimitError as exc:
            raise RecipeError([str(exc)]) from None
        except yaml.YAMLError:
            raise RecipeError([f"--set {shown}: the value is not valid YAML"]) from None
        node = data
        parts = key.strip().split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part, {}), dict):
                raise RecipeError([f"--set {shown}: '{part[:40]}' is not a section"])
            node = node.setdefault(part, {})
        node[parts[-1]] = parsed
    header = f"# {Path(source).name} with overrides: {'; '.join(overrides)}\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# -- YAML positions -----------------------------------------------------------------------------

def _compose(text: str, source: str) -> yaml.Node | None:
    """The checked node graph (bounded: see bounded_yaml), YAML errors as one RecipeError line."""
    try:
        return bounded_yaml.compose(text, source)
    except bounded_yaml.YamlLimitError as exc:
        raise RecipeError([str(exc)]) from None
    except yaml.MarkedYAMLError as exc:
        raise RecipeError([_yaml_message(exc, source)]) from None
    except yaml.YAMLError as exc:
        raise RecipeError([f"{source}: YAML error: {str(exc)[:300]}"]) from None


def _line_map(text: str, source: str) -> dict[Loc, int]:
    """Path of every key and item in the YAML -> 1-based line; duplicate keys are refused."""
    return _line_map_of(_compose(text, source), source)


def _line_map_of(root: yaml.Node | None, source: str) -> dict[Loc, int]:
    """The line map of a composed graph (its expansion is bounded, so walking it as a tree is too)."""
    lines: dict[Loc, int] = {}

    def walk(node: yaml.Node, loc: Loc) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in seen:
                    raise RecipeError([f"{source}:{key_node.start_mark.line + 1}: "
                                       f"{_dotted((*loc, key))[:200]}: duplicate key {quoted(key, 60)}"])
                seen.add(key)
                lines[(*loc, key)] = key_node.start_mark.line + 1
                walk(value_node, (*loc, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[(*loc, i)] = item.start_mark.line + 1
                walk(item, (*loc, i))

    if root is not None:
        walk(root, ())
    return lines


def _line_map_or_empty(text: str) -> dict[Loc, int]:
    try:
        return _line_map(text, "")
    except RecipeError:
        return {}


def _yaml_message(exc: yaml.MarkedYAMLError, source: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"{source}:{mark.line + 1}" if mark else source
    problem = (exc.problem or str(exc)).strip()
    if "constructor for the tag" in problem:
        tag = problem.split("tag", 1)[1].strip().strip("'")
        problem = f"the tag {tag} is not allowed (recipes are plain YAML data, loaded safely)"
    return f"{where}: YAML error: {problem}"


# -- pydantic errors ----------------------------------------------------------------------------

_UNION_TAGS = {"builtin-name", "character-file"}


def _clean_loc(loc: tuple[Any, ...]) -> Loc:
    """Drop the parts pydantic adds for unions and validators, keep field names and indices."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (part in _UNION_TAGS or "[" in part or part.startswith("function-")
                                      or part in ("CharacterFile",)):
            continue
        out.append(part)
    return tuple(out)


def _message(err: Any) -> str:
    kind = err["type"]
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    loc = _clean_loc(err["loc"])
    if kind == "extra_forbidden":
        valid = _field_names_at(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else (f"; valid keys: {', '.join(valid)}" if valid else "")
        return f"unknown key{hint}"
    if kind == "missing":
        return "required field is missing"
    if kind == "literal_error":
        return f"{msg}, got {quoted(err.get('input'), 60)}"
    if kind in ("int_parsing", "float_parsing", "int_type", "float_type", "bool_parsing", "string_type",
                "model_type", "list_type", "dict_type", "bool_type", "int_from_float"):
        return f"{msg}, got {quoted(err.get('input'), 60)}"
    return msg


def _attach_field(loc: Loc, msg: str) -> tuple[Loc, str]:
    """Cross-field checks say 'clip_mm: ...'; move that field name into the location."""
    m = re.match(r"^([a-z_0-9]+(?:\.[a-z_0-9]+)*): (.*)$", msg, flags=re.S)
    if m and m[1].split(".")[0] in _field_names_at(loc):
        return (*loc, *m[1].split(".")), m[2]
    return loc, msg


def _field_names_at(loc: Loc) -> list[str]:
    model: type[BaseModel] | None = Recipe
    for part in loc:
        if model is None:
            return []
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        model = _model_in(info.annotation) if info else None
    return sorted(model.model_fields) if model else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, typing.Annotated) or origin is not None:
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _format(loc: Loc, msg: str, source: str, lines: dict[Loc, int]) -> str:
    line = None
    for n in range(len(loc), 0, -1):
        if loc[:n] in lines:
            line = lines[loc[:n]]
            break
    where = f"{source}:{line}" if line else source
    field_path = _dotted(loc) if loc else "recipe"
    return f"{field_path}: {msg} ({where})"


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# -- files the recipe points at -----------------------------------------------------------------

def _check_paths(loaded: LoadedRecipe, lines: dict[Loc, int]) -> Iterator[tuple[Loc, str]]:
    """Every file the recipe names exists and is what it claims: images decode (header only)."""
    r = loaded.recipe
    for i, entry in enumerate(r.environment.hdri):
        if entry.startswith("builtin:"):
            continue
        p = loaded.resolve(entry)
        loc = ("environment", "hdri", i)
        if not p.exists():
            yield loc, f"no such file or directory: {entry}"
        elif p.is_dir():
            found = list_images(p, HDRI_SUFFIXES)
            if not found:
                yield loc, f"directory holds no .exr/.hdr files: {entry}"
            yield from _images(loc, found)
        elif p.suffix.lower() not in HDRI_SUFFIXES:
            yield loc, f"not an .exr/.hdr file: {entry}"
        else:
            yield from _images(loc, [p])
    bg = r.background
    if bg.kind == "image" and bg.source:
        p = loaded.resolve(bg.source)
        if not p.exists():
            yield ("background", "source"), f"no such image file: {bg.source}"
        else:
            yield from _images(("background", "source"), [p])
    if bg.kind == "image_dir" and bg.source:
        p = loaded.resolve(bg.source)
        if not p.is_dir():
            yield ("background", "source"), f"no such directory: {bg.source}"
        else:
            found = list_images(p, IMAGE_SUFFIXES)
            if not found:
                yield ("background", "source"), f"directory holds no images: {bg.source}"
            yield from _images(("background", "source"), found)
    fm = r.subjects.face_model
    if isinstance(fm, CharacterFile):
        p = loaded.resolve(fm.path)
        if not p.exists():
            yield ("subjects", "face_model", "path"), f"no such character file: {fm.path}"
        elif not p.is_file() or not stat.S_ISREG(p.stat().st_mode):
            yield ("subjects", "face_model", "path"), f"not a regular file: {fm.path}"
    for i, tex in enumerate(r.subjects.textures):
        for kind in ("albedo", "normal", "roughness"):
            value = getattr(tex, kind)
            if not value:
                continue
            p = loaded.resolve(value)
            if not p.exists():
                yield ("subjects", "textures", i, kind), f"no such texture file: {value}"
            else:
                yield from _images(("subjects", "textures", i, kind), [p])


def _images(loc: Loc, paths: list[Path]) -> Iterator[tuple[Loc, str]]:
    for path in paths:
        problem = image_problem(path)
        if problem:
            yield loc, f"{path}: {problem}"


def list_images(directory: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Image files directly inside `directory`, sorted by name (deterministic choice by index)."""
    # not only regular files: a FIFO or device named like an image is reported, never opened
    return sorted(p for p in directory.iterdir() if p.suffix.lower() in suffixes and not p.is_dir())
