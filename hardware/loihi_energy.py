"""Energy estimate of a run on Loihi from counted operations x published per-operation energies.

E = synaptic_ops * E_syn + neuron_updates * E_neuron + spikes * E_spike, where

* synaptic_ops: every spike (or nonzero input event) times its fan-out (synapses with nonzero
  weight) on each outgoing edge, counted when it is emitted (Loihi's dendritic accumulator
  holds delayed contributions, so a delayed synapse costs one op like any other);
* neuron_updates: every neuron of every population, every step (all compartments update);
* spikes: spikes sent into the mesh (population spikes plus input events), each charged the
  within-tile routing energy; tile hops depend on the placement and are not counted.

The only published per-operation figures are for **Loihi 1** (Davies et al., "Loihi: A
Neuromorphic Manycore Processor with On-Chip Learning", IEEE Micro 38(1), 2018, Table 2,
pre-silicon measurements in Intel 14 nm). Intel has not published comparable per-operation
figures for Loihi 2 (Intel 4), so a Loihi 2 run is estimated with the Loihi 1 figures: an
order-of-magnitude figure, not a measurement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikesim.errors import GraphError
from spikesim.ir import Graph, Input
from spikesim.result import Result


@dataclass(frozen=True)
class EnergyFigures:
    """Per-operation energies in pJ, with the chip generation and source they come from."""

    synaptic_op_pj: float
    neuron_update_pj: float
    spike_pj: float
    chip: str
    source: str


#: Davies et al. 2018, Table 2: minimum energy per synaptic spike op 23.6 pJ, per active
#: neuron update 52 pJ, within-tile spike energy 1.7 pJ (Loihi 1, 14 nm).
LOIHI1_DAVIES_2018 = EnergyFigures(
    synaptic_op_pj=23.6,
    neuron_update_pj=52.0,
    spike_pj=1.7,
    chip="Loihi 1 (Intel 14 nm)",
    source="Davies et al., IEEE Micro 38(1):82-99, 2018, Table 2",
)


@dataclass
class EnergyEstimate:
    """Counted operations (whole batch) and the estimated energy in joules, per sample too."""

    synaptic_ops: int
    neuron_updates: int
    spikes: int
    batch: int
    figures: EnergyFigures

    @property
    def breakdown_j(self) -> dict[str, float]:
        """Energy per operation kind over the whole batch, in J."""
        f = self.figures
        return {
            "synaptic_ops": self.synaptic_ops * f.synaptic_op_pj * 1e-12,
            "neuron_updates": self.neuron_updates * f.neuron_update_pj * 1e-12,
            "spikes": self.spikes * f.spike_pj * 1e-12,
        }

    @property
    def total_j(self) -> float:
        """Total energy over the batch, in J."""
        return sum(self.breakdown_j.values())

    @property
    def per_sample_j(self) -> float:
        """Total energy per sample, in J."""
        return self.total_j / self.batch

    def summary(self) -> str:
        """One paragraph naming the counts, the energy and where the figures come from."""
        parts = ", ".join(f"{k} {v * 1e6:.3g} uJ" for k, v in self.breakdown_j.items())
        return (
            f"{self.synaptic_ops} synaptic ops, {self.neuron_updates} neuron updates, {self.spikes} spikes "
            f"over {self.batch} sample(s): {self.per_sample_j * 1e6:.4g} uJ per sample ({parts}); "
            f"per-op figures of {self.figures.chip} from {self.figures.source}"
        )


def estimate(
    graph: Graph, result: Result, inputs: dict[str, np.ndarray] | np.ndarray,
    figures: EnergyFigures = LOIHI1_DAVIES_2018,
) -> EnergyEstimate:
    """Estimate the energy of the run ``result`` of ``graph`` on ``inputs`` ([T, B, N] by name).

    ``result`` must hold the spikes of every population that is the source of an edge.
    """
    from spikesim.inputs import normalise_inputs

    arrays, steps, batch = normalise_inputs(graph, inputs)
    events: dict[str, np.ndarray] = {name: (a != 0).sum(axis=(0, 1)) for name, a in arrays.items()}
    for name, _ in graph.populations():
        if name in result.spikes:
            events[name] = np.asarray(result.spikes[name]).sum(axis=(0, 1), dtype=np.int64)
    synaptic_ops = 0
    for edge in graph.edges:
        if edge.src not in events:
            raise GraphError(
                f"energy estimate: spikes of {edge.src!r} were not recorded (record {{'{edge.src}': ['spikes']}})"
            )
        weight, _ = edge.dense()
        fan_out = (weight != 0).sum(axis=0)
        synaptic_ops += int(np.dot(events[edge.src].astype(np.int64), fan_out))
    neuron_updates = sum(pop.size for _, pop in graph.populations()) * steps * batch
    spikes = sum(
        int(events[name].sum()) for name in events
        if isinstance(graph.nodes[name], Input) or graph.nodes[name].spiking
    )
    return EnergyEstimate(synaptic_ops, neuron_updates, spikes, batch, figures)
