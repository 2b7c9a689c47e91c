"""The Numba kernel: one generic, cached time loop for every graph (docs/numba.md).

The whole jitted call chain lives in this module because Numba's on-disk cache checks only the
timestamp of the file that defines a function. There is no per-graph code: the graph arrives as
the flat arrays of ``layout.Layout`` and runtime flags, so the only specialisations are the
simulation dtype (float32/float64), the input dtype (that dtype, or uint8 for spike rasters),
the weight storage (float32 under float64 when exact, ``layout.compact_weights``) and the
synapse-offset width (int32/int64).

Parallelism is over batch samples (``prange``): every sample owns its state and input windows
and runs the whole time loop alone, so no two threads ever write the same memory and the
result does not depend on the thread count or on which other samples share the batch.
No fastmath: the arithmetic is the reference's, operation for operation, unless the caller opts
into ``FLUSH_DENORMALS`` (subnormal numbers then count as zero).
"""

from __future__ import annotations

import platform

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

INPUT = 0  # must equal layout.INPUT

#: ``flags`` bit: flush subnormal results and inputs to zero while the kernel runs.
FLUSH_DENORMALS = 1
#: MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6) bits.
FTZ_DAZ = 0x8040
#: The floating-point mode is x86's MXCSR; elsewhere the fp-mode helpers do nothing (the
#: simulator refuses ``flush_denormals`` there).
X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")


@njit(cache=True, parallel=True)
def simulate(t0, x, nodes, coeffs, edges, synapses, state, probes, flags):
    """Advance every sample by ``x.shape[0]`` steps, the first being global step ``t0``.

    ``x`` [T, B, inputs] holds the input values. The tuples are built by
    ``NumbaSimulator._call``: ``nodes`` and ``edges`` the int64 arrays of the Layout,
    ``coeffs`` the per-neuron coefficients, ``synapses`` = (indptr, syn_offset, syn_weight),
    ``state`` = (v, i, ref, out, buf, nonzero) updated in place, ``probes`` the recording
    columns and the [B, T, width] arrays they index. ``flags``: ``FLUSH_DENORMALS`` or 0.
    """
    for b in prange(x.shape[1]):
        # int64: the prange index is unsigned after parfor lowering, and a second index type
        # would compile the whole time loop twice.
        sample(np.int64(b), t0, x, nodes, coeffs, edges, synapses, state, probes, flags)


