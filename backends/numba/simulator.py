"""``NumbaSimulator``: state handling, strategy choice and recording around ``kernels.simulate``."""

from __future__ import annotations

import math
import platform
from functools import cache, partial
from typing import NamedTuple

import numpy as np

from spikesim.backends.numba.layout import (
    CACHE_LINE,
    COEFFICIENT_ORDER,
    INPUT,
    LINE,
    Layout,
    build_layout,
)
from spikesim.errors import GraphError
from spikesim.ir import Graph
from spikesim.result import Recorder
from spikesim.simulator import Simulator

STRATEGIES = ("auto", "event", "dense")


#: ``auto`` pushes a source densely when more than this fraction of its outputs are nonzero
#: per step. Both strategies add the same terms; dense only saves the compaction branch, which
#: is mispredicted most often near 50 % density and is pure overhead near 100 % (graded inputs,
#: LI readouts feeding on).
DENSE_ABOVE = 0.5

#: Most samples that advance together when a dense push shares each pass over its weights
#: among them (``kernels.tile``); measured in docs/numba.md.
DENSE_TILE = 16
#: Record at most this many bytes per kernel call; longer runs are simulated in chunks.
CHUNK_BYTES = 256 * 2**20

#: Input values sampled (at most) to measure an input's density for ``auto``.
DENSITY_SAMPLE = 2**16

#: Recordable variables, in the order of the kernel's probe arrays.
VARS = ("spikes", "v", "i")


