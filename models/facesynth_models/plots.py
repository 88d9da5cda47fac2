"""PNG plots: CED curves and loss curves (matplotlib's Agg backend, no display)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def plot_ced(curves: dict[str, Any], path: Path, title: str, xlabel: str) -> None:
    fig, ax = plt.subplots(figsize=(5, 3.6), dpi=100)
    for name, c in curves.items():
        ax.plot(c.thresholds, c.fraction * 100.0, label=f"{name} (AUC {c.auc():.3f})")
    ax.set(xlabel=xlabel, ylabel="samples at or below (%)", title=title, ylim=(0, 101))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_losses(history: list[dict[str, Any]], path: Path, title: str) -> None:
    fig, ax = plt.subplots(figsize=(5, 3.6), dpi=100)
    epochs = [h["epoch"] for h in history]
    ax.plot(epochs, [h["train_loss"] for h in history], "o-", label="train")
    ax.plot(epochs, [h["val_loss"] for h in history], "s-", label="validation")
    ax.set(xlabel="epoch", ylabel="loss", title=title, yscale="log")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