@njit(cache=True)
def sample(b, t0, x, nodes, coeffs, edges, synapses, state, probes, flags):
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
        uniform,
        max_span,
    ) = nodes
    edge_dst, edge_rows, edge_latency, edge_indptr, edge_dense = edges
    indptr, syn_offset, syn_weight = synapses
    v, cur, ref, out, buf, nonzero = state
    col_s, col_v, col_i, rec_s, rec_v, rec_i = probes
    # The rows of this sample, taken once. Inside the time loop nothing is sliced: a slice is a
    # new reference to its parent array, and counting references is an atomic on a counter
    # that every thread shares (the parents hold every sample). Helpers index with unsigned
    # offsets instead, which Numba needs no wraparound check for, so loops still vectorise.
    vb, ib, rb, ob, bb, nzb = v[b], cur[b], ref[b], out[b], buf[b], nonzero[b]
    # The probe arrays are [B, T, width], used flat: row (b, s) starts at (b * T + s) * width.
    # A sample's probe writes are then one contiguous stream. In [T, B, width] each step's row
    # lay B rows from the last, a new cache line to fetch every time (W3 kernel, one thread,
    # min of 15 interleaved: 57.8 against 48.0 ms).
    flat_s, flat_v, flat_i = rec_s.ravel(), rec_v.ravel(), rec_i.ravel()
    # Scratch of this sample, padded by a cache line on each side so that no other thread's
    # data shares a line with it.
    active = np.empty(max(1, size.max()) + 32, np.int32)[16:-16]
    # This step's output of the node being pushed, in the simulation dtype (an Input's row,
    # widened from uint8 for a spike raster, so that the terms are those of a float raster).
    # The padding also lets the compaction read whole blocks of COMPACT_LANES past the end.
    values = np.empty(max(1, size.max()) + 32, vb.dtype)[16:-16]
    # Counted locally and written once at the end.
    nonzero_counts = np.zeros(kind.shape[0] + 16, np.int64)[8:-8]
    # Set on this thread for this sample only, and restored below.
    saved_fp_mode = _read_fp_mode()
    if flags & FLUSH_DENORMALS:
        _write_fp_mode(saved_fp_mode | FTZ_DAZ)
    chunk_start = 0
    while chunk_start < x.shape[0]:
        # A chunk runs node by node: each node over the whole chunk before the next
        # (layout.chunk_limit shows that every cell still gets the same terms in the same
        # order as step by step).
        t = t0 + chunk_start
        # The chunk ends at the next window move of any node (there, every pending slot
        # moves to the front of its window).
        span = min(x.shape[0] - chunk_start, max_span)
        for k in range(kind.shape[0]):
            if kind[k] != INPUT:
                if depth[k] > 1 and t > 0 and t % horizon[k] == 0:
                    _advance_window(bb, buf_offset[k], depth[k], horizon[k], stride[k])
                span = min(span, horizon[k] - t % horizon[k])
        for k in range(kind.shape[0]):
            # A population whose coefficients are all equal updates with them as scalars: the
            # same arithmetic, without eight coefficient loads per neuron (4-12 % of W2 and W3).
            n, off = size[k], offset[k]
            head = u(off)
            scalars = (
                coeffs[0][head], coeffs[1][head], coeffs[2][head], coeffs[3][head],
                coeffs[4][head], coeffs[5][head], coeffs[6][head], coeffs[7][head],
            )  # fmt: skip
            for s in range(chunk_start, chunk_start + span):
                t = t0 + s
                if kind[k] == INPUT:
                    _copy_input(x, s, b, input_col[k], n, values)
                else:
                    slot = buf_offset[k] + (t % horizon[k]) * stride[k]
                    if uniform[k]:
                        _update_population(
                            spiking[k] != 0, subtract[k] != 0, refractory[k], scalars,
                            off, n, slot, bb, vb, ib, rb, ob, values,
                        )  # fmt: skip
                    else:
                        _update_population(
                            spiking[k] != 0, subtract[k] != 0, refractory[k], coeffs,
                            off, n, slot, bb, vb, ib, rb, ob, values,
                        )  # fmt: skip
                    # The probes (written out here for the reason given at the pushes below).
                    row = b * x.shape[0] + s
                    if col_s[k] >= 0:
                        at = row * rec_s.shape[2] + col_s[k]
                        for j in range(n):
                            flat_s[u(at + j)] = ob[u(off + j)] != 0
                    if col_v[k] >= 0:
                        at = row * rec_v.shape[2] + col_v[k]
                        for j in range(n):
                            flat_v[u(at + j)] = vb[u(off + j)]
                    if col_i[k] >= 0:
                        at = row * rec_i.shape[2] + col_i[k]
                        for j in range(n):
                            flat_i[u(at + j)] = ib[u(off + j)]
                n_active = _compact(values, n, active)
                nonzero_counts[k] += n_active
                # The pushes are written out here rather than in helpers: with arrays passed to
                # inlined helpers here, Numba left reference counts in the loop (seen in its IR).
                for e in range(src_ptr[k], src_ptr[k + 1]):
                    d = edge_dst[e]
                    # The target's window from this step's slot on: slot L is step t + L.
                    now = buf_offset[d] + (t % horizon[d]) * stride[d]
                    dense, rows = edge_dense[e] != 0, edge_indptr[e]
                    if edge_rows[e]:
                        # One latency: the arrival slot += row j of the weights x value j (an axpy),
                        # for each pushed j in ascending order. Four rows share one pass over the
                        # slot: every element still takes its terms one at a time, in the same
                        # order, but is loaded and stored once per four rows, not four times.
                        target, n_out = now + edge_latency[e] * stride[d], size[d]
                        count = n if dense else n_active
                        a = 0
                        while a + 4 <= count:
                            j0, j1 = (a, a + 1) if dense else (active[u(a)], active[u(a + 1)])
                            j2, j3 = (
                                (a + 2, a + 3) if dense else (active[u(a + 2)], active[u(a + 3)])
                            )
                            v0, v1, v2, v3 = (
                                values[u(j0)],
                                values[u(j1)],
                                values[u(j2)],
                                values[u(j3)],
                            )
                            f0, f1 = indptr[u(rows + j0)], indptr[u(rows + j1)]
                            f2, f3 = indptr[u(rows + j2)], indptr[u(rows + j3)]
                            if v0 == 1 and v1 == 1 and v2 == 1 and v3 == 1:
                                # Spikes: w * 1 == w exactly, so dropping the multiplies keeps every bit.
                                for q in range(n_out):
                                    at = u(target + q)
                                    bb[at] = (
                                        ((bb[at] + syn_weight[u(f0 + q)]) + syn_weight[u(f1 + q)])
                                        + syn_weight[u(f2 + q)]
                                    ) + syn_weight[u(f3 + q)]
                            else:
                                for q in range(n_out):
                                    at = u(target + q)
                                    bb[at] = (
                                        (
                                            (bb[at] + syn_weight[u(f0 + q)] * v0)
                                            + syn_weight[u(f1 + q)] * v1
                                        )
                                        + syn_weight[u(f2 + q)] * v2
                                    ) + syn_weight[u(f3 + q)] * v3
                            a += 4
                        for rest in range(a, count):
                            j = rest if dense else active[u(rest)]
                            value, first = values[u(j)], indptr[u(rows + j)]
                            for q in range(n_out):
                                bb[u(target + q)] += syn_weight[u(first + q)] * value
                        continue
                    # Per-synapse latencies: bb[now + L * stride + post] += weight x value j.
                    for a in range(n if dense else n_active):
                        j = a if dense else active[u(a)]
                        value = values[u(j)]
                        if value == 0:
                            continue  # adds nothing (the event strategy never visits it either)
                        first, stop = indptr[u(rows + j)], indptr[u(rows + j + 1)]
                        if value == 1:
                            # A spike: w * 1 == w exactly, so dropping the multiply keeps every bit.
                            for q in range(first, stop):
                                bb[u(now + syn_offset[u(q)])] += syn_weight[u(q)]
                        else:
                            for q in range(first, stop):
                                bb[u(now + syn_offset[u(q)])] += syn_weight[u(q)] * value
        chunk_start += span
    for k in range(kind.shape[0]):
        nzb[k] += nonzero_counts[k]
    if flags & FLUSH_DENORMALS:
        _write_fp_mode(saved_fp_mode)


