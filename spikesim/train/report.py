"""Run outputs for people: learning-curve and raster PNGs, progress bars, the summary table.

Progress bars (rich, with ETA) are shown only on an interactive terminal, never when ``CI``
is set or with ``--quiet``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from spikesim.io.atomic import atomic_path


def interactive(quiet: bool) -> bool:
    """Whether progress bars may be drawn."""
    return not quiet and sys.stdout.isatty() and not os.environ.get("CI")


class Progress:
    """A rich progress bar per epoch; prints one line per epoch when not interactive."""

    def __init__(self, enabled: bool, verbose: bool) -> None:
        self.verbose = verbose
        self._bar = None
        if enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), transient=False,
            )
            self._bar.start()

    def start(self, description: str, total: int):
        return self._bar.add_task(description, total=total) if self._bar else description

    def advance(self, task) -> None:
        if self._bar:
            self._bar.advance(task)

    def finish(self, task, record: dict[str, Any]) -> None:
        line = epoch_line(record)
        if self._bar:
            self._bar.update(task, description=line)
        elif self.verbose:
            print(line, flush=True)

    def close(self) -> None:
        if self._bar:
            self._bar.stop()


def epoch_line(r: dict[str, Any]) -> str:
    """One-line summary of an epoch record."""
    parts = [f"epoch {r['epoch']}"]
    if r["sigma"] is not None:  # None without delays
        parts.append(f"sigma {r['sigma']:.2f}")
    parts += [f"loss {r['train_loss']:.3f}", f"train {r['train_acc']:.3f}"]
    for key in ("val", "test"):
        if f"{key}_acc" in r:
            parts.append(f"{key} {r[f'{key}_acc']:.3f}")
    parts.append(f"{r['seconds']:.1f}s")
    return " | ".join(parts)


def _figure():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def learning_curve(history: list[dict[str, Any]], path: Path) -> None:
    """Loss and accuracy per epoch (train / validation / test) as a PNG."""
    plt = _figure()
    epochs = [h["epoch"] for h in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    for split in ("train", "val", "test"):
        if f"{split}_acc" in history[0]:
            label = "train (dropout, Gaussian delays)" if split == "train" else split
            ax_loss.plot(epochs, [h[f"{split}_loss"] for h in history], marker=".", label=label)
            ax_acc.plot(epochs, [h[f"{split}_acc"] for h in history], marker=".", label=label)
    ax_loss.set(xlabel="epoch", ylabel="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1))
    ax_acc.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


def raster(spikes: dict[str, np.ndarray], dt: float, label: int, path: Path) -> None:
    """Spike raster of one sample: ``spikes[layer]`` is [T, N] (bool), one panel per layer."""
    plt = _figure()
    fig, axes = plt.subplots(len(spikes), 1, figsize=(8, 2.2 * len(spikes)), sharex=True, squeeze=False)
    for ax, (name, s) in zip(axes[:, 0], spikes.items()):
        t, n = np.nonzero(np.asarray(s))
        ax.scatter(t * dt * 1000, n, s=1, c="k")
        ax.set(ylabel=f"{name}\nneuron", ylim=(-0.5, s.shape[1] - 0.5))
    axes[-1, 0].set_xlabel("time (ms)")
    axes[0, 0].set_title(f"test sample 0 (label {label}), reference backend")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


def summary_table(metrics: dict[str, Any]) -> str:
    """The final summary as text (a rich table when rich is installed)."""
    rows = [("run", metrics["name"])]
    sel = metrics["selection"]
    rows.append(("epochs", str(sel["last_epoch"])))
    if "val_selected_test_acc" in sel:
        rows.append((f"test acc (val-selected, epoch {sel['val_best_epoch']})", f"{sel['val_selected_test_acc']:.4f}"))
    rows.append(("test acc (last epoch)", f"{sel['last_test_acc']:.4f}"))
    for name, r in metrics.get("backends", {}).items():
        if name == "torch_float64":
            rows.append(("torch eval float64 (rounded delays)", f"{r['acc']:.4f}"))
        elif r.get("available"):
            same = "same predictions" if r["same_predictions_as_torch"] else f"{r['mismatched_predictions']} differ"
            rows.append((f"backend {name}", f"{r['acc']:.4f} ({same})"))
        else:
            rows.append((f"backend {name}", f"unavailable: {r['reason']}"))
    if "nodelay" in metrics:
        rows.append(("no-delay comparison: test acc (last epoch)", f"{metrics['nodelay']['last_test_acc']:.4f}"))
    try:
        from io import StringIO

        from rich.console import Console
        from rich.table import Table
    except ImportError:
        return "\n".join(f"{k}: {v}" for k, v in rows)
    table = Table(title="spikesim run summary")
    table.add_column("metric")
    table.add_column("value")
    for key, value in rows:
        table.add_row(key, value)
    buf = StringIO()
    Console(file=buf, width=100).print(table)
    return buf.getvalue()
