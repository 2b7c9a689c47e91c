"""Lowering a spikesim graph and its inputs to a Lava job (``exchange.Job``).

Timing: Lava's Dense/DelayDense send at step k what arrived at k - 1 (and DelayDense adds its
``delay``), so a spike emitted at t reaches the target at t + 1 + d. A spikesim latency L
(>= 1) is therefore Lava delay L - 1. spikesim step t is Lava time step t + 1 of its sample,
where the RingBuffer sends data column t.

Float mode (``floating_pt``): LIF ``u <- u(1-du) + a_in``, ``v <- v(1-dv) + u + bias_mant``
with du = 1 - alpha, dv = 1 - beta (per neuron: the float model broadcasts them),
vth = v_th, bias_mant = bias. The gains are folded into the incoming weights
(``u = current_gain * i``, so w' = input_gain * current_gain * w and i = u / current_gain).
Fixed mode (``fixed_pt``): LoihiLIF/LoihiDense integer fields pass through unchanged, and
Lava applies the clipping, truncation and shifts that the reference reproduces.
"""

from __future__ import annotations

import numpy as np

from spikesim.backends.lava.exchange import Connection, Job
from spikesim.backends.reference.fixed_simulator import integer_inputs
from spikesim.ir import Graph, Input
from spikesim.ir.fixed import LoihiLIF

#: spikesim probe variable -> the Lava LIF port or Var a Monitor reads.
PROBE_VARS = {"spikes": "s_out", "v": "v", "i": "u"}
#: num_message_bits for graded values: Dense multiplies instead of booleanising its input.
GRADED_MESSAGE_BITS = 24


def _graded(data: np.ndarray) -> bool:
    return bool(np.any((data != 0) & (data != 1)))


def lower(
    graph: Graph, inputs: dict[str, np.ndarray], record: dict[str, tuple[str, ...]], fixed: bool
) -> Job:
    """A Job running ``inputs`` ({name: [T, B, N]}) through ``graph``; probes from ``record``."""
    steps, batch = next(iter(inputs.values())).shape[:2]
    job = Job("fixed_pt" if fixed else "floating_pt", int(steps), int(batch))
    graded = set()
    for name, data in inputs.items():
        if _graded(data):
            graded.add(name)
        # RingBuffer layout: [channels, time], the samples one after another.
        column = data.transpose(2, 1, 0).reshape(data.shape[2], batch * steps)
        job.sources[name] = integer_inputs(name, column).astype(np.int32) if fixed else column
    gain = {}
    for name, pop in graph.populations():
        if fixed:
            job.neurons[name] = _fixed_neuron(pop)
        else:
            gain[name] = pop.input_gain * pop.current_gain
            job.neurons[name] = {
                "du": 1.0 - pop.alpha, "dv": 1.0 - pop.beta, "vth": pop.v_th,
                "bias_mant": pop.bias, "bias_exp": np.zeros(pop.size), "v": pop.v_init,
            }
    for edge in graph.edges:
        weight, latency = edge.dense()
        if not weight.any():
            continue
        lava_delay = np.where(weight != 0, latency - 1, 0)
        conn = Connection(edge.src, edge.dst, weight)
        if isinstance(graph.nodes[edge.src], Input) and edge.src in graded:
            conn.num_message_bits = GRADED_MESSAGE_BITS
        if fixed:
            conn.weights, conn.weight_exp = edge.weight_mant, edge.weight_exp
            conn.num_weight_bits, conn.sign_mode = edge.num_weight_bits, edge.sign_mode
        else:
            conn.weights = weight * gain[edge.dst][:, None]
        if lava_delay.any():
            conn.delays = lava_delay.astype(np.int64)
        job.connections.append(conn)
    job.probes = [(name, PROBE_VARS[var]) for name, variables in record.items() for var in variables]
    return job


def _fixed_neuron(pop: LoihiLIF) -> dict[str, np.ndarray]:
    return {
        "du": np.asarray(pop.du), "dv": np.asarray(pop.dv), "vth": np.asarray(pop.vth_mant),
        "bias_mant": pop.bias_mant, "bias_exp": np.full(pop.size, pop.bias_exp),
        "v": pop.v_init.astype(np.int64),
    }


def unpack(trace: np.ndarray, steps: int, batch: int) -> np.ndarray:
    """A Monitor trace [B*T, N] (samples back to back) as [T, B, N]."""
    return trace.reshape(batch, steps, -1).transpose(1, 0, 2)
