"""The reference simulator in ``dtype="fixed"``: integer LoihiLIF/LoihiDense graphs, bit-exact
with lava-nc's ``fixed_pt`` models (``spikesim.ir.fixed`` gives the rules)."""

from __future__ import annotations

import numpy as np

from spikesim.backends.reference.fixed_step import FixedState, fixed_initial_state, fixed_lif_step
from spikesim.backends.reference.pull import PullSimulator
from spikesim.errors import GraphError, UnsupportedFeatureError
from spikesim.ir import Graph
from spikesim.ir.fixed import LoihiDense, LoihiLIF, shift_activation


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


class FixedReferenceSimulator(PullSimulator):
    """int64 numpy simulation of a LoihiLIF/LoihiDense graph; records v and i (Lava's u)."""

    backend = "reference"
    ring_dtype = np.int64

    def __init__(self, graph: Graph, batch_size=None, record=None) -> None:
        super().__init__(graph, batch_size, "fixed", record)
        check_fixed_graph(graph, self.backend)
        self.dtype = np.int64
        self.deliveries = [_FixedDelivery(e) for e in graph.edges]
        self.tables = {name: pop.integer_table() for name, pop in graph.populations()}
        self._size_rings(self.deliveries)

    def _initial_state(self, name: str, batch: int) -> FixedState:
        return fixed_initial_state(self.tables[name], batch)

    def _deliver(self, name: str, t: int, x: np.ndarray) -> None:
        for d in self.deliveries:
            if d.dst == name:
                d.deliver(self.history[d.src], t, x)

    def _update(self, name: str, state: FixedState, x: np.ndarray):
        return fixed_lif_step(state, x, self.tables[name])

    def _cast_input(self, name: str, array: np.ndarray) -> np.ndarray:
        return integer_inputs(name, array)
