"""Error types that are part of facesynth's interface.

A `UserError` is the user's to fix (bad recipe, missing file, wrong checksum): the CLI prints its
one-line message without a traceback and exits 2. A `WorkError` is a failure while working
(a render crashed, a disk filled up): exit 1. Messages name the field, file or sample.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


class FacesynthError(Exception):
    """Base class of every error facesynth raises on purpose."""

    exit_code = 1


class UserError(FacesynthError):
    """Bad input: a recipe, a path, an option, a corrupt asset. Exit code 2."""

    exit_code = 2


class WorkError(FacesynthError):
    """A failure while doing valid work (render, write, export). Exit code 1."""

    exit_code = 1


class MissingDependencyError(UserError):
    """An optional dependency (bpy, torch) is needed for this command and is not installed."""


def quoted(value: object, limit: int = 120) -> str:
    """repr() of a value taken from user input, cut to about `limit` characters: a message never
    echoes an unbounded input (a 10 MB string in a recipe field)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


@contextmanager
def one_line_errors() -> Iterator[None]:
    """What a facesynth command line (facesynth's, facesynth-models') does with an error of ours or
    a Ctrl-C: one line on stderr and the documented exit code, never a traceback."""
    try:
        yield
    except FacesynthError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
