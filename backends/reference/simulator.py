"""The numpy reference simulator: a direct, readable implementation of docs/semantics.md.

Delayed delivery is a *pull*: every source keeps a ring of its last ``max_latency + 1``
outputs, and a target sums ``W_L @ out[t - L]`` over the distinct latencies L of each edge.
"""

from __future__ import annotations

import numpy as np
from spikesim.backends.reference.step import PopulationState, initial_state, population_step

from spikesim.ir import Graph, Input, Population, Sparse
from spikesim.result import Recorder
from spikesim.simulator import Simulator


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


class ReferenceSimulator(Simulator):
    """float64 (or float32) numpy simulation, one step at a time."""

    backend = "reference"

    def __init__(self, graph: Graph, batch_size=None, dtype="float64", record=None) -> None:
        super().__init__(graph, batch_size, dtype, record)
        self.deliveries = [_Delivery(e, self.dtype) for e in graph.edges]
        self.coeffs = {
            name: {k: v.astype(self.dtype) for k, v in pop.coefficient_table().items()}
            for name, pop in graph.populations()
        }
        self.ring = {name: 1 for name in self.order}
        for d in self.deliveries:
            self.ring[d.src] = max(self.ring[d.src], d.max_latency + 1)

    def _reset_stream(self, batch: int) -> None:
        self.t = 0
        self.states = {
            name: initial_state(self.coeffs[name], batch, self.dtype) for name, _ in self.graph.populations()
        }
        self.history = {
            name: np.zeros((self.ring[name], batch, self.graph.size(name)), self.dtype) for name in self.order
        }

    def advance(self, inputs: dict[str, np.ndarray]) -> dict[str, tuple]:
        """One step; returns {population: (StepOutput, new PopulationState)}."""
        t, produced = self.t, {}
        for name in self.order:
            node = self.graph.nodes[name]
            ring = self.history[name]
            if isinstance(node, Input):
                ring[t % ring.shape[0]] = inputs[name]
                continue
            x = np.zeros_like(self.states[name].v)
            for d in self.deliveries:
                if d.dst == name:
                    d.deliver(self.history[d.src], t, x)
            pop: Population = node
            out, state = population_step(
                self.states[name], x, self.coeffs[name], pop.spiking, pop.reset, pop.refractory
            )
            self.states[name] = state
            ring[t % ring.shape[0]] = out.out
            produced[name] = (out, state)
        self.t += 1
        return produced

    def _run(self, inputs, steps, batch, recorder: Recorder) -> None:
        self._reset_stream(batch)
        for t in range(steps):
            produced = self.advance({name: a[t].astype(self.dtype) for name, a in inputs.items()})
            for name, (out, state) in produced.items():
                for var, value in _probe_values(out, state).items():
                    recorder.write(t, name, var, value)

    def _step(self, inputs):
        produced = self.advance({name: a.astype(self.dtype) for name, a in inputs.items()})
        return {
            name: {var: _probe_values(*produced[name])[var] for var in variables}
            for name, variables in self.record.items()
        }


def _probe_values(out, state: PopulationState) -> dict[str, np.ndarray]:
    values = {"v": state.v, "i": state.i, "v_pre": out.v_pre}
    if out.spikes is not None:
        values["spikes"] = out.spikes
    return values
