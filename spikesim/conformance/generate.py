"""Seeded generation of random valid graphs and inputs within a backend's capabilities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikesim.capabilities import Capabilities
from spikesim.ir import IF, LI, LIF, Graph, Input, Output, Population, Sparse

#: Largest latency drawn (steps); small so ring buffers wrap within short runs.
MAX_DRAWN_LATENCY = 6


@dataclass
class Case:
    """One conformance example: a graph, inputs {name: [T, B, N]} and the seed that made it."""

    graph: Graph
    inputs: dict[str, np.ndarray]
    seed: int

    def __repr__(self) -> str:  # hypothesis prints this on failure: keep it short and useful
        kinds = {n: v.kind for n, v in self.graph.nodes.items()}
        t, b, _ = next(iter(self.inputs.values())).shape
        return f"Case(seed={self.seed}, nodes={kinds}, edges={len(self.graph.edges)}, T={t}, B={b})"


def _population(rng, kind: str, size: int, graph: Graph, caps: Capabilities) -> Population:
    spiking_fields = {}
    if kind != "LI":
        spiking_fields = dict(
            v_th=rng.uniform(0.6, 1.4),
            v_reset=rng.uniform(-0.3, 0.2) if rng.random() < 0.5 else 0.0,
            reset=str(rng.choice(caps.reset_modes)),
            refractory=int(rng.integers(0, 4)) if caps.refractory and rng.random() < 0.4 else 0,
        )
    bias = rng.uniform(-0.05, 0.1, size) if "neuron" in caps.bias_placement and rng.random() < 0.3 else 0.0
    if kind == "IF":
        pop = IF(size, current_gain=rng.uniform(0.2, 0.6), bias=bias, **spiking_fields)
    elif rng.random() < 0.5 and not caps.fixed_coefficients:
        cls = LIF if kind == "LIF" else LI
        pop = cls.from_tau(
            size,
            tau_mem=rng.uniform(3e-3, 30e-3, size),
            tau_syn=0.0 if rng.random() < 0.3 else rng.uniform(2e-3, 10e-3),
            dt=graph.dt,
            method=graph.discretisation,
            r=rng.uniform(1.0, 3.0),
            v_leak=rng.uniform(-0.1, 0.1) if rng.random() < 0.3 else 0.0,
            bias=bias,
            **spiking_fields,
        )
    else:
        cls = LIF if kind == "LIF" else LI
        pop = cls(
            size,
            alpha=0.0 if rng.random() < 0.3 else rng.uniform(0.3, 0.95),
            beta=rng.uniform(0.5, 0.98, size),
            input_gain=rng.uniform(0.5, 1.5),
            current_gain=rng.uniform(0.2, 1.0),
            bias=bias,
            v_init=rng.uniform(-0.2, 0.5, size) if rng.random() < 0.3 else 0.0,
            **spiking_fields,
        )
    for name, value in caps.fixed_coefficients:
        setattr(pop, name, np.full(size, float(value)))
    return pop


def _edge(rng, graph: Graph, caps: Capabilities, src: str, dst: str, min_latency: int, density: float):
    n_out, n_in = graph.size(dst), graph.size(src)
    hi = min(MAX_DRAWN_LATENCY, caps.max_latency if caps.max_latency is not None else MAX_DRAWN_LATENCY)
    lo = max(min_latency, caps.min_latency)
    hi = max(hi, lo)
    # Scale so a typical step's summed input is O(threshold): activity neither silent nor saturated.
    scale = 1.6 / np.sqrt(max(1.0, n_in * density))
    weight = rng.normal(0.35, 0.8, (n_out, n_in)) * scale
    weight[rng.random((n_out, n_in)) > 0.7] = 0.0
    delay = rng.integers(lo, hi + 1, (n_out, n_in)) if rng.random() < 0.8 else int(rng.integers(lo, hi + 1))
    bias = None
    if "projection" in caps.bias_placement and rng.random() < 0.2:
        bias = rng.uniform(-0.05, 0.1, n_out)
    if "Sparse" in caps.projection_types and rng.random() < 0.4:
        graph.add_edge(Sparse.from_dense(src, dst, weight, delay=delay, bias=bias))
    else:
        graph.connect(src, dst, weight, delay=delay, bias=bias)


def generate_case(
    caps: Capabilities, seed: int, max_size: int = 12, max_steps: int = 40, max_batch: int = 3
) -> Case:
    """A random graph within ``caps`` and inputs, fully determined by ``seed``.

    Chains of 1-3 populations fed by 1-2 inputs, with optional skip, recurrent (latency >= 1)
    and backward edges, per-synapse latencies, both reset modes, refractory periods, biases
    and sparse projections, as far as ``caps`` allows.
    """
    rng = np.random.default_rng(seed)
    graph = Graph(dt=1e-3, discretisation=str(rng.choice(caps.discretisations)))
    n_inputs = 2 if rng.random() < 0.25 else 1
    inputs = [graph.add(f"in{k}", Input(int(rng.integers(1, max_size + 1)))) for k in range(n_inputs)]
    spiking_kinds = [k for k in ("LIF", "IF") if k in caps.node_types]
    n_pops = int(rng.integers(1, 4))
    pops = []
    for k in range(n_pops):
        is_last = k == n_pops - 1
        kind = "LI" if is_last and "LI" in caps.node_types and rng.random() < 0.3 else str(rng.choice(spiking_kinds))
        pops.append(graph.add(f"p{k}", _population(rng, kind, int(rng.integers(1, max_size + 1)), graph, caps)))
    density = rng.uniform(0.05, 0.4)
    graded = caps.graded_input and rng.random() < 0.3
    for src in inputs:
        _edge(rng, graph, caps, src, pops[0], 0, density)
    for a, b in zip(pops, pops[1:]):
        _edge(rng, graph, caps, a, b, 0, 0.2)
    spiking_pops = [p for p in pops if graph.nodes[p].spiking]
    if spiking_pops and rng.random() < 0.4:
        p = str(rng.choice(spiking_pops))
        _edge(rng, graph, caps, p, p, 1, 0.2)
    if len(spiking_pops) > 1 and rng.random() < 0.3:
        _edge(rng, graph, caps, spiking_pops[-1], spiking_pops[0], 1, 0.2)
    if len(pops) > 1 and rng.random() < 0.3:
        _edge(rng, graph, caps, inputs[-1], pops[-1], 0, density)
    graph.add("out", Output(pops[-1]))
    steps, batch = int(rng.integers(5, max_steps + 1)), int(rng.integers(1, max_batch + 1))
    data = {}
    for name in inputs:
        spikes = (rng.random((steps, batch, graph.size(name))) < density).astype(np.float64)
        data[name] = spikes * rng.uniform(0.2, 2.0, spikes.shape) if graded else spikes
    return Case(graph.validate(), data, seed)


def generate_cases(
    caps: Capabilities, n: int, seed: int = 0, **kwargs
) -> tuple[list[Case], int]:
    """``n`` margin-respecting cases from consecutive seeds, and how many draws were rejected."""
    from spikesim.conformance.check import FLOAT_POLICY, threshold_margin

    found, rejected, s = [], 0, seed
    while len(found) < n:
        case = generate_case(caps, s, **kwargs)
        s += 1
        if FLOAT_POLICY.margin_ok(case.graph, threshold_margin(case.graph, case.inputs)):
            found.append(case)
        else:
            rejected += 1
    return found, rejected
