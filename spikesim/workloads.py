"""The standard benchmark workloads as spikesim graphs (the peer harness's W2 and W3 shapes).

A workload is a dict in the peer harness's ``.npz`` layout: weights ``W[pre, post]``, stored
delays ``d`` (latency ``L = d + latency_offset`` steps), inputs ``[T, batch, n]`` spikes and the
neuron constants ``alpha, beta, theta`` (current decay, membrane decay, threshold; reset to 0,
all state starting at 0). ``load_workload`` reads one from the harness's file, ``graph_for``
turns one into a Graph; ``synthetic_w2``/``w3`` draw seeded workloads of the same shapes and
statistics without the harness.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spikesim.errors import ConfigError
from spikesim.ir import LIF, Graph, Input

#: W2 ``shd-delay-inference``: layer sizes, steps, stored delays 0..24, (mean, sd) per layer.
W2_SIZES = (140, 256, 256, 20)
W2_STEPS, W2_MAX_DELAY = 100, 24
W2_WEIGHT_STATS = ((0.002, 0.030), (0.002, 0.020), (0.002, 0.030))
#: W3 ``lsm-reservoir``: inputs, reservoir, steps, recurrent connectivity, excitatory share.
W3_INPUTS, W3_RESERVOIR, W3_STEPS, W3_P_REC, W3_EXCITATORY = 256, 200, 50, 0.2, 0.8
INPUT_RATE = 0.05


def load_workload(path: str | Path) -> dict:
    """A harness workload ``.npz`` as a dict; its 0-d entries (metadata) as Python scalars."""
    with np.load(path, allow_pickle=False) as z:
        return {k: (z[k].item() if z[k].ndim == 0 else z[k]) for k in z.files}


def _lif(size: int, wl: dict) -> LIF:
    return LIF(size, alpha=float(wl["alpha"]), beta=float(wl["beta"]), v_th=float(wl["theta"]))


def graph_for(wl: dict) -> tuple[Graph, np.ndarray]:
    """(graph, inputs [T, B, n] bool spike raster) for a W2 (``shd-delay``) or W3 (``lsm``)
    workload."""
    offset = int(wl["latency_offset"])
    graph = Graph(metadata={"workload": str(wl.get("name", wl["kind"]))})
    if wl["kind"] == "shd-delay":
        sizes = [int(s) for s in wl["sizes"]]
        names = ["in", "h1", "h2", "out"]
        graph.add("in", Input(sizes[0]))
        for k in range(1, 4):
            graph.add(names[k], _lif(sizes[k], wl))
            delay = np.asarray(wl[f"d{k}"], np.int64).T + offset
            graph.connect(names[k - 1], names[k], np.asarray(wl[f"w{k}"]).T, delay=delay)
    elif wl["kind"] == "lsm":
        graph.add("in", Input(int(np.shape(wl["w_in"])[0])))
        graph.add("res", _lif(int(np.shape(wl["w_in"])[1]), wl))
        graph.connect("in", "res", np.asarray(wl["w_in"]).T, delay=offset)
        graph.connect("res", "res", np.asarray(wl["w_rec"]).T, delay=offset)
    else:
        raise ConfigError(
            f"workload {wl.get('name')!r}: field kind: expected 'shd-delay' or 'lsm', got {wl['kind']!r}"
        )
    return graph.validate(), np.asarray(wl["input"]) != 0


def _spikes(rng: np.random.Generator, steps: int, batch: int, n: int) -> np.ndarray:
    """Bernoulli spikes; each (sample, channel) has its own rate ~ U(0, 2 * INPUT_RATE)."""
    rate = rng.uniform(0.0, 2.0 * INPUT_RATE, (1, batch, n))
    return (rng.random((steps, batch, n)) < rate).astype(np.uint8)


def synthetic_w2(seed: int = 0, batch: int = 64) -> dict:
    """A seeded W2-shaped workload: 140->256->256->20 CUBA LIF, per-synapse delays, T = 100."""
    rng = np.random.default_rng(seed)
    wl = {
        "name": "shd-delay-inference",
        "kind": "shd-delay",
        "sizes": np.array(W2_SIZES),
        "alpha": 0.8,
        "beta": 0.9,
        "theta": 1.0,
        "latency_offset": 1,
        "T": W2_STEPS,
        "batch": batch,
    }
    for k, (mean, sd) in enumerate(W2_WEIGHT_STATS, start=1):
        shape = (W2_SIZES[k - 1], W2_SIZES[k])
        wl[f"w{k}"] = rng.normal(mean, sd, shape).astype(np.float32).astype(np.float64)
        wl[f"d{k}"] = rng.integers(0, W2_MAX_DELAY + 1, shape)
    wl["input"] = _spikes(rng, W2_STEPS, batch, W2_SIZES[0])
    return wl


def synthetic_w3(seed: int = 0, samples: int = 1000) -> dict:
    """A seeded W3-shaped workload: 256 inputs -> 200-LIF reservoir (20 % recurrent, Dale signs)."""
    rng = np.random.default_rng(seed)
    n_in, n = W3_INPUTS, W3_RESERVOIR
    mask = rng.random((n, n)) < W3_P_REC
    np.fill_diagonal(mask, False)
    excitatory = rng.random(n) < W3_EXCITATORY
    magnitude = np.abs(rng.normal(0.0, 0.1, (n, n)))
    w_rec = np.where(mask, np.where(excitatory[:, None], magnitude, -4.0 * magnitude), 0.0)
    return {
        "name": "lsm-reservoir",
        "kind": "lsm",
        "alpha": 0.0,
        "beta": 0.9,
        "theta": 1.0,
        "latency_offset": 1,
        "T": W3_STEPS,
        "batch": samples,
        "n_samples": samples,
        "w_in": rng.normal(0.0, 0.1, (n_in, n)).astype(np.float32).astype(np.float64),
        "w_rec": w_rec.astype(np.float32).astype(np.float64),
        "input": _spikes(rng, W3_STEPS, samples, n_in),
    }


def synaptic_events(graph: Graph, inputs: np.ndarray, spikes: dict[str, np.ndarray]) -> int:
    """Σ over edges of (presynaptic spikes x that neuron's fan-out), the harness's event count.

    ``spikes`` holds [T, B, n] spike trains of the populations; Input spikes come from ``inputs``.
    """
    total = 0
    for edge in graph.edges:
        post, pre, weight, _ = edge.coo()
        fan_out = np.bincount(pre[weight != 0], minlength=edge.shape[1])
        train = inputs if edge.src in graph.inputs() else np.asarray(spikes[edge.src])
        total += int(np.dot(np.count_nonzero(train, axis=(0, 1)), fan_out))
    return total
