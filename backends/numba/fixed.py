"""``dtype="fixed"`` on Numba: LoihiLIF/LoihiDense graphs in int64, bit-exact with the reference
fixed simulator (``backends/reference/fixed_step.py``) and lava-nc's ``fixed_pt`` models.

The graph is flattened into arrays: nodes in update order with a ring of their last outputs,
incoming (edge, latency) groups as dense integer matrices of effective mantissas. Each sample
runs its whole time loop in one JIT-compiled call, samples in parallel. Delivery pulls from the
source ring, skipping zero outputs, and shifts each group's sum by its ``weight_exp``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from spikesim.backends.reference.fixed_simulator import check_fixed_graph, integer_inputs
from spikesim.ir import Graph, Input
from spikesim.ir.fixed import ACTIVATION_SHIFT, DECAY_SHIFT, STATE_MAX
from spikesim.result import Recorder
from spikesim.simulator import ReplayedStream, Simulator


@njit(cache=True)
def _decay(x, d):
    p = x * ((1 << DECAY_SHIFT) - d)
    return p >> DECAY_SHIFT if p >= 0 else -((-p) >> DECAY_SHIFT)


@njit(cache=True, parallel=True)
def _simulate(x, nodes, groups, weights, params, rec_v, rec_u, rec_s):  # pragma: no cover - JIT
    steps, batch = x.shape[0], x.shape[1]
    n_nodes = nodes.shape[0]
    for b in prange(batch):
        hist = np.zeros(
            nodes[n_nodes - 1, 5] + nodes[n_nodes - 1, 3] * nodes[n_nodes - 1, 2], np.int64
        )
        n_total = params.shape[1]
        v = params[4].copy()
        u = np.zeros(n_total, np.int64)
        a = np.zeros(n_total, np.int64)
        for t in range(steps):
            for k in range(n_nodes):
                kind, off, size, ring = nodes[k, 0], nodes[k, 1], nodes[k, 2], nodes[k, 3]
                in_off, h_off, g_lo, g_hi = nodes[k, 4], nodes[k, 5], nodes[k, 6], nodes[k, 7]
                slot = h_off + (t % ring) * size
                if kind == 0:  # Input: store this step's values
                    for n in range(size):
                        hist[slot + n] = x[t, b, in_off + n]
                    continue
                for n in range(size):
                    a[off + n] = 0
                for g in range(g_lo, g_hi):
                    src, latency, exp, w_off = (
                        groups[g, 0],
                        groups[g, 1],
                        groups[g, 2],
                        groups[g, 3],
                    )
                    s_size, s_ring, s_hoff = nodes[src, 2], nodes[src, 3], nodes[src, 5]
                    s_slot = s_hoff + ((t - latency) % s_ring) * s_size
                    acc = np.zeros(size, np.int64)
                    for j in range(s_size):
                        value = hist[s_slot + j]
                        if value != 0:
                            for n in range(size):
                                acc[n] += weights[w_off + n * s_size + j] * value
                    for n in range(size):  # each latency group is shifted on its own (floor)
                        a[off + n] += acc[n] << exp if exp > 0 else acc[n] >> -exp
                for n in range(size):
                    i = off + n
                    cur = _decay(u[i], params[0, i] + 1) + (a[i] << ACTIVATION_SHIFT)
                    if cur > STATE_MAX:
                        cur -= 2 * STATE_MAX
                    elif cur <= -STATE_MAX:
                        cur += 2 * STATE_MAX
                    u[i] = cur
                    volt = _decay(v[i], params[1, i]) + cur + params[3, i]
                    volt = min(max(volt, -(STATE_MAX - 1)), STATE_MAX - 1)
                    spike = volt > params[2, i]
                    v[i] = 0 if spike else volt
                    hist[slot + n] = 1 if spike else 0
                    rec_s[t, b, i] = spike
                    if rec_v.shape[0]:
                        rec_v[t, b, i] = v[i]
                    if rec_u.shape[0]:
                        rec_u[t, b, i] = cur


class FixedNumbaSimulator(ReplayedStream, Simulator):
    """Numba simulation of a LoihiLIF/LoihiDense graph in int64; records v, i (Lava's u), spikes."""

    backend = "numba"

    def __init__(self, graph: Graph, batch_size=None, record=None) -> None:
        super().__init__(graph, batch_size, "fixed", record)
        check_fixed_graph(graph, self.backend)
        self.dtype = np.int64
        self._flatten()

    def _flatten(self) -> None:
        g = self.graph
        index = {name: k for k, name in enumerate(self.order)}
        ring = dict.fromkeys(self.order, 1)
        for edge in g.edges:
            ring[edge.src] = max(ring[edge.src], g.max_latency() + 1)
        nodes, groups, weights, params = [], [], [], []
        self.offsets, in_off, off, h_off, w_off = {}, 0, 0, 0, 0
        self.input_offsets = {}
        for name in self.order:
            size = g.size(name)
            if isinstance(g.nodes[name], Input):
                nodes.append([0, 0, size, ring[name], in_off, h_off, len(groups), len(groups)])
                self.input_offsets[name] = in_off
                in_off += size
            else:
                g_lo = len(groups)
                for edge in g.incoming(name):
                    effective = edge.effective()
                    for latency in np.unique(edge.delay[effective != 0]):
                        matrix = np.where(edge.delay == latency, effective, 0)
                        groups.append([index[edge.src], int(latency), edge.weight_exp, w_off])
                        weights.append(matrix.ravel())
                        w_off += matrix.size
                nodes.append([1, off, size, ring[name], 0, h_off, g_lo, len(groups)])
                table = g.nodes[name].integer_table()
                params.append(np.stack([table[k] for k in ("du", "dv", "vth", "bias", "v_init")]))
                self.offsets[name] = (off, size)
                off += size
            h_off += ring[name] * size
        self.nodes = np.asarray(nodes, np.int64)
        self.groups = np.asarray(groups, np.int64).reshape(-1, 4)
        self.weights = np.concatenate(weights) if weights else np.zeros(0, np.int64)
        self.params = np.concatenate(params, axis=1).astype(np.int64)
        self.n_inputs = in_off

    def _simulate(
        self, inputs: dict[str, np.ndarray], steps: int, batch: int
    ) -> dict[str, np.ndarray]:
        x = np.zeros((steps, batch, self.n_inputs), np.int64)
        for name, array in inputs.items():
            start = self.input_offsets[name]
            x[:, :, start : start + array.shape[2]] = integer_inputs(name, array)
        wanted = {var for variables in self.record.values() for var in variables}
        n = self.params.shape[1]
        shape = (steps, batch, n)
        rec = {
            "v": np.zeros(shape if "v" in wanted else (0, 0, 0), np.int64),
            "i": np.zeros(shape if "i" in wanted else (0, 0, 0), np.int64),
            "spikes": np.zeros(shape, np.bool_),
        }
        _simulate(
            x, self.nodes, self.groups, self.weights, self.params, rec["v"], rec["i"], rec["spikes"]
        )
        return rec

    def _traces(self, rec: dict[str, np.ndarray], probes) -> dict[tuple[str, str], np.ndarray]:
        """{(node, var): [T, B, n]} of ``probes`` from ``_simulate``'s flat records."""
        traces = {}
        for name, variables in probes.items():
            off, size = self.offsets[name]
            for var in variables:
                traces[name, var] = rec[var][:, :, off : off + size]
        return traces

    def _run(self, inputs, steps, batch, recorder: Recorder) -> None:
        rec = self._simulate(inputs, steps, batch)
        for (name, var), trace in self._traces(rec, recorder.record).items():
            recorder.write(0, name, var, trace)

    def _replay(self, chunk: dict[str, np.ndarray]) -> dict[tuple[str, str], np.ndarray]:
        # The kernel keeps no state: the whole stream again.
        stacked = self._stream_so_far(chunk)
        steps, batch = next(iter(stacked.values())).shape[:2]
        return self._traces(self._simulate(stacked, steps, batch), self.record)