def aligned_zeros(shape: tuple[int, ...], dtype, fill: bool = True) -> np.ndarray:
    """Zeros whose first element starts a cache line. With rows a whole number of lines, so
    does every row, and the threads that own different rows never write to the same line.
    ``fill=False`` leaves the memory as found, for arrays the kernel writes in full."""
    dtype = np.dtype(dtype)
    count = math.prod(shape)  # np.prod costs several µs per call
    raw = (np.zeros if fill else np.empty)(count + CACHE_LINE // dtype.itemsize, dtype)
    skip = (-raw.ctypes.data % CACHE_LINE) // dtype.itemsize
    return raw[skip : skip + count].reshape(shape)


def sample_arrays(shared: bool, fill: bool = True):
    """The allocator for arrays that hold one row per sample: cache-line aligned when threads
    share the array (a batch), plain numpy for one sample, where aligning would cost 2.5 µs
    per array (the address lookup), a visible share of a batch-1 run. Zero-filled, or with
    ``fill=False`` left as found, for arrays the kernel writes in full."""
    if shared:
        return partial(aligned_zeros, fill=fill)
    return np.zeros if fill else np.empty


@cache
def _jit():
    """numba and the kernels module, imported on first use (not when the backend is listed)."""
    import numba

    from spikesim.backends.numba import kernels

    return numba, kernels


def _on_x86() -> bool:
    return _jit()[1].X86


class _Probes(NamedTuple):
    """The recording layout of one record: ``cols[v, k]`` is where node k's probe of var v
    (spikes, v, i) starts in the kernel's probe array v, or -1; ``widths[v]`` that array's
    width; ``slices`` (node, var, array, first column, width) for every probe."""

    cols: np.ndarray
    widths: list[int]
    slices: list[tuple[str, str, int, int, int]]


class _State:
    """State arrays: v, i, refractory counter, outputs and windows in ``rows`` rows (one per
    sample, or with ``kernels.SCRATCH_STATE`` ``tile_size`` per thread), nonzero counts in one
    row per sample of the ``batch`` (each row padded to whole cache lines)."""

    def __init__(self, layout: Layout, batch: int, dtype, rows: int | None = None) -> None:
        n, rows = layout.n_neurons, batch if rows is None else rows
        zeros = sample_arrays(shared=max(batch, rows) > 1)
        self.v = zeros((rows, n), dtype)
        self.v[:] = layout.coeff["v_init"]
        self.cur = zeros((rows, n), dtype)
        self.ref = zeros((rows, n), np.int32)
        self.out = zeros((rows, n), dtype)
        self.buf = zeros((rows, layout.n_buffer), dtype)
        self.nonzero = zeros((batch, -(-len(layout.names) // 8) * 8), np.int64)

    def nbytes(self) -> int:
        """Bytes of state for the whole batch."""
        return sum(a.nbytes for a in (self.v, self.cur, self.ref, self.out, self.buf, self.nonzero))


class NumbaSimulator(Simulator):
    """Event-driven / dense CPU simulation, JIT-compiled once per dtype and cached on disk."""

    backend = "numba"
    native_inputs = True

    def __init__(
        self,
        graph: Graph,
        batch_size=None,
        dtype="float64",
        record=None,
        strategy: str = "auto",
        flush_denormals: bool = False,
    ) -> None:
        super().__init__(graph, batch_size, dtype, record)
        if strategy not in STRATEGIES:
            raise GraphError(
                f"numba backend: option strategy must be one of {STRATEGIES}, got {strategy!r}"
            )
        if not isinstance(flush_denormals, bool):
            raise GraphError(
                f"numba backend: option flush_denormals must be True or False, got {flush_denormals!r}"
            )
        if flush_denormals and not _on_x86():
            raise GraphError(
                "numba backend: option flush_denormals is supported on x86-64 only "
                f"(this machine: {platform.machine()})"
            )
        self.strategy = strategy
        #: Subnormal numbers become zero while the kernel runs (faster, not bit-exact).
        self.flush_denormals = flush_denormals
        self.layout = lay = build_layout(graph, self.order, self.dtype)
        #: Mean nonzero outputs per node per step of the last run (None until measured).
        self.density: np.ndarray | None = None
        # Built once: rebuilding them per call costs tens of microseconds, a visible share of
        # a batch-1 run or a streaming step.
        self._edge_src = np.repeat(np.arange(len(lay.names)), np.diff(lay.src_ptr))
        self._inputs = [
            (k, lay.input_col[k], lay.size[k]) for k in np.flatnonzero(lay.kind == INPUT)
        ]
        self._probe_cache: dict[tuple, _Probes] = {}
        # What the kernel restarts per-thread state rows from (``kernels.SCRATCH_STATE``).
        self._v_init = np.ascontiguousarray(lay.coeff["v_init"], dtype=self.dtype)
        self._kernel_args = (
            (lay.kind, lay.size, lay.offset, lay.input_col, lay.spiking, lay.subtract,
             lay.refractory, lay.buf_offset, lay.depth, lay.horizon, lay.src_ptr, lay.stride,
             lay.uniform, lay.max_span),
            tuple(lay.coeff[k] for k in COEFFICIENT_ORDER) + (lay.x_bias,),
            (lay.indptr, lay.syn_offset, lay.syn_weight),
        )  # fmt: skip

    # -- strategy ------------------------------------------------------------------------------

    def edge_strategies(self, x: np.ndarray | None = None) -> np.ndarray:
        """Per-edge flag (1 dense, 0 event) for the next call, fixed for the whole call.

        ``auto`` uses each source's measured density: Inputs from ``x`` (this run's input),
        populations from the previous run; unmeasured sources are pushed event-driven.
        """
        src = self._edge_src
        if self.strategy != "auto":
            return np.full(src.size, int(self.strategy == "dense"), np.int64)
        if self.density is None:
            density = np.zeros(len(self.layout.names))
        else:
            density = self.density.copy()
        if x is not None and x.size:
            rows = x.reshape(-1, x.shape[-1])
            rows = rows[:: max(1, rows.size // DENSITY_SAMPLE)]
            for k, c, n in self._inputs:
                density[k] = np.count_nonzero(rows[:, c : c + n]) / (rows.shape[0] * n)
        return (density[src] > DENSE_ABOVE).astype(np.int64)

    # -- Simulator hooks -----------------------------------------------------------------------

    def _input_array(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """[T, B, channels], Inputs in layout column order: uint8 when every input is bool or
        uint8 (a spike raster passes through uncopied), else the simulation dtype."""
        parts = [inputs[name] for name in self.layout.input_names]
        dtype = self.dtype
        if all(p.dtype in (np.bool_, np.uint8) for p in parts):
            parts, dtype = [p.view(np.uint8) for p in parts], np.uint8
        if len(parts) == 1:
            return np.ascontiguousarray(parts[0], dtype=dtype)
        return np.concatenate(parts, axis=2).astype(dtype)

    def _run(self, inputs, steps, batch, recorder: Recorder) -> None:
        x = self._input_array(inputs)
        probes = self._probes_for(recorder.record)
        strategies = self.edge_strategies(x)
        chunk = self._chunk_steps(x, probes)
        # A run in one kernel call needs no sample's state afterwards, so each thread keeps the
        # state of the tile it runs in rows of its own, which stay in its cache (W3 about a
        # tenth faster, docs/numba.md). A run in chunks carries every sample's state across.
        state, args = self._fresh_arguments(
            batch, strategies, probes.cols, batch > 1 and chunk == steps
        )
        self._record_calls(0, x, chunk, args, probes, recorder)
        if steps:
            nonzero = state.nonzero[:, : len(self.layout.names)]
            if nonzero.min() < 0:
                raise RuntimeError(
                    "numba backend: a worker thread ran outside its state rows "
                    f"(numba.get_thread_id() >= get_num_threads() = {_jit()[0].get_num_threads()})"
                )
            self.density = nonzero.sum(axis=0) / (steps * batch * self.layout.size)

    def _reset_stream(self, batch: int) -> None:
        self._stream = _State(self.layout, batch, self.dtype)
        self._t = 0
        self._stream_probes = self._probes_for(self.record)
        # Built once per stream: a step costs tens of microseconds, so rebuilding them showed.
        strategies = self.edge_strategies()
        self._stream_args = self._arguments(
            self._stream, strategies, self._stream_probes.cols, self._tile_size(batch, strategies)
        )

    def _step(self, inputs):
        x = self._input_array({name: a[None] for name, a in inputs.items()})
        recs = self._call(self._t, x, self._stream_args, self._stream_probes.widths)
        self._t += 1
        values: dict[str, dict[str, np.ndarray]] = {}
        for name, var, v, start, n in self._stream_probes.slices:
            values.setdefault(name, {})[var] = recs[v][:, 0, start : start + n]
        return values

    def _stream_steps(self, inputs, steps, recorder: Recorder) -> None:
        # The same kernel as a step, over every step at once: the call's fixed cost (tens of
        # microseconds) is paid once per chunk, not once per step.
        x = self._input_array(inputs)
        probes = self._stream_probes
        self._record_calls(
            self._t, x, self._chunk_steps(x, probes), self._stream_args, probes, recorder
        )
        self._t += steps

    # -- helpers -------------------------------------------------------------------------------

    def _probes_for(self, record: dict[str, tuple[str, ...]]) -> _Probes:
        """``_probe_columns`` of a resolved record, computed once per distinct record (per run
        they cost ~10 µs, a visible share of a batch-1 run)."""
        key = tuple((name, var) for name, variables in record.items() for var in variables)
        if key not in self._probe_cache:
            wanted = set(key)
            self._probe_cache[key] = self._probe_columns(lambda name, var: (name, var) in wanted)
        return self._probe_cache[key]

    def _probe_columns(self, wants) -> _Probes:
        """Where the probes of the (node, var) pairs that ``wants`` sit in the kernel's arrays."""
        lay = self.layout
        cols = np.full((3, len(lay.names)), -1, np.int64)
        widths = [0, 0, 0]
        for k, name in enumerate(lay.names):
            if lay.kind[k] == INPUT:
                continue
            for v, var in enumerate(VARS):
                if wants(name, var):
                    # Each probe starts a cache line (bool: 64 per line, else LINE).
                    cols[v, k] = widths[v]
                    line = CACHE_LINE if v == 0 else LINE
                    widths[v] += -(-int(lay.size[k]) // line) * line
        slices = [
            (name, var, v, int(cols[v, k]), int(lay.size[k]))
            for k, name in enumerate(lay.names)
            for v, var in enumerate(VARS)
            if cols[v, k] >= 0
        ]
        return _Probes(cols, widths, slices)

    def _fresh_arguments(
        self, batch: int, strategies: np.ndarray, cols: np.ndarray, scratch: bool
    ) -> tuple[_State, tuple]:
        """Fresh state for ``batch`` samples and the kernel's arguments with it; ``scratch``:
        state rows per thread instead of per sample (``kernels.SCRATCH_STATE``)."""
        tile = self._tile_size(batch, strategies)
        rows = _jit()[0].get_num_threads() * tile if scratch else None
        state = _State(self.layout, batch, self.dtype, rows)
        return state, self._arguments(state, strategies, cols, tile, scratch)

    def _arguments(
        self,
        state: _State,
        strategies: np.ndarray,
        cols: np.ndarray,
        tile: int,
        scratch: bool = False,
    ) -> tuple:
        """The kernel's arguments but t0, the input and the probe arrays (see ``_call``), with
        ``tile`` samples per tile; ``scratch``: ``state`` holds that many rows per thread
        (``kernels.SCRATCH_STATE``)."""
        lay = self.layout
        kernels = _jit()[1]
        nodes, coeffs, synapses = self._kernel_args
        edges = (lay.edge_dst, lay.edge_rows, lay.edge_latency, lay.edge_indptr, strategies)
        arrays = (state.v, state.cur, state.ref, state.out, state.buf, state.nonzero, self._v_init)
        flags = kernels.FLUSH_DENORMALS if self.flush_denormals else 0
        if scratch:
            flags |= kernels.SCRATCH_STATE
        return nodes, coeffs, edges, synapses, arrays, cols, tile, flags

    def _tile_size(self, batch: int, strategies: np.ndarray) -> int:
        """Samples per tile: one, unless a dense push can share its passes over the weights;
        then no larger than an even share of the batch per thread. The size changes no bit
        (``kernels.tile``), only the speed."""
        if batch > 1 and np.any(self.layout.edge_rows & strategies):
            return max(1, min(DENSE_TILE, -(-batch // _jit()[0].get_num_threads())))
        return 1

    @staticmethod
    def _chunk_steps(x: np.ndarray, probes: _Probes) -> int:
        """Steps per kernel call over input ``x`` [T, B, ...]: all of them, unless their
        recordings would exceed ``CHUNK_BYTES``."""
        steps, batch = x.shape[:2]
        bytes_per_step = max(1, batch * sum(probes.widths) * 8)
        return max(1, min(steps, CHUNK_BYTES // bytes_per_step))

    def _record_calls(
        self, t_start: int, x: np.ndarray, chunk: int, args: tuple, probes: _Probes, recorder
    ) -> None:
        """Run the kernel over ``x`` from global step ``t_start``, ``chunk`` steps per call, and
        hand the probes to ``recorder`` (step 0 of the record being ``x``'s first)."""
        steps = x.shape[0]
        for t0 in range(0, steps, chunk):
            span = min(chunk, steps - t0)
            recs = self._call(t_start + t0, x[t0 : t0 + span], args, probes.widths)
            for (name, var), block in self._split(recs, probes.slices).items():
                if span == steps:
                    recorder.adopt(name, var, block)  # the kernel's fresh array: no copy
                else:
                    recorder.write(t0, name, var, block)

    def _call(self, t0, x, args: tuple, widths) -> tuple[np.ndarray, ...]:
        """Run the kernel over ``x`` from step ``t0``; return the fresh [B, T, width] probe arrays
        (sample-major, see ``kernels.tile``)."""
        numba, kernels = _jit()
        steps, batch = x.shape[0], x.shape[1]
        # Not zeroed: the kernel writes every recorded column at every step, and the padding
        # between them is never read; zeroing them took 7 ms of a 99 ms W3 run (one thread,
        # cProfile).
        empty = sample_arrays(shared=batch > 1, fill=False)
        recs = (
            empty((batch, steps, widths[0]), np.bool_),
            empty((batch, steps, widths[1]), self.dtype),
            empty((batch, steps, widths[2]), self.dtype),
        )
        nodes, coeffs, edges, synapses, arrays, cols, tile, flags = args
        probes = (cols[0], cols[1], cols[2], *recs)
        # The kernel takes the input as bytes, a flag telling a spike raster from values.
        if x.dtype != np.uint8:
            flags |= kernels.FLOAT_INPUT
        x = x.view(np.uint8)
        if batch == 1:
            # Serially: a parallel region would wait at the thread barrier, which costs
            # milliseconds on a busy machine, at every streaming step.
            kernels.tile(0, 1, 0, t0, x, nodes, coeffs, edges, synapses, arrays, probes, flags)
        else:
            # One tile per chunk, handed out dynamically: with static halves, a thread that
            # the OS deschedules holds back half of the batch.
            with numba.parallel_chunksize(1):
                kernels.simulate(t0, x, tile, nodes, coeffs, edges, synapses, arrays, probes, flags)
        return recs

    @staticmethod
    def _split(recs, slices) -> dict[tuple[str, str], np.ndarray]:
        """Cut the kernel's [B, T, R] probe arrays into {(node, var): [T, B, n]} views (not
        copies, so they are not C-contiguous)."""
        return {
            (name, var): recs[v][:, :, start : start + n].transpose(1, 0, 2)
            for name, var, v, start, n in slices
        }
