"""The reference simulator in ``dtype="fixed"``: integer LoihiLIF/LoihiDense graphs, bit-exact
with lava-nc's ``fixed_pt`` models (``spikesim.ir.fixed`` gives the rules)."""

from __future__ import annotations

import numpy as np
from spikesim.backends.reference.fixed_step import FixedState, fixed_initial_state, fixed_lif_step

from spikesim.errors import GraphError, UnsupportedFeatureError
from spikesim.ir import Graph, Input
from spikesim.ir.fixed import LoihiDense, LoihiLIF, shift_activation
from spikesim.result import Recorder
from spikesim.simulator import Simulator


def check_fixed_graph(graph: Graph, backend: str) -> None:
    """Raise UnsupportedFeatureError unless every population is LoihiLIF and every edge LoihiDense."""
    for name, pop in graph.populations():
        if not isinstance(pop, LoihiLIF):
            raise UnsupportedFeatureError(
                f"backend {backend!r} cannot run node {name!r} in dtype='fixed': expected a LoihiLIF, "
                f"found {pop.kind} (convert the graph with spikesim.hardware.loihi_quantise.quantise)"
            )
    for edge in graph.edges:
        if not isinstance(edge, LoihiDense):
            raise UnsupportedFeatureError(
                f"backend {backend!r} cannot run edge {edge.src}->{edge.dst} in dtype='fixed': "
                f"expected a LoihiDense, found {edge.kind}"
            )


def integer_inputs(name: str, array: np.ndarray) -> np.ndarray:
    """Input values as int64; fixed point carries only whole spikes or graded integer counts."""
    if np.any(array != np.round(array)):
        raise GraphError(f"inputs[{name!r}]: dtype='fixed' needs integer values, found fractional ones")
    return array.astype(np.int64)


class _FixedDelivery:
    """One LoihiDense edge split by latency: (L, effective mantissas of latency L)."""

    def __init__(self, edge: LoihiDense) -> None:
        self.src, self.dst, self.weight_exp = edge.src, edge.dst, edge.weight_exp
        weight = edge.effective()
        self.groups = []
        for latency in np.unique(edge.delay[weight != 0]):
            self.groups.append((int(latency), np.where(edge.delay == latency, weight, 0)))
        self.max_latency = max((g[0] for g in self.groups), default=0)

    def deliver(self, history: np.ndarray, t: int, x: np.ndarray) -> None:
        """Add this edge's shifted activation at step t into ``x`` [B, out]."""
        ring = history.shape[0]
        for latency, weight in self.groups:
            # Lava shifts each latency group's sum on its own: floor(a) + floor(b) != floor(a + b).
            x += shift_activation(history[(t - latency) % ring] @ weight.T, self.weight_exp)


class FixedReferenceSimulator(Simulator):
    """int64 numpy simulation of a LoihiLIF/LoihiDense graph; records v and i (Lava's u)."""

    backend = "reference"

    def __init__(self, graph: Graph, batch_size=None, record=None) -> None:
        super().__init__(graph, batch_size, "fixed", record)
        check_fixed_graph(graph, self.backend)
        self.dtype = np.int64
        self.deliveries = [_FixedDelivery(e) for e in graph.edges]
        self.tables = {name: pop.integer_table() for name, pop in graph.populations()}
        self.ring = {name: 1 for name in self.order}
        for d in self.deliveries:
            self.ring[d.src] = max(self.ring[d.src], d.max_latency + 1)

    def _reset_stream(self, batch: int) -> None:
        self.t = 0
        self.states = {name: fixed_initial_state(table, batch) for name, table in self.tables.items()}
        self.history = {
            name: np.zeros((self.ring[name], batch, self.graph.size(name)), np.int64) for name in self.order
        }

    def advance(self, inputs: dict[str, np.ndarray]) -> dict[str, tuple]:
        """One step with integer inputs; returns {population: (StepOutput, FixedState)}."""
        t, produced = self.t, {}
        for name in self.order:
            ring = self.history[name]
            if isinstance(self.graph.nodes[name], Input):
                ring[t % ring.shape[0]] = inputs[name]
                continue
            a_in = np.zeros_like(self.states[name].v)
            for d in self.deliveries:
                if d.dst == name:
                    d.deliver(self.history[d.src], t, a_in)
            out, state = fixed_lif_step(self.states[name], a_in, self.tables[name])
            self.states[name] = state
            ring[t % ring.shape[0]] = out.out
            produced[name] = (out, state)
        self.t += 1
        return produced

    def _run(self, inputs, steps, batch, recorder: Recorder) -> None:
        self._reset_stream(batch)
        arrays = {name: integer_inputs(name, a) for name, a in inputs.items()}
        for t in range(steps):
            for name, (out, state) in self.advance({n: a[t] for n, a in arrays.items()}).items():
                for var, value in _probe_values(out, state).items():
                    recorder.write(t, name, var, value)

    def _step(self, inputs):
        produced = self.advance({name: integer_inputs(name, a) for name, a in inputs.items()})
        return {
            name: {var: _probe_values(*produced[name])[var] for var in variables}
            for name, variables in self.record.items()
        }


def _probe_values(out, state: FixedState) -> dict[str, np.ndarray]:
    return {"v": state.v, "i": state.i, "spikes": out.spikes}
