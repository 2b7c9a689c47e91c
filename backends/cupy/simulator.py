"""The CuPy simulator: per chunk of steps, each node in update order gets its delivered input
(cuBLAS GEMMs or the CSR ring kernel) and one fused launch of its population kernel."""

from __future__ import annotations

import numpy as np

from spikesim.backends.cupy import kernels
from spikesim.backends.cupy.plan import EdgePlan, make_plan, ring_runs
from spikesim.ir import Graph, Input
from spikesim.ir.neurons import COEFFICIENTS
from spikesim.result import STATE_VARS, Recorder
from spikesim.simulator import Simulator

#: Simulation precision -> (numpy dtype of values, weights and rings; of the stored state).
NUMPY_TYPES = {
    "float64": (np.float64, np.float64),
    "float32": (np.float32, np.float32),
    "float16": (np.float32, np.float16),
}
_FLAGS = {"spikes": 1, "v": 2, "i": 4}
#: Largest product of a ``split`` delivery GEMM, in elements (64 Mi: 256 MiB in float32).
SPLIT_BLOCK_ELEMENTS = 64 * 2**20
#: A ``split`` edge goes through the CSR ring kernel instead when a launch set covers at most
#: this many synapse-steps (chunk x batch x synapses). There the split's one add per latency,
#: each a launch, and its GEMM over the whole latency window cost more than one gathering
#: kernel. Set from a sweep of W2 on an H200, whose three layers were estimated to cross
#: near 2**26 (benchmarks/results_cupy.md, run 10b).
CSR_MAX_SYNAPSE_STEPS = 2**26
#: A CSR delivery of at most this many (step, sample, target) sums gives each sum a warp
#: instead of a thread, so a short launch set still fills the GPU (deliver_csr.cu). Not tuned:
#: at this size (W2's step at batch 256, H200) the warp was 1.6x faster than a thread per sum.
CSR_WARP_MAX_TARGETS = 2**16