# The helpers are inlined into ``sample``, except ``_update_population`` (below). They index
# whole arrays at ``np.uint64`` offsets: a signed index that Numba cannot prove non-negative
# gets a wraparound check that blocks SIMD vectorisation (measured 8x on the row axpy), and a
# slice would count a reference (above).


def coef(c, i):
    """Coefficient of neuron i: ``c[i]`` of a per-neuron vector, or ``c`` (all neurons alike)."""


@overload(coef, inline="always")
def _coef(c, i):
    if isinstance(c, types.Array):
        return lambda c, i: c[i]
    return lambda c, i: c


@njit(cache=True, inline="always")
def u(i):
    """``i`` as an unsigned index: Numba then emits no wraparound check."""
    return np.uint64(i)


@njit(cache=True, inline="always")
def _copy_input(x, s, b, col, n, values):
    for j in range(n):
        values[u(j)] = x[u(s), u(b), u(col + j)]


# Called, not inlined: ``sample`` uses two specialisations (per-neuron vectors and scalars),
# and inlining both cost 2 s more JIT per kernel specialisation for no measurable speed.
@njit(cache=True)
def _update_population(
    spiking, subtract, period, coeffs, off, n, slot, buf, v, cur, ref, out, values
):
    """docs/semantics.md §3 for neurons off:off+n of one sample; reads and clears window slot
    ``buf[slot:slot+n]``; the outputs go to ``out`` and ``values``. ``coeffs``: the per-neuron
    vectors, or one scalar each for a population whose neurons all share them."""
    alpha, beta, input_gain, current_gain, bias, v_th, v_reset, x_bias = coeffs
    # Three passes of simple, branch-free loops that LLVM vectorises (measured 1.4-1.6x faster
    # than one loop with a refractory branch): the currents and v' (into ``values`` as scratch),
    # the refractory hold, then threshold, reset and output.
    for j in range(n):
        i, at = u(off + j), u(slot + j)
        xin = buf[at] + coef(x_bias, i)
        buf[at] = 0.0
        i_new = coef(alpha, i) * cur[i] + coef(input_gain, i) * xin
        cur[i] = i_new
        values[u(j)] = (coef(beta, i) * v[i] + coef(current_gain, i) * i_new) + coef(bias, i)
    if period > 0:
        for j in range(n):
            i = u(off + j)
            if ref[i] > 0:
                values[u(j)] = v[i]
    for j in range(n):
        i = u(off + j)
        # Without a refractory period the counters stay 0: neither read nor written (LLVM
        # unswitches the loop on ``period``).
        left = ref[i] if period > 0 else 0
        v_pre = values[u(j)]
        fire = spiking & (v_pre > coef(v_th, i)) & (left <= 0)
        reset_to = v_pre - coef(v_th, i) if subtract else coef(v_reset, i)
        v[i] = reset_to if fire else v_pre
        if period > 0:
            ref[i] = period if fire else max(left - 1, 0)
        y = (1.0 if fire else 0.0) if spiking else v_pre
        out[i] = y
        values[u(j)] = y


@njit(cache=True, inline="always")
def _compact(values, n, active):
    """Write the indices of the nonzero ``values[:n]`` into ``active``; return how many."""
    count = 0
    for start in range(0, n, COMPACT_LANES):
        count = _compress_block(values, start, n, active, count)
    return count


