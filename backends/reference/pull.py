"""Step-by-step simulation with *pull* delivery, shared by the numpy engines.

Every node keeps a ring of its last ``max_latency + 1`` outputs; at step t a population sums
what its edges read from their sources' rings at ``t - L``. Subclasses say how a population
starts, how an edge delivers and how a population updates (float, fixed point, crossbar).
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from spikesim.ir import Input
from spikesim.result import Recorder
from spikesim.simulator import Simulator


def probe_values(out, state) -> dict[str, np.ndarray]:
    """Recordable values of one population step: v (after reset), i, v_pre and spikes."""
    values = {"v": state.v, "i": state.i}
    if getattr(out, "v_pre", None) is not None:
        values["v_pre"] = out.v_pre
    if out.spikes is not None:
        values["spikes"] = out.spikes
    return values


class PullSimulator(Simulator):
    """The time loop, rings and probes; subclasses implement the hooks below.

    ``ring_dtype`` is the dtype of the output rings; ``self.ring[name]`` their lengths, set
    with :meth:`_size_rings`.
    """

    ring_dtype = np.float64

    def _size_rings(self, edges) -> None:
        """Ring lengths from ``edges`` (objects with ``src`` and ``max_latency``)."""
        self.ring = {name: 1 for name in self.order}
        for edge in edges:
            self.ring[edge.src] = max(self.ring[edge.src], edge.max_latency + 1)

    @abstractmethod
    def _initial_state(self, name: str, batch: int):
        """Initial state of population ``name`` (a tuple with fields ``v`` and ``i``)."""

    @abstractmethod
    def _deliver(self, name: str, t: int, x: np.ndarray) -> None:
        """Add every edge's input to population ``name`` at step ``t`` into ``x`` [B, N]."""

    @abstractmethod
    def _update(self, name: str, state, x: np.ndarray) -> tuple:
        """One step of population ``name``: (step output with ``out``/``spikes``, new state)."""

    def _cast_input(self, name: str, array: np.ndarray) -> np.ndarray:
        """Input values in the ring's dtype."""
        return array.astype(self.ring_dtype)

    def _end_step(self) -> None:
        """Called after every node has been updated in a step."""

    def _reset_stream(self, batch: int) -> None:
        self.t = 0
        self.states = {name: self._initial_state(name, batch) for name, _ in self.graph.populations()}
        self.history = {
            name: np.zeros((self.ring[name], batch, self.graph.size(name)), self.ring_dtype)
            for name in self.order
        }

    def advance(self, inputs: dict[str, np.ndarray]) -> dict[str, tuple]:
        """One step; returns {population: (step output, new state)}."""
        t, produced = self.t, {}
        for name in self.order:
            ring = self.history[name]
            if isinstance(self.graph.nodes[name], Input):
                ring[t % ring.shape[0]] = inputs[name]
                continue
            x = np.zeros_like(self.states[name].v)
            self._deliver(name, t, x)
            out, state = self._update(name, self.states[name], x)
            self.states[name] = state
            ring[t % ring.shape[0]] = out.out
            produced[name] = (out, state)
        self._end_step()
        self.t += 1
        return produced

    def _run(self, inputs, steps, batch, recorder: Recorder) -> None:
        self._reset_stream(batch)
        arrays = {name: self._cast_input(name, a) for name, a in inputs.items()}
        for t in range(steps):
            for name, (out, state) in self.advance({n: a[t] for n, a in arrays.items()}).items():
                for var, value in probe_values(out, state).items():
                    recorder.write(t, name, var, value)

    def _step(self, inputs):
        produced = self.advance({name: self._cast_input(name, a) for name, a in inputs.items()})
        return {
            name: {var: probe_values(*produced[name])[var] for var in variables}
            for name, variables in self.record.items()
        }
