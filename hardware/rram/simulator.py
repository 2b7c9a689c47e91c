"""The rram Simulator: projections as crossbar reads on simulated macros, neurons digital.

Neurons use the reference step functions (``population_step``), as the paper keeps them in
digital logic. Every run starts its read-noise generator from the seed, so a compiled
simulator gives the same result for the same inputs; the report of the last run is
``result.hardware`` (an :class:`EnergyReport`).
"""

from __future__ import annotations

import numpy as np

from spikesim.backends.reference.step import initial_state, population_step
from spikesim.hardware.rram.config import MacroConfig
from spikesim.hardware.rram.energy import EnergyReport, LayerCounter
from spikesim.hardware.rram.mapping import EdgeMap
from spikesim.hardware.rram.tiling import EdgeCircuit, ProgrammingStats
from spikesim.ir import Graph, Input
from spikesim.result import Recorder, Result
from spikesim.simulator import Simulator


class RramSimulator(Simulator):
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
        self.ring = {name: 1 for name in self.order}
        for e in self.edges:
            self.ring[e.src] = max(self.ring[e.src], e.max_latency + 1)
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
        self.t = 0
        self.rng = np.random.default_rng(np.random.SeedSequence([self.seed, 3]))
        self.states = {
            name: initial_state(self.coeffs[name], batch, self.dtype) for name, _ in self.graph.populations()
        }
        self.history = {
            name: np.zeros((self.ring[name], batch, self.graph.size(name)), self.dtype) for name in self.order
        }
        self.counters = [LayerCounter(self.config, e.delays, batch) for e in self.edges]

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
            for edge, counter in zip(self.edges, self.counters):
                if edge.dst == name:
                    edge.deliver(self.history[edge.src], t, x, self.rng, counter, self.config.graded_bits)
            out, state = population_step(
                self.states[name], x, self.coeffs[name], node.spiking, node.reset, node.refractory
            )
            self.states[name] = state
            ring[t % ring.shape[0]] = out.out
            produced[name] = (out, state)
        for counter in self.counters:
            counter.end_step()
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


def _probe_values(out, state) -> dict[str, np.ndarray]:
    values = {"v": state.v, "i": state.i, "v_pre": out.v_pre}
    if out.spikes is not None:
        values["spikes"] = out.spikes
    return values