#: Values tested per compression step (one 512-bit vector of float32).
COMPACT_LANES = 16


@intrinsic
def _compress_block(typingctx, values, start, stop, active, count):
    """Append to ``active[count:]`` the indices j of ``[start, start + COMPACT_LANES)`` with
    ``j < stop`` and ``values[j] != 0`` (NaN counts as nonzero), ascending; return the new count.

    One vector compare and an LLVM ``masked.compressstore`` (AVX-512 ``vpcompressd``; LLVM
    expands it into scalar stores on other CPUs). It reads ``COMPACT_LANES`` values from
    ``start`` whatever ``stop`` is, so ``values`` must extend that far. Measured against a
    branch-free scalar loop, 256 float32 values at 5 % density: 31 against 105 ns (AVX-512),
    79 against 128 ns (code generated for Haswell).
    """
    if not (isinstance(values.dtype, types.Float) and active.dtype == types.int32):
        return None  # no match: Numba reports a typing error
    lanes = COMPACT_LANES

    def codegen(context, builder, signature, args):
        values_arg, start_arg, stop_arg, active_arg, count_arg = args
        values_type, _, _, active_type, _ = signature.args
        data = context.make_array(values_type)(context, builder, values_arg).data
        out = context.make_array(active_type)(context, builder, active_arg).data
        index_type = context.get_data_type(active_type.dtype)
        vector = ir.VectorType(context.get_data_type(values_type.dtype), lanes)
        indices = ir.VectorType(index_type, lanes)

        def splat(scalar):
            scalar = builder.trunc(scalar, index_type)
            one = builder.insert_element(
                ir.Constant(indices, ir.Undefined), scalar, ir.Constant(ir.IntType(32), 0)
            )
            return builder.shuffle_vector(
                one,
                ir.Constant(indices, ir.Undefined),
                ir.Constant(ir.VectorType(ir.IntType(32), lanes), None),
            )

        block = builder.load(
            builder.bitcast(builder.gep(data, [start_arg]), vector.as_pointer()), align=1
        )
        nonzero = builder.fcmp_unordered("!=", block, ir.Constant(vector, None))
        index = builder.add(splat(start_arg), ir.Constant(indices, list(range(lanes))))
        mask = builder.and_(nonzero, builder.icmp_signed("<", index, splat(stop_arg)))
        mask_type = ir.VectorType(ir.IntType(1), lanes)
        compress = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [indices, index_type.as_pointer(), mask_type]),
            f"llvm.masked.compressstore.v{lanes}i{index_type.width}",
        )
        builder.call(compress, [index, builder.gep(out, [count_arg]), mask])
        bits = ir.IntType(lanes)
        popcount = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(bits, [bits]), f"llvm.ctpop.i{lanes}"
        )
        found = builder.call(popcount, [builder.bitcast(mask, bits)])
        return builder.add(count_arg, builder.zext(found, ir.IntType(64)))

    return types.int64(values, types.int64, types.int64, active, types.int64), codegen


@njit(cache=True, inline="always")
def _advance_window(buf, start, depth, horizon, n):
    """Step t reached a multiple of the horizon: move slots [horizon, horizon + depth - 1)
    (steps t .. t + depth - 2) to the front and clear them; every other slot is already clear."""
    for i in range((depth - 1) * n):
        src = u(start + horizon * n + i)
        buf[u(start + i)] = buf[src]
        buf[src] = 0.0


def _mxcsr_call(builder, name: str, slot) -> None:
    """Call LLVM's ``llvm.x86.sse.<name>`` (stmxcsr/ldmxcsr) on the 32-bit ``slot``."""
    pointer = ir.IntType(8).as_pointer()
    fn = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(ir.VoidType(), [pointer]), f"llvm.x86.sse.{name}"
    )
    builder.call(fn, [builder.bitcast(slot, pointer)])


@intrinsic
def _read_fp_mode(typingctx):
    """This thread's MXCSR (0 off x86)."""

    def codegen(context, builder, signature, args):
        if not X86:
            return ir.Constant(ir.IntType(64), 0)
        slot = cgutils.alloca_once(builder, ir.IntType(32))
        _mxcsr_call(builder, "stmxcsr", slot)
        return builder.zext(builder.load(slot), ir.IntType(64))

    return types.int64(), codegen


@intrinsic
def _write_fp_mode(typingctx, mode):
    """Set this thread's MXCSR to ``mode`` (nothing off x86)."""

    def codegen(context, builder, signature, args):
        if X86:
            slot = cgutils.alloca_once(builder, ir.IntType(32))
            builder.store(builder.trunc(args[0], ir.IntType(32)), slot)
            _mxcsr_call(builder, "ldmxcsr", slot)
        return context.get_dummy_value()

    return types.none(types.int64), codegen
