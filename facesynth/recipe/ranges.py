"""Numeric range fields: `[min, max]`, a scalar (fixed value) or `{min, max, step}`.

Each range type carries its own bounds, so `camera.distance_mm: [-5, 10]` fails with a message that
names the field and the bound, and an inverted range says which end is wrong.
"""

from __future__ import annotations

import math
import sys
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator

MAX_LATTICE_POINTS = 1_000_000


class Range(BaseModel):
    """A closed interval [min, max]; `step` puts the values on a lattice min + k·step."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min: float
    max: float
    step: float | None = None

    lower: ClassVar[float] = -math.inf
    upper: ClassVar[float] = math.inf
    lower_open: ClassVar[bool] = False
    integer: ClassVar[bool] = False

    @model_validator(mode="before")
    @classmethod
    def _accept_short_forms(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("expected a number, a [min, max] pair or {min, max, step}, got a boolean")
        if isinstance(value, int | float):
            return {"min": value, "max": value}
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise ValueError(f"expected [min, max] with 2 numbers, got {len(value)} values")
            return {"min": value[0], "max": value[1]}
        return value

    @model_validator(mode="after")
    def _check(self) -> Range:
        for name in ("min", "max"):
            v = getattr(self, name)
            if not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number, got {v}")
            if self.integer and v != int(v):
                raise ValueError(f"{name} must be a whole number, got {v}")
        if self.min > self.max:
            raise ValueError(f"minimum {_fmt(self.min)} is greater than maximum {_fmt(self.max)}")
        too_low = self.min <= self.lower if self.lower_open else self.min < self.lower
        if too_low:
            word = "greater than" if self.lower_open else "at least"
            raise ValueError(f"values must be {word} {_fmt(self.lower)}, got minimum {_fmt(self.min)}")
        if self.max > self.upper:
            raise ValueError(f"values must be at most {_fmt(self.upper)}, got maximum {_fmt(self.max)}")
        if self.step is not None and not (self.step > 0 and math.isfinite(self.step)):
            raise ValueError(f"step must be a positive number, got {self.step}")
        if self.step is not None and (self.max - self.min) / self.step + 1 > MAX_LATTICE_POINTS:
            # what a tiny step implies is what grid mode enumerates: bound it, not the bytes of the recipe
            points = (self.max - self.min) / self.step + 1
            raise ValueError(f"step {self.step:g} puts {points:.3g} values between {_fmt(self.min)} and "
                             f"{_fmt(self.max)}; at most {MAX_LATTICE_POINTS:,} (use a larger step)")
        return self

    @property
    def is_fixed(self) -> bool:
        return self.min == self.max

    def lattice_size(self) -> int:
        """How many values min + k·step lie inside [min, max] (with a step)."""
        assert self.step is not None
        return math.floor((self.max - self.min) / self.step + 1e-9) + 1

    def lattice_value(self, k: int) -> float:
        """The k-th lattice value, without building the list."""
        assert self.step is not None
        return self.min + k * self.step

    def lattice(self) -> list[float]:
        """The values min + k·step inside [min, max] (just [min, max] ends if no step)."""
        if self.step is None:
            return [self.min] if self.is_fixed else [self.min, self.max]
        return [self.lattice_value(k) for k in range(self.lattice_size())]

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        obj = handler(core_schema)
        bounds: dict[str, float] = {}
        if math.isfinite(cls.lower):
            bounds["exclusiveMinimum" if cls.lower_open else "minimum"] = cls.lower
        if math.isfinite(cls.upper):
            bounds["maximum"] = cls.upper
        number = {"type": "integer" if cls.integer else "number", **bounds}
        return {
            "anyOf": [number, {"type": "array", "items": number, "minItems": 2, "maxItems": 2}, obj],
        }


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def bounded(name: str, lower: float = -math.inf, upper: float = math.inf, *, lower_open: bool = False,
            integer: bool = False) -> type[Range]:
    """A Range subclass with its own bounds (one class per kind of quantity).

    The class belongs to the calling module (as `collections.namedtuple` does), so pickle finds it
    by name: worker processes receive recipes whose ranges are defined in any schema module."""
    module = sys._getframe(1).f_globals.get("__name__", __name__)
    return type(name, (Range,), {"lower": lower, "upper": upper, "lower_open": lower_open,
                                 "integer": integer, "__module__": module})


PositiveMM = bounded("PositiveMM", 0.0, 1e6, lower_open=True)
NonNegativeMM = bounded("NonNegativeMM", 0.0, 1e6)
YawDeg = bounded("YawDeg", -180.0, 180.0)
TiltDeg = bounded("TiltDeg", -90.0, 90.0)
AzimuthDeg = bounded("AzimuthDeg", -360.0, 360.0)
Unit = bounded("Unit", 0.0, 1.0)
Intensity = bounded("Intensity", 0.0, 2.0)
Energy = bounded("Energy", 0.0, 1e7)
Kelvin = bounded("Kelvin", 1000.0, 40000.0)
FStop = bounded("FStop", 0.5, 64.0)
Strength = bounded("Strength", 0.0, 1000.0)
LightCount = bounded("LightCount", 0, 16, integer=True)
ShapeCount = bounded("ShapeCount", 1, 64, integer=True)
NoiseScale = bounded("NoiseScale", 0.01, 1000.0)
