"""Seeded random LoihiLIF/LoihiDense graphs with integer inputs, for ``dtype="fixed"`` checks.

The draws reach every rule of ``spikesim.ir.fixed``: mantissas beyond 8 bits (clipping), all
three sign modes, fewer weight bits (truncation), negative and positive weight exponents
(floor shifts), per-synapse latencies, recurrence, biases with exponents, initial voltages,
graded integer inputs, and strong drive that wraps u and saturates v.
"""

from __future__ import annotations

import numpy as np

from spikesim.conformance.generate import Case
from spikesim.ir import Graph, Input, Output
from spikesim.ir.fixed import LoihiDense, LoihiLIF


def _edge(rng, graph: Graph, src: str, dst: str, min_latency: int, max_latency: int, strong: bool) -> None:
    n_out, n_in = graph.size(dst), graph.size(src)
    sign = rng.choice(["mixed", "excitatory", "inhibitory"], p=[0.6, 0.25, 0.15])
    magnitude = rng.integers(0, 300, (n_out, n_in))
    if sign == "mixed":
        weight = magnitude * rng.choice([-1, 1], (n_out, n_in))
    else:
        weight = magnitude if sign == "excitatory" else -magnitude
    weight[rng.random((n_out, n_in)) > 0.6] = 0
    if sign == "inhibitory" and not strong and rng.random() < 0.5:
        weight = -weight  # inhibition alone keeps a layer silent; keep some excitatory draws
    exp = int(rng.integers(3, 8)) if strong else int(rng.integers(-4, 3))
    delay = rng.integers(min_latency, max_latency + 1, (n_out, n_in))
    graph.add_edge(LoihiDense(
        src, dst, weight_mant=weight, weight_exp=exp,
        num_weight_bits=int(rng.choice([8, 8, 7, 5])), delay=delay,
        sign_mode=None if rng.random() < 0.7 else int(rng.integers(1, 4)) if sign == "mixed" else None,
    ))


def generate_fixed_case(seed: int, max_size: int = 10, max_steps: int = 40, max_batch: int = 2,
                        max_latency: int = 5) -> Case:
    """A random fixed-point graph (latencies >= 1, as Lava needs) and integer inputs."""
    rng = np.random.default_rng(seed)
    strong = rng.random() < 0.2  # drive hard enough to wrap u and clip v
    graph = Graph()
    graph.add("in", Input(int(rng.integers(1, max_size + 1))))
    pops = []
    for k in range(int(rng.integers(1, 4))):
        size = int(rng.integers(1, max_size + 1))
        pops.append(graph.add(f"p{k}", LoihiLIF(
            size, du=int(rng.integers(0, 4096)), dv=int(rng.integers(0, 4096)) if rng.random() < 0.8 else 0,
            vth_mant=int(rng.integers(1, 2**17)) if strong else int(rng.integers(1, 400)),
            bias_mant=rng.integers(-300, 300, size) if rng.random() < 0.4 else 0,
            bias_exp=int(rng.integers(0, 8)),
            v_init=rng.integers(-5000, 5000, size) if rng.random() < 0.3 else 0,
        )))
    _edge(rng, graph, "in", pops[0], 1, max_latency, strong)
    for a, b in zip(pops, pops[1:]):
        _edge(rng, graph, a, b, 1, max_latency, strong)
    if rng.random() < 0.4:
        p = str(rng.choice(pops))
        _edge(rng, graph, p, p, 1, max_latency, False)
    graph.add("out", Output(pops[-1]))
    steps, batch = int(rng.integers(5, max_steps + 1)), int(rng.integers(1, max_batch + 1))
    spikes = rng.random((steps, batch, graph.size("in"))) < rng.uniform(0.1, 0.5)
    values = rng.integers(1, 4, spikes.shape) if rng.random() < 0.3 else 1
    return Case(graph.validate(), {"in": (spikes * values).astype(np.float64)}, seed)
