"""The rram Simulator: projections as crossbar reads on simulated macros, neurons digital.

Neurons use the reference step functions (``population_step``), as the paper keeps them in
digital logic. Every run starts its read-noise generator from the seed, so a compiled
simulator gives the same result for the same inputs; the report of the last run is
``result.hardware`` (an :class:`EnergyReport`).
"""

from __future__ import annotations

import numpy as np

from spikesim.backends.reference.pull import PullSimulator
from spikesim.backends.reference.step import initial_state, population_step
from spikesim.hardware.rram.config import MacroConfig
from spikesim.hardware.rram.energy import EnergyReport, LayerCounter
from spikesim.hardware.rram.mapping import EdgeMap
from spikesim.hardware.rram.tiling import EdgeCircuit, ProgrammingStats
from spikesim.ir import Graph
from spikesim.result import Result


class RramSimulator(PullSimulator):
    """Simulation of ``graph`` on RRAM macros described by ``config``."""

    backend = "rram"

    def __init__(self, graph: Graph, edge_maps: list[EdgeMap], config: MacroConfig, seed: int,
                 batch_size=None, dtype="float64", record=None, measured: bool = False) -> None:
        super().__init__(graph, batch_size, dtype, record)
        self.config, self.seed, self.maps = config, int(seed), edge_maps
        self.edges = []
        for index, (edge, edge_map) in enumerate(zip(graph.edges, edge_maps)):
            rng = np.random.default_rng(np.random.SeedSequence([self.seed, 2, index]))
            spiking = getattr(graph.nodes[edge.src], "spiking", False)
            self.edges.append(EdgeCircuit(edge, edge_map, config, rng, self.dtype, measured, spiking))
        self.coeffs = {
            name: {k: v.astype(self.dtype) for k, v in pop.coefficient_table().items()}
            for name, pop in graph.populations()
        }
        self.ring_dtype = self.dtype
        self._size_rings(self.edges)
        self.t, self.states, self.counters = 0, {}, []  # report() before any step: empty

    def programming(self) -> dict[str, ProgrammingStats]:
        """Write-verify outcome per projection: pulses, residual σ, failures, stuck cells."""
        return {e.name: e.stats for e in self.edges}

    def read_back(self) -> list[EdgeMap]:
        """The conductances the simulated macros hold after programming, faults and drift, per
        projection (save them with ``export.save_maps(..., measured=True)``)."""
        return [e.held for e in self.edges]

    def run(self, inputs, n_steps=None, record=None, record_to=None) -> Result:
        """As :meth:`Simulator.run`; the result also carries ``hardware``: the energy report."""
        result = super().run(inputs, n_steps, record, record_to)
        result.hardware = self.report()
        return result

    def report(self) -> EnergyReport:
        """Energy and latency of everything simulated since the last reset."""
        layers = {e.name: c.layer() for e, c in zip(self.edges, self.counters)}
        slices = {e.name: dict(c.slices) for e, c in zip(self.edges, self.counters)}
        batch = next(iter(self.states.values())).v.shape[0] if self.states else 0
        return EnergyReport(layers, slices, self.t, batch, self.config.clock_mhz)

    def _reset_stream(self, batch: int) -> None:
        super()._reset_stream(batch)
        self.rng = np.random.default_rng(np.random.SeedSequence([self.seed, 3]))
        self.counters = [LayerCounter(self.config, e.delays, batch) for e in self.edges]

    def _initial_state(self, name: str, batch: int):
        return initial_state(self.coeffs[name], batch, self.dtype)

    def _deliver(self, name: str, t: int, x: np.ndarray) -> None:
        for edge, counter in zip(self.edges, self.counters):
            if edge.dst == name:
                edge.deliver(self.history[edge.src], t, x, self.rng, counter, self.config.graded_bits)

    def _update(self, name: str, state, x: np.ndarray):
        node = self.graph.nodes[name]
        return population_step(state, x, self.coeffs[name], node.spiking, node.reset, node.refractory)

    def _end_step(self) -> None:
        for counter in self.counters:
            counter.end_step()
