"""Where bench figures go: the machine described, and dated rows appended to bench/RESULTS.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "RESULTS.md"
HEADER = """# Bench results

Appended by `python -m bench` (and `bench/soak.py`, `bench/scaling.py`): one block per run, with the
machine, the exact command and one dated row per figure. Every figure is a ratio of two times (or
sizes) measured in the same run, so it says something even on a busy machine; seconds are given
beside it for context only. Older rows are never edited.
"""


@dataclass(frozen=True)
class Figure:
    name: str
    ratio: float | None
    """The figure itself (None when it could not be measured; `detail` says why)."""
    detail: str
    """What was divided by what, with the seconds (context only)."""
    target: str = ""


def machine() -> str:
    """Cores, CPU model, memory, load, Python and bpy versions, and the commit measured."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        info = Path("/proc/meminfo").read_text().splitlines()
        kb = int(next(ln for ln in info if ln.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1e6:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    load = f", load average {os.getloadavg()[0]:.1f} at start" if hasattr(os, "getloadavg") else ""
    try:
        bpy_version = metadata.version("bpy")
    except metadata.PackageNotFoundError:
        bpy_version = "not installed"
    return (f"{os.cpu_count()} cores ({usable} usable), {model}{mem}{load}; Python {platform.python_version()}, "
            f"bpy {bpy_version}; {platform.system()} {platform.release()}; commit {_commit()}")


def _commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def command_line() -> str:
    return " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.orig_argv[1:]])


def append_run(title: str, figures: list[Figure], *, machine_text: str, command: str, note: str = "",
               path: Path = RESULTS, started: dt.datetime | None = None) -> None:
    """Append one run's block: heading, machine, command, then a dated row per figure."""
    now = (started or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"\n## {now}: {title}\n", f"- command: `{command}`", f"- machine: {machine_text}"]
    if note:
        lines.append(f"- note: {note}")
    lines += ["", "| date | figure | ratio | measured | target |", "|---|---|---|---|---|"]
    for f in figures:
        ratio = "n/a" if f.ratio is None else f"{f.ratio:.3g}"
        lines.append(f"| {now} | {f.name} | {ratio} | {f.detail} | {f.target} |")
    text = "\n".join(lines) + "\n"
    if not path.exists():
        text = HEADER + text
    with open(path, "a", encoding="utf-8") as out:
        out.write(text)


def append_table(title: str, table_md: str, *, machine_text: str, command: str, note: str = "",
                 path: Path = RESULTS) -> None:
    """Append a run whose result is a table (soak, scaling) rather than single figures."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"\n## {now}: {title}\n", f"- command: `{command}`", f"- machine: {machine_text}"]
    if note:
        lines.append(f"- note: {note}")
    text = "\n".join(lines) + "\n\n" + table_md.rstrip() + "\n"
    if not path.exists():
        text = HEADER + text
    with open(path, "a", encoding="utf-8") as out:
        out.write(text)
