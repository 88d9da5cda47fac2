"""`facesynth-models`: train, predict, evaluate, validate, describe. Thin: parses, calls, prints, exits.

Exit codes: 0 success; 1 a failure during work (or `validate` found problems); 2 a usage/input error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Train and evaluate networks on facesynth datasets, and validate datasets.")


@app.command()
def train(config: Annotated[Path, typer.Argument(help="Training config YAML (see docs/models.md).")]) -> None:
    """Train (or resume) one network and evaluate it on the held-out split."""
    from facesynth_models.train import train as run_train

    summary = run_train(config)
    for name, s in summary.items():
        if isinstance(s, dict) and "mean" in s:
            typer.echo(f"{name}: " + ", ".join(f"{k} {v:.4f}" for k, v in s["mean"].items()))
    c = summary.get("consistency") or {}
    for name, r in (("model", c), ("mean baseline", c.get("mean baseline") or {})):
        for key in ("cross_view_error_mm", "temporal_error_mm"):
            if key in r:
                typer.echo(f"{name}: {key} {r[key]:.3f} ({r['pairs']} pairs)")


@app.command()
def predict(
    run_dir: Annotated[Path, typer.Argument(help="A training run's 'out' directory (has best.pt).")],
    dataset: Annotated[Path, typer.Option("--dataset", help="Dataset to predict.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for <id>.<kind>.npy files.")],
    split: Annotated[str, typer.Option("--split", help="train, val, test or all.")] = "test",
) -> None:
    """Write a trained network's predictions, one file per sample id (the format `evaluate` reads)."""
    from facesynth_models.predict import predict_run

    n, kind = predict_run(run_dir, dataset, out, None if split == "all" else split)
    typer.echo(f"wrote {n} {kind} predictions to {out}")


@app.command()
def evaluate(
    dataset: Annotated[Path, typer.Argument(help="The facesynth dataset with the ground truth.")],
    pred: Annotated[Path, typer.Option("--pred", help="Directory of <id>.<kind>.npy predictions.")],
    kind: Annotated[str, typer.Option("--kind", help="depth, posmap or vertices.")] = "depth",
    out: Annotated[Path, typer.Option("--out", help="Report directory (metrics.json, ced.png, report.md).")] = Path(
        "eval-report"),
    baseline: Annotated[bool, typer.Option("--baseline", help="Also score the train split's mean.")] = False,
    vertex_stride: Annotated[int, typer.Option("--vertex-stride", help="Predictions hold every k-th vertex.")] = 1,
) -> None:
    """Score someone's predictions against a facesynth dataset: JSON + CED PNG + markdown report."""
    from facesynth_models.predict import evaluate_dir

    summary = evaluate_dir(dataset, pred, kind, out, baseline, vertex_stride)
    for name, s in summary.items():
        typer.echo(f"{name}: {s['count']} samples, " + ", ".join(f"{k} {v:.4f}" for k, v in s["mean"].items()))
    typer.echo(f"report: {out / 'report.md'}")


@app.command()
def validate(
    dataset: Annotated[Path, typer.Argument(help="Dataset directory or WebDataset shards.")],
    out: Annotated[Path, typer.Option("--out", help="Report directory.")],
    epochs: Annotated[int, typer.Option(
        "--epochs", help="Epochs of the DepthNet learnability run (the position-map run has its own schedule).")] = 6,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    integrity_only: Annotated[bool, typer.Option("--integrity-only", help="Skip the learnability runs.")] = False,
    learn: Annotated[str, typer.Option("--learn", help="Learnability checks to run: depth,posmap.")] = "depth,posmap",
) -> None:
    """Integrity (labels re-derived and cross-checked) and learnability (beat the mean baselines)."""
    from facesynth_models.config import UsageError
    from facesynth_models.validate import validate as run_validate

    only = tuple(t.strip() for t in learn.split(",") if t.strip())
    if not only or set(only) - {"depth", "posmap"}:
        raise UsageError(f"--learn: expected a comma-separated subset of depth,posmap, got {learn!r}")
    ok = run_validate(dataset, out, epochs=epochs, seed=seed, learnability=not integrity_only, only=only)
    doc = json.loads((out / "validate.json").read_text())
    for sid, reasons in sorted(doc["integrity"]["broken"].items()):
        typer.echo(f"broken sample {sid}: {'; '.join(reasons)}")
    for task, r in doc["learnability"].items():
        typer.echo(f"learnability {task}: {r['metric']} {r['model']:.4f} vs mean baseline {r['mean_baseline']:.4f} "
                   f"({'PASS' if r['passed'] else 'FAIL'})")
    typer.echo(f"{'PASS' if ok else 'FAIL'}: report in {out / 'report.md'}")
    if not ok:
        raise typer.Exit(1)


@app.command()
def describe(size: Annotated[int, typer.Option("--size", help="Position-map size.")] = 256) -> None:
    """Print each network's input -> output shapes and parameter count."""
    import torch

    from facesynth_models.config import ModelConfig
    from facesynth_models.nets import PRN, DepthNet, ShapeRegressor, TwoImagePRN, count_parameters, norm_kind
    from facesynth_models.tasks import norm_for

    with norm_kind(norm_for("posmap", ModelConfig())):  # the layers training builds
        prn, two = PRN(size), TwoImagePRN(size)
    for name, model, shape in (("DepthNet", DepthNet(), (1, 3, 128, 128)), ("PRN", prn, (1, 3, size, size)),
                               ("TwoImagePRN", two, (1, 6, size, size)),
                               ("ShapeRegressor (N=1000)", ShapeRegressor(1000), (1, 3, 128, 128))):
        model.eval()
        with torch.no_grad():
            y = model(torch.zeros(shape))
        typer.echo(f"{name}: {tuple(shape)} -> {tuple(y.shape)}, {count_parameters(model):,} parameters")


def main(argv: list[str] | None = None) -> None:
    from facesynth.errors import one_line_errors

    with one_line_errors():
        app(args=argv, prog_name="facesynth-models", standalone_mode=True)


if __name__ == "__main__":
    main()
