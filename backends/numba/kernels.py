"""The Numba kernel: one generic, cached time loop for every graph (docs/numba.md).

The whole jitted call chain lives in this module because Numba's on-disk cache checks only the
timestamp of the file that defines a function. There is no per-graph code: the graph arrives as
the flat arrays of ``layout.Layout`` and runtime flags, so the only specialisations are the
simulation dtype (float32/float64), the input dtype (that dtype, or uint8 for spike rasters) and
the synapse-offset width (int32/int64).

Parallelism is over batch samples (``prange``): every sample owns its state and input windows
and runs the whole time loop alone, so no two threads ever write the same memory and the
result does not depend on the thread count or on which other samples share the batch.
No fastmath: the arithmetic is the reference's, operation for operation.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

INPUT = 0  # must equal layout.INPUT


@njit(cache=True, parallel=True)
def simulate(t0, x, nodes, coeffs, edges, synapses, state, probes):
    """Advance every sample by ``x.shape[0]`` steps, the first being global step ``t0``.

    ``x`` [T, B, inputs] holds the input values. The tuples are built by
    ``NumbaSimulator._call``: ``nodes`` and ``edges`` the int64 arrays of the Layout,
    ``coeffs`` the per-neuron coefficients, ``synapses`` = (indptr, syn_offset, syn_weight),
    ``state`` = (v, i, ref, out, buf, nonzero) updated in place, ``probes`` the recording
    columns and arrays.
    """
    for b in prange(x.shape[1]):
        # int64: the prange index is unsigned after parfor lowering, and a second index type
        # would compile the whole time loop twice.
        sample(np.int64(b), t0, x, nodes, coeffs, edges, synapses, state, probes)


@njit(cache=True)
def sample(b, t0, x, nodes, coeffs, edges, synapses, state, probes):
    """The time loop of sample ``b``: every node in update order, then its outgoing pushes.

    Called per sample by ``simulate``, and directly for a batch of one.

    ``edge_dense[e]`` = 1 pushes every presynaptic value (dense), 0 only the nonzero ones
    (event-driven); both add the same terms in the same order. ``nonzero`` [B, K] accumulates
    each node's nonzero outputs (the measured density).
    """
    (
        kind,
        size,
        offset,
        input_col,
        spiking,
        subtract,
        refractory,
        buf_offset,
        depth,
        horizon,
        src_ptr,
        stride,
    ) = nodes
    edge_dst, edge_rows, edge_latency, edge_indptr, edge_dense = edges
    indptr, syn_offset, syn_weight = synapses
    v, cur, ref, out, buf, nonzero = state
    col_s, col_v, col_i, rec_s, rec_v, rec_i = probes
    # Views are taken once per sample: creating one touches the parent array's reference
    # count, an atomic that all threads would contend for if it happened every step.
    vb, ib, rb, ob, bb, nzb = v[b], cur[b], ref[b], out[b], buf[b], nonzero[b]
    # Scratch of this sample, padded by a cache line on each side so that no other thread's
    # data shares a line with it (the compaction writes ``active`` at every element).
    active = np.empty(max(1, size.max()) + 16, np.int64)[8:-8]
    # An Input's row in the simulation dtype, so that a uint8 raster adds the same terms.
    x_row = np.empty(max(1, x.shape[2]) + 32, vb.dtype)[16:-16]
    # Counted locally and written once at the end.
    nonzero_counts = np.zeros(kind.shape[0] + 16, np.int64)[8:-8]
    for s in range(x.shape[0]):
        t = t0 + s
        for k in range(kind.shape[0]):
            if kind[k] != INPUT and depth[k] > 1 and t > 0 and t % horizon[k] == 0:
                _advance_window(bb, buf_offset[k], depth[k], horizon[k], stride[k])
        for k in range(kind.shape[0]):
            n, off = size[k], offset[k]
            if kind[k] == INPUT:
                values = x_row[:n]
                row = x[s, b, input_col[k] : input_col[k] + n]
                for j in range(n):
                    values[j] = row[j]
            else:
                first = buf_offset[k] + (t % horizon[k]) * stride[k]
                _update_population(
                    spiking[k] != 0,
                    subtract[k] != 0,
                    refractory[k],
                    coeffs,
                    off,
                    n,
                    bb[first : first + n],
                    vb,
                    ib,
                    rb,
                    ob,
                )
                _record(s, b, off, n, col_s[k], col_v[k], col_i[k], ob, vb, ib, rec_s, rec_v, rec_i)
                values = ob[off : off + n]
            n_active = _compact(values, active)
            nonzero_counts[k] += n_active
            for e in range(src_ptr[k], src_ptr[k + 1]):
                d = edge_dst[e]
                # The target's window from this step's slot on: slot L is step t + L.
                now = buf_offset[d] + (t % horizon[d]) * stride[d]
                ahead = bb[now : now + depth[d] * stride[d]]
                rows_ptr = indptr[edge_indptr[e] : edge_indptr[e] + n + 1]
                count = n if edge_dense[e] else n_active
                if edge_rows[e]:
                    first = edge_latency[e] * stride[d]
                    _push_rows(
                        values,
                        active,
                        count,
                        edge_dense[e] != 0,
                        rows_ptr,
                        syn_weight,
                        ahead[first : first + size[d]],
                    )
                else:
                    _push_synapses(
                        values,
                        active,
                        count,
                        edge_dense[e] != 0,
                        rows_ptr,
                        syn_offset,
                        syn_weight,
                        ahead,
                    )
    for k in range(kind.shape[0]):
        nzb[k] += nonzero_counts[k]


# The helpers below work on slices rather than on offset indices: an index that Numba cannot
# prove non-negative gets a wraparound check that blocks SIMD vectorisation (measured 8x on the
# row axpy). They are inlined into ``sample`` so that the slices never cross a call, where
# each would cost a reference-count increment and decrement (W2 measured up to 1.7x faster).


@njit(cache=True, inline="always")
def _update_population(spiking, subtract, period, coeffs, off, n, slot, v, cur, ref, out):
    """docs/semantics.md §3 for one population of one sample; reads and clears its window slot."""
    alpha, beta, input_gain, current_gain, bias, v_th, v_reset, x_bias = coeffs
    end = off + n
    a, bt, gi, gc, bi = (
        alpha[off:end],
        beta[off:end],
        input_gain[off:end],
        current_gain[off:end],
        bias[off:end],
    )
    th, vr, xb = v_th[off:end], v_reset[off:end], x_bias[off:end]
    vv, cc, rr, oo = v[off:end], cur[off:end], ref[off:end], out[off:end]
    # Three passes of simple, branch-free loops that LLVM vectorises (measured 1.4-1.6x faster
    # than one loop with a refractory branch): the currents and v' (into ``out`` as scratch),
    # the refractory hold, then threshold, reset and output.
    for j in range(n):
        xin = slot[j] + xb[j]
        slot[j] = 0.0
        i_new = a[j] * cc[j] + gi[j] * xin
        cc[j] = i_new
        oo[j] = (bt[j] * vv[j] + gc[j] * i_new) + bi[j]
    if period > 0:
        for j in range(n):
            if rr[j] > 0:
                oo[j] = vv[j]
    for j in range(n):
        left = rr[j]
        v_pre = oo[j]
        fire = spiking & (v_pre > th[j]) & (left <= 0)
        reset_to = v_pre - th[j] if subtract else vr[j]
        vv[j] = reset_to if fire else v_pre
        rr[j] = period if fire else max(left - 1, 0)
        oo[j] = (1.0 if fire else 0.0) if spiking else v_pre


@njit(cache=True, inline="always")
def _record(s, b, off, n, col_s, col_v, col_i, out, v, cur, rec_spikes, rec_v, rec_i):
    if col_s >= 0:
        dst_s, src_s = rec_spikes[s, b, col_s : col_s + n], out[off : off + n]
        for j in range(n):
            dst_s[j] = src_s[j] != 0
    if col_v >= 0:
        dst_v, src_v = rec_v[s, b, col_v : col_v + n], v[off : off + n]
        for j in range(n):
            dst_v[j] = src_v[j]
    if col_i >= 0:
        dst_i, src_i = rec_i[s, b, col_i : col_i + n], cur[off : off + n]
        for j in range(n):
            dst_i[j] = src_i[j]


@njit(cache=True, inline="always")
def _compact(values, active):
    """Write the indices of nonzero ``values`` into ``active``; return how many there are."""
    count = 0
    for j in range(values.shape[0]):
        # Branch-free: always write, advance only past nonzeros (no mispredictions).
        active[count] = j
        count += values[j] != 0
    return count


@njit(cache=True, inline="always")
def _push_rows(values, active, count, dense, rows_ptr, syn_weight, target):
    """One-latency edge: ``target`` (the arrival slot) += row j of the weights x value j."""
    for a in range(count):
        j = a if dense else active[a]
        value = values[j]
        weights = syn_weight[rows_ptr[j] : rows_ptr[j] + target.shape[0]]
        for q in range(target.shape[0]):
            target[q] += weights[q] * value


@njit(cache=True, inline="always")
def _push_synapses(values, active, count, dense, rows_ptr, syn_offset, syn_weight, ahead):
    """Per-synapse latencies: ahead[L * stride + post] += weight x value j."""
    for a in range(count):
        j = a if dense else active[a]
        value = values[j]
        if value == 0:
            continue  # adds nothing (the event strategy never visits it either)
        offsets = syn_offset[rows_ptr[j] : rows_ptr[j + 1]]
        weights = syn_weight[rows_ptr[j] : rows_ptr[j + 1]]
        if value == 1:
            # A spike: w * 1 == w exactly, so dropping the multiply keeps every bit.
            for q in range(offsets.shape[0]):
                # Unsigned: the offset is never negative, and saying so drops a wraparound check.
                ahead[np.uint64(offsets[q])] += weights[q]
        else:
            for q in range(offsets.shape[0]):
                ahead[np.uint64(offsets[q])] += weights[q] * value


@njit(cache=True, inline="always")
def _advance_window(buf, start, depth, horizon, n):
    """Step t reached a multiple of the horizon: move slots [horizon, horizon + depth - 1)
    (steps t .. t + depth - 2) to the front and clear them; every other slot is already clear."""
    window = buf[start : start + (depth + horizon - 1) * n]
    pending = (depth - 1) * n
    for i in range(pending):
        window[i] = window[horizon * n + i]
        window[horizon * n + i] = 0.0
