"""The recipe reference page (docs/recipe_reference.md), generated from the schema itself."""

from __future__ import annotations

import json
import math
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from facesynth.recipe.ranges import Range
from facesynth.recipe.schema import Recipe

UNITS = (("_mm", "mm"), ("_deg", "degrees"), ("_k", "kelvin"), ("_w", "watts"))
NAMED_UNITS = {"sun_strength": "W/m²", "samples": "count", "size": "pixels", "resolution": "pixels",
               "count": "count", "frames": "count", "threads": "count", "max_bounces": "count",
               "skin_tone": "0..1", "iris_colors": "linear RGB", "colors": "linear RGB"}


def _unit(name: str) -> str:
    for suffix, unit in UNITS:
        if name.endswith(suffix):
            return unit
    return NAMED_UNITS.get(name, "")


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found += _models_in(arg)
    return found


def _range_class(annotation: Any) -> type[Range] | None:
    return next((m for m in _models_in(annotation) if issubclass(m, Range)), None)


def _type_name(annotation: Any) -> str:
    rng = _range_class(annotation)
    if rng is not None:
        return "integer range" if rng.integer else "range"
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " or ".join(json.dumps(a) for a in typing.get_args(annotation))
    if origin is list:
        return "list of " + _type_name(typing.get_args(annotation)[0])
    if origin is tuple:
        return "[r, g, b] in 0..1" if len(typing.get_args(annotation)) == 3 else "tuple"
    if origin is dict:
        return "mapping of text to text"
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    models = _models_in(annotation)
    if models and typing.get_origin(annotation) is not list:
        names = [m.__name__ for m in models]
        literals = [a for a in _flatten(annotation) if isinstance(a, str)]
        return " or ".join([*(json.dumps(x) for x in literals), *names])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(annotation) if a is not type(None)) + " or null"
    return getattr(annotation, "__name__", str(annotation))


def _flatten(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    out: list[Any] = []
    for arg in typing.get_args(annotation):
        out += _flatten(arg)
    return out


def _bounds(info: FieldInfo, annotation: Any) -> str:
    rng = _range_class(annotation)
    if rng is not None:
        lo = "" if math.isinf(rng.lower) else (f"> {rng.lower:g}" if rng.lower_open else f"≥ {rng.lower:g}")
        hi = "" if math.isinf(rng.upper) else f"≤ {rng.upper:g}"
        return ", ".join(x for x in (lo, hi, "min ≤ max") if x)
    parts = []
    for meta in info.metadata:
        for attr, sym in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
            if getattr(meta, attr, None) is not None:
                parts.append(f"{sym} {getattr(meta, attr)}")
        if getattr(meta, "min_length", None):
            parts.append(f"at least {meta.min_length} item(s)")
        if getattr(meta, "pattern", None):
            parts.append(f"matches `{meta.pattern}`")
    if typing.get_origin(annotation) is typing.Literal:
        parts.append("one of the listed values")
    return ", ".join(parts)


def _default(info: FieldInfo) -> str:
    if info.default is PydanticUndefined and info.default_factory is None:
        return "**required**"
    value = info.default_factory() if info.default_factory is not None else info.default
    if isinstance(value, Range):
        return f"[{value.min:g}, {value.max:g}]" + (f" step {value.step:g}" if value.step else "")
    if isinstance(value, BaseModel):
        dumped = value.model_dump(mode="json")
        if set(dumped) == {"width", "height"}:
            return f"{dumped['width']}x{dumped['height']}"
        return "see its section"
    return f"`{json.dumps(value)}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def recipe_reference_markdown() -> str:
    lines = [
        "# Recipe reference",
        "",
        "Generated from the schema (`facesynth/recipe/schema.py`) by `python -m facesynth.recipe.reference`;",
        "a test keeps it in sync. Ranges are written `[min, max]`, a single number (fixed), or",
        "`{min, max, step}` (values on the lattice min + k·step). Units are in the key names.",
        "Editors autocomplete recipes from `docs/recipe.schema.json`",
        "(`# yaml-language-server: $schema=../docs/recipe.schema.json`).",
        "",
    ]
    queue: list[tuple[str, type[BaseModel]]] = [("", Recipe)]
    while queue:
        path, model = queue.pop(0)
        lines += [f"## `{path or 'recipe'}`", ""]
        if model.__doc__ and path:
            lines += [model.__doc__.strip().splitlines()[0], ""]
        lines += ["| field | type | unit | default | allowed | meaning |", "|---|---|---|---|---|---|"]
        for name, info in model.model_fields.items():
            field_path = f"{path}.{name}" if path else name
            ann = info.annotation
            lines.append(f"| `{field_path}` | {_cell(_type_name(ann))} | {_unit(name)} | {_cell(_default(info))} | "
                         f"{_cell(_bounds(info, ann))} | {_cell(info.description or '')} |")
            queue += [(field_path, m) for m in _models_in(ann) if not issubclass(m, Range)
                      and m.__name__ != "Resolution"]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    from pathlib import Path

    target = Path(__file__).resolve().parents[2] / "docs" / "recipe_reference.md"
    target.write_text(recipe_reference_markdown(), encoding="utf-8")
    print(f"wrote {target}")
