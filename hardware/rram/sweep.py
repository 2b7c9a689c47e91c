"""Accuracy against read noise, ADC bits and drift time, one axis at a time, and its plot.

Accuracy is measured against ``labels`` when given, otherwise against the predictions of the
reference backend on the same inputs (agreement with the ideal network). A prediction is the
argmax over the output population of spike counts (spiking) or of the mean membrane (LI).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from spikesim.errors import ConfigError
from spikesim.hardware.rram.config import MacroConfig
from spikesim.io.atomic import atomic_path
from spikesim.ir import Graph

#: Default values per axis: relative read-noise σ, ADC bits (None: ideal), drift time in s.
DEFAULT_AXES: dict[str, list] = {
    "read_noise_rel": [0.0, 0.01, 0.02, 0.05, 0.1, 0.2],
    "adc_bits": [2, 3, 4, 5, 6, 8, None],
    "drift_time_s": [1.0, 1e2, 1e4, 1e6, 1e8],
}


@dataclass
class SweepPoint:
    """One simulated configuration: the swept field, its value, accuracy and energy."""

    axis: str
    value: float | None
    accuracy: float
    energy_pj_per_sample: float


def output_node(graph: Graph) -> str:
    """The population predictions are read from: the first Output's source, else the last
    population in update order."""
    outputs = graph.outputs()
    if outputs:
        return next(iter(outputs.values()))
    populations = [n for n in graph.update_order() if n in dict(graph.populations())]
    return populations[-1]


def predict(result, graph: Graph, node: str | None = None) -> np.ndarray:
    """Class per sample [B] from a run's output population."""
    node = node or output_node(graph)
    if graph.nodes[node].spiking:
        return np.asarray(result.spikes[node]).sum(axis=0).argmax(axis=1)
    return np.asarray(result.states[node]["v"]).mean(axis=0).argmax(axis=1)


def sweep(graph: Graph, inputs, labels: np.ndarray | None = None, base: MacroConfig | None = None,
          axes: dict[str, list] | None = None, seed: int = 0, repeats: int = 1) -> list[SweepPoint]:
    """Run the rram backend for every value of every axis (the other fields as ``base``,
    default the ideal macro); ``repeats`` seeds per point are averaged."""
    import spikesim

    base = base or MacroConfig.ideal()
    axes = DEFAULT_AXES if axes is None else axes
    node = output_node(graph)
    record = {node: ["spikes"] if graph.nodes[node].spiking else ["v"]}
    if labels is None:
        labels = predict(spikesim.compile(graph, "reference", record=record).run(inputs), graph, node)
    labels = np.asarray(labels)
    points = []
    for axis, values in axes.items():
        if axis not in MacroConfig.__dataclass_fields__:
            raise ConfigError(f"sweep axis {axis!r}: not a MacroConfig field")
        for value in values:
            cfg = replace(base, **{axis: value})
            acc, energy = [], []
            for r in range(repeats):
                result = spikesim.compile(graph, "rram", config=cfg, seed=seed + r, record=record).run(inputs)
                acc.append(float(np.mean(predict(result, graph, node) == labels)))
                energy.append(result.hardware.energy_per_sample_pj)
            points.append(SweepPoint(axis, value, float(np.mean(acc)), float(np.mean(energy))))
    return points


def plot(points: list[SweepPoint], path: str | os.PathLike, title: str = "") -> Path:
    """One panel per axis, accuracy against value; written atomically (png/pdf/svg by suffix)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes = list(dict.fromkeys(p.axis for p in points))
    fig, panels = plt.subplots(1, len(axes), figsize=(4 * len(axes), 3.2), squeeze=False)
    for panel, axis in zip(panels[0], axes):
        pts = [p for p in points if p.axis == axis]
        labels = ["ideal" if p.value is None else f"{p.value:g}" for p in pts]
        panel.plot(range(len(pts)), [p.accuracy for p in pts], "o-")
        panel.set_xticks(range(len(pts)), labels, rotation=45)
        panel.set_xlabel(axis)
        panel.set_ylim(0, 1.02)
        panel.grid(alpha=0.3)
    panels[0][0].set_ylabel("accuracy")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=120)
    plt.close(fig)
    return path


def as_rows(points: list[SweepPoint]) -> list[dict]:
    """JSON-friendly rows."""
    return [asdict(p) for p in points]