class _Delivery:
    """One edge on the device: a transposed dense weight (gemm), CSR arrays (csr), or the
    weight split by latency together with CSR arrays for short launch sets (split)."""

    def __init__(self, cp, edge, plan: EdgePlan, val) -> None:
        self.src, self.dst, self.method, self.latency = (
            edge.src,
            edge.dst,
            plan.method,
            plan.latency,
        )
        self.n_out, self.n_in = edge.shape
        self.bias = None if edge.bias is None else cp.asarray(edge.bias.astype(val))
        if self.method == "gemm":
            self.weight_t = cp.asarray(np.ascontiguousarray(edge.dense()[0].T.astype(val)))
        if self.method not in ("split", "csr"):
            return
        post, pre, weight, delay = edge.coo()
        keep = weight != 0
        if self.method == "split":
            self.latencies = [int(d) for d in np.unique(delay[keep])]
            w_cat = np.zeros((self.n_in, len(self.latencies), self.n_out), val)
            slot = np.searchsorted(self.latencies, delay[keep])
            w_cat[pre[keep], slot, post[keep]] = weight[keep]
            self.weight_cat = cp.asarray(w_cat.reshape(self.n_in, -1))
        # CSR arrays: a csr edge's only delivery, a split edge's for short launch sets.
        counts = np.bincount(post[keep], minlength=self.n_out)
        self.indptr = cp.asarray(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
        self.pre = cp.asarray(pre[keep].astype(np.int32))
        self.weight = cp.asarray(weight[keep].astype(val))
        self.delay = cp.asarray(delay[keep].astype(np.int32))

    def deliver(self, ring, t0: int, chunk: int, x, val_c: str) -> None:
        """Add this edge's input for steps t0 .. t0+chunk-1 into ``x`` [chunk, B, n_out]."""
        ring_len, batch = ring.shape[0], ring.shape[1]
        method = self.method
        if method == "split" and chunk * batch * self.weight.size <= CSR_MAX_SYNAPSE_STEPS:
            method = "csr"
        if method == "gemm":
            first = max(0, self.latency - t0)  # steps before the latency see out[t < 0] = 0
            for slot, length, offset in ring_runs(
                t0 + first - self.latency, chunk - first, ring_len
            ):
                k = first + offset
                src = ring[slot : slot + length].reshape(length * batch, self.n_in)
                x[k : k + length] += (src @ self.weight_t).reshape(length, batch, self.n_out)
        elif method == "split":
            self._deliver_split(ring, t0, chunk, x)
        elif method == "csr":
            args = (
                self.indptr,
                self.pre,
                self.weight,
                self.delay,
                ring,
                np.int32(ring_len),
                np.int64(t0),
                x,
                np.int32(chunk),
                np.int32(batch),
                np.int32(self.n_out),
                np.int32(self.n_in),
            )
            targets = chunk * batch * self.n_out
            lanes = kernels.CSR_LANES[-1] if targets <= CSR_WARP_MAX_TARGETS else 1
            kernels.launch(kernels.DELIVER_CSR, args, targets * lanes, T_VAL=val_c, LANES=lanes)
        if self.bias is not None:
            x += self.bias

    def _deliver_split(self, ring, t0: int, chunk: int, x) -> None:
        """One GEMM per block of source steps against [W_L1 | W_L2 | ...], then each latency's
        slice is added at its time shift. Source step s reaches target step s + L."""
        ring_len, batch = ring.shape[0], ring.shape[1]
        first = max(0, t0 - self.latencies[-1])
        end = t0 + chunk - self.latencies[0]  # exclusive
        width = len(self.latencies) * self.n_out
        block = max(1, SPLIT_BLOCK_ELEMENTS // (batch * width))  # bounds the product's memory
        for start in range(first, end, block):
            count = min(block, end - start)
            for slot, length, offset in ring_runs(start, count, ring_len):
                s0 = start + offset
                src = ring[slot : slot + length].reshape(length * batch, self.n_in)
                y = (src @ self.weight_cat).reshape(length, batch, len(self.latencies), self.n_out)
                for k, lat in enumerate(self.latencies):
                    a, b = max(s0, t0 - lat), min(s0 + length, t0 + chunk - lat)
                    if a < b:
                        x[a + lat - t0 : b + lat - t0] += y[a - s0 : b - s0, :, k]


class CupySimulator(Simulator):
    """Fused multi-step CUDA kernels through CuPy; float64, float32 or float16 state."""

    backend = "cupy"

    def __init__(
        self, graph: Graph, batch_size=None, dtype="float32", record=None, chunk_steps: int = 512
    ):
        import cupy

        super().__init__(graph, batch_size, dtype, record)
        self.cp = cupy
        self.val, self.state_dtype = NUMPY_TYPES[dtype]
        self.dtype = self.state_dtype  # recorded v and i come back at the state precision
        self.val_c, self.state_c = kernels.SIM_TYPES[dtype]
        self.plan = make_plan(graph, chunk_steps)
        self.coeff = {
            name: cupy.asarray(np.stack([getattr(pop, k) for k in COEFFICIENTS]).astype(self.val))
            for name, pop in graph.populations()
        }
        self.deliveries = [
            _Delivery(cupy, graph.edges[p.index], p, self.val) for p in self.plan.edges
        ]
        self.empty = {dt: cupy.zeros(1, dt) for dt in (np.uint8, self.state_dtype)}

    def _reset_stream(self, batch: int) -> None:
        cp, self.t, self.batch = self.cp, 0, batch
        self.rings = {
            name: cp.zeros((self.plan.ring[name], batch, self.graph.size(name)), self.val)
            for name in self.plan.order
        }
        self.states = {}
        for name, pop in self.graph.populations():
            v = np.ascontiguousarray(
                np.broadcast_to(pop.v_init.astype(self.state_dtype), (batch, pop.size))
            )
            self.states[name] = (
                cp.asarray(v),
                cp.zeros((batch, pop.size), self.state_dtype),
                cp.zeros((batch, pop.size), np.int32),
            )

    def _advance(
        self, inputs: dict[str, np.ndarray], chunk: int, want: dict[str, tuple[str, ...]]
    ) -> dict:
        """Run steps self.t .. self.t+chunk-1; returns {population: {var: device [chunk, B, N]}}."""
        cp, t0, batch, produced = self.cp, self.t, self.batch, {}
        for name in self.plan.order:
            node, ring = self.graph.nodes[name], self.rings[name]
            if isinstance(node, Input):
                data = cp.asarray(inputs[name], dtype=self.val)
                for slot, length, offset in ring_runs(t0, chunk, ring.shape[0]):
                    ring[slot : slot + length] = data[offset : offset + length]
                continue
            x = cp.zeros((chunk, batch, node.size), self.val)
            for d in self.deliveries:
                if d.dst == name:
                    d.deliver(self.rings[d.src], t0, chunk, x, self.val_c)
            traces = {
                var: cp.empty(
                    (chunk, batch, node.size), np.uint8 if var == "spikes" else self.state_dtype
                )
                for var in want.get(name, ())
            }
            flags = sum(_FLAGS[var] for var in traces)
            v, i, ref = self.states[name]
            args = (
                x,
                v,
                i,
                ref,
                self.coeff[name],
                ring,
                np.int32(ring.shape[0]),
                np.int64(t0),
                traces.get("spikes", self.empty[np.uint8]),
                traces.get("v", self.empty[self.state_dtype]),
                traces.get("i", self.empty[self.state_dtype]),
                np.int32(flags),
                np.int32(chunk),
                np.int64(batch * node.size),
                np.int32(node.size),
                np.int32(node.refractory),
            )
            kernels.launch(
                kernels.POPULATION,
                args,
                batch * node.size,
                **kernels.population_template(
                    self.val_c, self.state_c, node.spiking, node.reset == "subtract"
                ),
            )
            produced[name] = traces
        self.t += chunk
        return produced

    def _run(self, inputs, steps, batch, recorder: Recorder) -> None:
        self._reset_stream(batch)
        self._stream_steps(inputs, steps, recorder)

    def _stream_steps(self, inputs, steps, recorder: Recorder) -> None:
        # Continues from self.t: each launch set covers up to plan.chunk steps, as in run().
        want = {
            name: tuple(v for v in STATE_VARS if recorder.wants(name, v))
            for name, _ in self.graph.populations()
        }
        for t0 in range(0, steps, self.plan.chunk):
            chunk = min(self.plan.chunk, steps - t0)
            produced = self._advance(
                {n: a[t0 : t0 + chunk] for n, a in inputs.items()}, chunk, want
            )
            for name, traces in produced.items():
                for var, trace in traces.items():
                    host = trace.get()
                    recorder.write(t0, name, var, host.astype(bool) if var == "spikes" else host)

    def _step(self, inputs):
        produced = self._advance({n: a[None] for n, a in inputs.items()}, 1, self.record)
        return {
            name: {
                var: produced[name][var][0].get().astype(bool)
                if var == "spikes"
                else produced[name][var][0].get()
                for var in variables
            }
            for name, variables in self.record.items()
        }
