"""Lowering a graph to the flat arrays the Numba kernel reads (pure numpy, no JIT here).

Every node (Input or population, in update order) owns a slice ``[offset, offset + size)`` of
one per-sample neuron axis. Every population owns a window of future-input slots that slides
forward in time: ``depth = 1 + the largest latency arriving at it``, ``horizon = max(8, depth -
1)`` (1 for depth 1 when ``max_span`` is 1) and ``depth + horizon - 1`` slots of ``stride``
values (the size rounded up to a cache line). With ``base = t - t mod horizon``, the slot of
step τ is ``τ - base``: a source that outputs ``y_j`` at step t adds ``w * y_j`` into its target's slot
``t mod horizon + L``, which the target reads (and clears) at step ``t + L``. When t reaches a
multiple of the horizon, the ``depth - 1`` pending slots move to the front of the window.
Projections are stored by presynaptic neuron (CSR), in one of two shapes:

* ``rows``: one latency for the whole edge and a filled matrix; row j holds all ``out``
  weights (zeros included), so a push is one contiguous, vectorisable axpy;
* ``synapses``: per-synapse ``slot_offset = L * stride + post`` (int32 when it fits) and
  weight, sorted by (pre, slot_offset); a push scatters into
  ``slot_offset + (t mod horizon) * stride``.
  Unlike a modular ring, this address needs no wrap test, which halves the cost of a scatter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikesim.errors import GraphError
from spikesim.ir import Dense, Graph, Input
from spikesim.ir.neurons import COEFFICIENTS

INPUT, POPULATION = 0, 1

#: Fewest steps between two moves of an input window (see the module docstring).
MIN_HORIZON = 8

#: The coefficient vectors the update reads, in the order ``kernels._update_population``
#: unpacks them (before the summed projection biases, ``x_bias``).
COEFFICIENT_ORDER = ("alpha", "beta", "input_gain", "current_gain", "bias", "v_th", "v_reset")

#: Longest refractory period: the per-neuron counters are int32 (half the bytes of int64, so
#: twice the SIMD lanes next to float32 state).
REFRACTORY_MAX = 2**31 - 1

#: Bytes per cache line (x86 and most ARM cores).
CACHE_LINE = 64
#: Elements per alignment unit: a cache line of float32 (two of float64).
LINE = CACHE_LINE // 4

#: An edge with one latency and at least this fraction of nonzero weights is stored as full
#: rows: a contiguous axpy over ``out`` entries beats a scatter of ``fill * out`` entries above
#: about 1/10 fill (SIMD axpy is ~10x cheaper per entry than an indexed scatter).
ROWS_MIN_FILL = 0.1


@dataclass
class Layout:
    """The graph as flat arrays; field comments give shapes (K nodes, E edges, S synapses)."""

    names: list[str]  # K node names in update order
    kind: np.ndarray  # (K,) INPUT or POPULATION
    size: np.ndarray  # (K,) neurons or channels
    offset: np.ndarray  # (K,) start on the per-sample neuron axis
    input_col: np.ndarray  # (K,) start in the concatenated input array (-1: population)
    spiking: np.ndarray  # (K,) 1 for LIF/IF
    subtract: np.ndarray  # (K,) 1 for reset="subtract"
    refractory: np.ndarray  # (K,) refractory period in steps
    buf_offset: np.ndarray  # (K,) start of the node's input window on the per-sample buffer axis
    depth: np.ndarray  # (K,) 1 + max incoming latency
    # (K,) steps between window moves, max(8, depth - 1) (1 for depth 1); a window has
    # depth + horizon - 1 slots
    horizon: np.ndarray
    stride: np.ndarray  # (K,) size rounded up to LINE: the node's slice and window-slot length
    # (K,) 1 for a population whose neurons share every coefficient and projection bias (the
    # kernel then updates it with scalars)
    uniform: np.ndarray
    # Most steps one node may run ahead of the next (node-major chunks, see ``chunk_limit``)
    max_span: int
    coeff: dict[str, np.ndarray]  # per-neuron coefficients (N,), simulation dtype
    x_bias: np.ndarray  # (N,) sum of projection biases into each neuron
    src_ptr: np.ndarray  # (K+1,) edges of node k are src_ptr[k]:src_ptr[k+1]
    edge_dst: np.ndarray  # (E,) target node index
    edge_rows: np.ndarray  # (E,) 1: rows shape, 0: synapses shape
    edge_latency: np.ndarray  # (E,) the single latency of a rows edge (0 for synapses)
    edge_indptr: np.ndarray  # (E,) start of the edge's (in+1,) slice of ``indptr``
    edge_names: list[str]  # E "src->dst" labels
    indptr: np.ndarray  # concatenated CSR row pointers (absolute positions in syn arrays)
    syn_offset: np.ndarray  # (S,) L*stride + post (int32, or int64 for huge windows)
    # (S,) weights in the simulation dtype, or float32 under float64 when that holds each
    # exactly (see ``compact_weights``)
    syn_weight: np.ndarray
    input_names: list[str]  # Input nodes, in the column order of the input array
    n_neurons: int  # N: length of the per-sample neuron axis (node slices padded to LINE)
    n_buffer: int  # length of the per-sample input-window axis

    def nbytes(self) -> dict[str, int]:
        """Bytes of the compiled connectivity (independent of batch size)."""
        return {
            "syn_weight": self.syn_weight.nbytes,
            "syn_offset": self.syn_offset.nbytes,
            "indptr": self.indptr.nbytes,
            "coefficients": sum(a.nbytes for a in self.coeff.values()) + self.x_bias.nbytes,
        }


#: Weights compared per block in ``compact_weights`` (bounds its temporaries at 100 M synapses).
COMPACT_BLOCK = 2**22


def compact_weights(weights: np.ndarray) -> np.ndarray:
    """``weights`` as float32 if they are float64 values that float32 holds exactly, else as given.

    Weights trained in float32 (torch's default) are such values. Stored in half the bytes,
    they halve the traffic of a push, whose weights stream from L2 once a graph outgrows L1
    (W3 in float64: 730 KB). The kernel widens each one exactly before adding, so every sum is
    bit for bit that of float64 storage.
    """
    if weights.dtype != np.float64 or not weights.size:
        return weights  # (an empty array would only cost a specialisation)
    for start in range(0, weights.size, COMPACT_BLOCK):
        block = weights[start : start + COMPACT_BLOCK]
        with np.errstate(over="ignore"):  # a weight past float32's range becomes inf: inexact
            if not np.array_equal(block.astype(np.float32), block):
                return weights
    return weights.astype(np.float32)


#: ``max_span`` of a graph with nothing that limits it (any run is shorter).
UNLIMITED_SPAN = 2**62


def chunk_limit(edges: list[tuple[int, int, np.ndarray]]) -> int:
    """The longest chunk of steps that the kernel may run node by node, not step by step.

    ``edges``: (source, target, latencies) with nodes as update-order indices. Running node k
    over steps t..t+C-1 before node k+1 gives every window cell the same terms in the same
    order as running all nodes step by step, if (1) a target before its source in the update
    order does not need this chunk's values, so C <= the latency of such an edge, and (2) two
    sources k1 < k2 of one target never reach one cell with k2's term from an earlier step
    than k1's within one chunk: a pair with latencies l1 < l2 lands terms from steps l2 - l1
    apart, so C <= the smallest such gap. Returns 1 (step by step) up to UNLIMITED_SPAN.
    """
    limit = UNLIMITED_SPAN
    by_target: dict[int, dict[int, np.ndarray]] = {}
    for src, dst, lat in edges:
        if dst < src:
            limit = min(limit, int(lat.min()))
        # The distinct latencies, ascending (a bincount: O(n) at 100 M synapses, unlike a sort).
        distinct = np.flatnonzero(np.bincount(lat))
        sources = by_target.setdefault(dst, {})
        sources[src] = np.union1d(sources.get(src, distinct[:0]), distinct)
    for sources in by_target.values():
        ordered = [sources[k] for k in sorted(sources)]
        for a, early in enumerate(ordered):
            for late in ordered[a + 1 :]:
                # For each latency l2 of the later source, the nearest smaller l1 of the earlier.
                below = np.searchsorted(early, late) - 1
                gaps = late[below >= 0] - early[below[below >= 0]]
                if gaps.size:
                    limit = min(limit, int(gaps.min()))
    return max(1, limit)


def build_layout(graph: Graph, order: list[str], dtype) -> Layout:
    """Flatten ``graph`` (nodes in ``order``) into a Layout with weights in ``dtype``."""
    index = {name: k for k, name in enumerate(order)}
    nodes = [graph.nodes[name] for name in order]
    n_nodes = len(order)
    size = np.array([node.size for node in nodes], np.int64)
    # Node slices and window slots start on cache lines: threads that own neighbouring samples
    # then never write to the same line.
    stride = -(-size // LINE) * LINE
    offset = np.zeros(n_nodes, np.int64)
    offset[1:] = np.cumsum(stride)[:-1]
    n_neurons = int(stride.sum())
    kind = np.array([INPUT if isinstance(n, Input) else POPULATION for n in nodes], np.int64)

    input_names = [name for name in order if isinstance(graph.nodes[name], Input)]
    input_col = np.full(n_nodes, -1, np.int64)
    col = 0
    for name in input_names:
        input_col[index[name]] = col
        col += graph.nodes[name].size

    pops = [(k, node) for k, node in enumerate(nodes) if kind[k] == POPULATION]
    spiking = np.zeros(n_nodes, np.int64)
    subtract = np.zeros(n_nodes, np.int64)
    refractory = np.zeros(n_nodes, np.int64)
    coeff64 = {name: np.zeros(n_neurons) for name in COEFFICIENTS}
    for k, pop in pops:
        spiking[k] = int(pop.spiking)
        subtract[k] = int(pop.reset == "subtract")
        refractory[k] = pop.refractory if pop.spiking else 0
        if refractory[k] > REFRACTORY_MAX:
            raise GraphError(
                f"node {order[k]!r}: refractory: the numba backend counts it in int32, "
                f"expected <= {REFRACTORY_MAX} steps, got {refractory[k]}"
            )
        for name, vector in pop.coefficient_table().items():
            coeff64[name][offset[k] : offset[k] + size[k]] = vector

    # Synapses with weight 0 never deliver anything (and their latency is unchecked): drop them.
    synapses = {}
    for e in graph.edges:
        post, pre, w, lat = e.coo()
        keep = w != 0
        # Copy only when something is dropped: at 100 M synapses a copy is 3.2 GB.
        whole = keep.all()
        synapses[id(e)] = (
            (post, pre, w, lat) if whole else (post[keep], pre[keep], w[keep], lat[keep])
        )
    edges = [e for e in graph.edges if synapses[id(e)][2].size or e.bias is not None]
    depth = np.ones(n_nodes, np.int64)
    x_bias64 = np.zeros(n_neurons)
    for e in edges:
        k = index[e.dst]
        lat = synapses[id(e)][3]
        depth[k] = max(depth[k], int(lat.max(initial=0)) + 1)
        if e.bias is not None:
            x_bias64[offset[k] : offset[k] + size[k]] += e.bias
    # Uniform: every value the update reads per neuron is the same across the population.
    uniform = np.zeros(n_nodes, np.int64)
    for k, _ in pops:
        part = slice(offset[k], offset[k] + size[k])
        vectors = [coeff64[name][part] for name in COEFFICIENT_ORDER]
        vectors.append(x_bias64[part])
        uniform[k] = int(all(np.all(v == v[0]) for v in vectors))
    # Edges with synapses, grouped by source in update order (the order pushes happen in).
    pushing = [e for e in edges if synapses[id(e)][2].size]
    pushing.sort(key=lambda e: index[e.src])
    # horizon >= depth - 1 keeps a move's source and destination slots apart; at least
    # MIN_HORIZON so that shallow windows (one-step latencies) do not move at every step.
    # Chunks end at every node's horizon, so a depth-1 window (latency-0 input only) gets one
    # too when chunks are possible, and is otherwise one slot, read and cleared every step.
    max_span = chunk_limit([(index[e.src], index[e.dst], synapses[id(e)][3]) for e in pushing])
    shallow = 1 if max_span == 1 else MIN_HORIZON
    horizon = np.where(depth > 1, np.maximum(MIN_HORIZON, depth - 1), shallow)
    horizon[kind == INPUT] = 1  # an Input has no window
    buf_offset = np.zeros(n_nodes, np.int64)
    window = (depth + horizon - 1) * stride * (kind == POPULATION)
    buf_offset[1:] = np.cumsum(window)[:-1]
    wide = np.iinfo(np.int32).max <= int(window.max(initial=0))
    offset_dtype = np.int64 if wide else np.int32

    src_ptr = np.searchsorted([index[e.src] for e in pushing], np.arange(n_nodes + 1))
    indptrs, offsets, weights = [], [], []
    rows_flag, latency, indptr_start = [], [], []
    position, ip_position = 0, 0
    for e in pushing:
        post, pre, w, lat = synapses[id(e)]
        n_out, n_in = e.shape
        lo, hi = int(lat.min()), int(lat.max())
        rows = lo == hi and (isinstance(e, Dense) or w.size >= ROWS_MIN_FILL * n_out * n_in)
        if rows:
            full = np.zeros((n_in, n_out))
            full[pre, post] = w
            weights.append(full.ravel())
            offsets.append(np.tile(np.arange(n_out, dtype=offset_dtype) + lo * n_out, n_in))
            counts = np.full(n_in, n_out, np.int64)
        else:
            # Within a presynaptic row, ascending slot offset: the scatter walks memory forward.
            slot_offset = lat * stride[index[e.dst]] + post
            # One sort of a unique int64 key: (pre, post) pairs are unique and post < stride,
            # so (pre, slot offset) pairs are too (5x faster than lexsort on two keys at 11 M).
            by_pre = np.argsort(pre * (int(slot_offset.max()) + 1) + slot_offset)
            weights.append(w[by_pre])
            offsets.append(slot_offset[by_pre].astype(offset_dtype))
            counts = np.bincount(pre, minlength=n_in)
        ptr = np.zeros(n_in + 1, np.int64)
        np.cumsum(counts, out=ptr[1:])
        indptrs.append(ptr + position)
        position += int(ptr[-1])
        rows_flag.append(int(rows))
        latency.append(lo if rows else 0)
        indptr_start.append(ip_position)
        ip_position += n_in + 1

    def cat(parts, dt):
        return np.concatenate(parts).astype(dt) if parts else np.zeros(0, dt)

    return Layout(
        names=list(order),
        kind=kind,
        size=size,
        offset=offset,
        input_col=input_col,
        spiking=spiking,
        subtract=subtract,
        refractory=refractory,
        buf_offset=buf_offset,
        depth=depth,
        horizon=horizon,
        stride=stride,
        uniform=uniform,
        max_span=max_span,
        coeff={name: v.astype(dtype) for name, v in coeff64.items()},
        x_bias=x_bias64.astype(dtype),
        src_ptr=src_ptr.astype(np.int64),
        edge_dst=np.array([index[e.dst] for e in pushing], np.int64),
        edge_rows=np.array(rows_flag, np.int64),
        edge_latency=np.array(latency, np.int64),
        edge_indptr=np.array(indptr_start, np.int64),
        edge_names=[f"{e.src}->{e.dst}" for e in pushing],
        indptr=cat(indptrs, np.int64),
        syn_offset=cat(offsets, offset_dtype),
        syn_weight=compact_weights(cat(weights, dtype)),
        input_names=input_names,
        n_neurons=n_neurons,
        n_buffer=int(window.sum()),
    )
