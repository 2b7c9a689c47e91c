"""The numpy reference simulator: a direct, readable implementation of docs/semantics.md.

Delayed delivery is a *pull*: every source keeps a ring of its last ``max_latency + 1``
outputs, and a target sums ``W_L @ out[t - L]`` over the distinct latencies L of each edge.
"""

from __future__ import annotations

import numpy as np

from spikesim.backends.reference.pull import PullSimulator
from spikesim.backends.reference.step import PopulationState, initial_state, population_step
from spikesim.ir import Graph, Population, Sparse


class _Delivery:
    """One edge split by latency: dense (L, W_L) pairs, or sparse (L, post, pre, w) groups."""

    def __init__(self, edge, dtype) -> None:
        self.src, self.dst = edge.src, edge.dst
        self.out_size = edge.shape[0]
        self.bias = None if edge.bias is None else edge.bias.astype(dtype)
        self.sparse = isinstance(edge, Sparse)
        post, pre, weight, delay = edge.coo()
        self.groups = []
        for latency in np.unique(delay):
            sel = delay == latency
            if self.sparse:
                self.groups.append((int(latency), post[sel], pre[sel], weight[sel].astype(dtype)))
            else:
                w = np.zeros(edge.shape, dtype)
                w[post[sel], pre[sel]] = weight[sel]
                self.groups.append((int(latency), w))
        self.max_latency = max((g[0] for g in self.groups), default=0)

    def deliver(self, history: np.ndarray, t: int, x: np.ndarray) -> None:
        """Add this edge's contribution at step t into ``x`` [B, out]."""
        ring = history.shape[0]
        for group in self.groups:
            src = history[(t - group[0]) % ring]
            if self.sparse:
                _, post, pre, w = group
                contrib = src[:, pre] * w
                for b in range(x.shape[0]):
                    x[b] += np.bincount(post, weights=contrib[b], minlength=self.out_size)
            else:
                x += src @ group[1].T
        if self.bias is not None:
            x += self.bias


class ReferenceSimulator(PullSimulator):
    """float64 (or float32) numpy simulation, one step at a time."""

    backend = "reference"

    def __init__(self, graph: Graph, batch_size=None, dtype="float64", record=None) -> None:
        super().__init__(graph, batch_size, dtype, record)
        self.ring_dtype = self.dtype
        self.deliveries = [_Delivery(e, self.dtype) for e in graph.edges]
        self.coeffs = {
            name: {k: v.astype(self.dtype) for k, v in pop.coefficient_table().items()}
            for name, pop in graph.populations()
        }
        self._size_rings(self.deliveries)

    def _initial_state(self, name: str, batch: int) -> PopulationState:
        return initial_state(self.coeffs[name], batch, self.dtype)

    def _deliver(self, name: str, t: int, x: np.ndarray) -> None:
        for d in self.deliveries:
            if d.dst == name:
                d.deliver(self.history[d.src], t, x)

    def _update(self, name: str, state: PopulationState, x: np.ndarray):
        pop: Population = self.graph.nodes[name]
        return population_step(state, x, self.coeffs[name], pop.spiking, pop.reset, pop.refractory)
