"""The CuPy simulator's host-side orchestration (plan, rings, GEMM runs, recording, streaming)
on the CPU: cupy is replaced by numpy and each kernel by a numpy transcription of its ``.cu``
file. The kernels themselves are checked on a GPU (test_cupy_conformance.py); this catches
chunking and ring-indexing mistakes in the Python around them without one.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from spikesim.backends import cupy as backend
from spikesim.backends.cupy import kernels
from spikesim.conformance import compare_results, generate_cases
from spikesim.conformance.check import full_record


class _DeviceArray(np.ndarray):
    def get(self):
        return np.asarray(self)


def _fake_cupy():
    def wrap(f):
        return lambda *a, **k: np.asarray(f(*a, **k)).view(_DeviceArray)

    fake = types.ModuleType("cupy")
    fake.asarray, fake.zeros, fake.empty = wrap(np.array), wrap(np.zeros), wrap(np.empty)
    return fake


def _population(args, T_VAL, T_STATE, SPIKING, RESET_SUBTRACT):
    (
        x,
        v,
        cur,
        ref,
        coeff,
        ring,
        ring_len,
        t0,
        rec_s,
        rec_v,
        rec_i,
        flags,
        chunk,
        elems,
        size,
        refr,
    ) = args
    val = np.float64 if T_VAL == "double" else np.float32
    c = np.tile(coeff, (1, int(elems) // int(size))).astype(val)
    a, b, g_in, g_cur, bias, v_th, v_reset = c[:7]
    v, cur, ref = v.reshape(-1), cur.reshape(-1), ref.reshape(-1)
    vv, ii, rr = v.astype(val), cur.astype(val), ref.copy()
    for k in range(int(chunk)):
        ii = a * ii + g_in * x.reshape(int(chunk), -1)[k]
        refr_now = rr > 0
        h = np.where(refr_now, vv, (b * vv + g_cur * ii) + bias)
        if SPIKING:
            s = (h > v_th) & ~refr_now
            vv = np.where(s, h - v_th if RESET_SUBTRACT else v_reset, h)
            rr = np.where(s, int(refr), np.where(refr_now, rr - 1, 0))
            out = s.astype(val)
            if flags & 1:
                rec_s.reshape(int(chunk), -1)[k] = s
        else:
            vv, out = h, h
        ring.reshape(int(ring_len), -1)[(int(t0) + k) % int(ring_len)] = out
        if flags & 2:
            rec_v.reshape(int(chunk), -1)[k] = vv
        if flags & 4:
            rec_i.reshape(int(chunk), -1)[k] = ii
    v[:], cur[:], ref[:] = vv, ii, rr  # state rounds to its storage type once per launch


def _deliver(args, T_VAL, LANES):
    indptr, pre, weight, delay, ring, ring_len, t0, x, chunk, batch, n_out, n_in = args
    for k in range(int(chunk)):
        for post in range(int(n_out)):
            lanes = np.zeros((LANES, int(batch)), x.dtype)  # lane l: synapses l, l + LANES, ...
            for s in range(indptr[post], indptr[post + 1]):
                tt = int(t0) + k - int(delay[s])
                if tt >= 0:
                    lanes[(s - indptr[post]) % LANES] += (
                        weight[s] * ring[tt % int(ring_len), :, pre[s]]
                    )
            offset = LANES // 2
            while offset:  # the kernel's shuffle tree
                lanes[:offset] += lanes[offset : 2 * offset]
                offset //= 2
            x[k, :, post] += lanes[0]


def _fake_launch(kernel, args, elems, block=256, **template):
    {kernels.POPULATION: _population, kernels.DELIVER_CSR: _deliver}[kernel](args, **template)


@pytest.fixture
def fake_gpu(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy())
    monkeypatch.setattr(kernels, "launch", _fake_launch)
    monkeypatch.setattr(backend, "availability", lambda: (True, "numpy stand-in"))


CASES, _ = generate_cases(backend.capabilities(), 12, seed=900)


@pytest.mark.parametrize("chunk_steps", [512, 3, 1])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"seed{c.seed}")
def test_orchestration_matches_reference(fake_gpu, case, chunk_steps, delivery):
    import spikesim

    record = full_record(case.graph)
    got = spikesim.compile(
        case.graph, "cupy", dtype="float32", record=record, chunk_steps=chunk_steps
    ).run(case.inputs)
    want = spikesim.compile(case.graph, "reference", record=record).run(case.inputs)
    compare_results(case.graph, got, want, "float32")


def test_streaming_steps_equal_a_run(fake_gpu):
    import spikesim

    case = CASES[0]
    sim = spikesim.compile(case.graph, "cupy", dtype="float32")
    whole = sim.run(case.inputs)
    x = next(iter(case.inputs.values()))
    name = case.graph.inputs()[0]
    for t in range(x.shape[0]):
        got = sim.step(
            {n: a[t] for n, a in case.inputs.items()} if len(case.inputs) > 1 else {name: x[t]}
        )
        for pop, values in got.items():
            for var, value in values.items():
                want = whole.spikes[pop][t] if var == "spikes" else whole.states[pop][var][t]
                np.testing.assert_array_equal(value, want)


@pytest.mark.parametrize("chunk_steps", [512, 4])
def test_stream_in_pieces_equals_a_run(fake_gpu, chunk_steps):
    # Pieces cut across the plan's launch chunks, with single step() calls between them: the
    # stream must carry rings, state and the step counter from each piece to the next.
    import spikesim

    case = CASES[2]
    record = full_record(case.graph)
    sim = spikesim.compile(
        case.graph, "cupy", dtype="float32", record=record, chunk_steps=chunk_steps
    )
    whole = sim.run(case.inputs)
    steps = next(iter(case.inputs.values())).shape[0]
    cuts = sorted({0, 1, steps // 3, steps // 3 + 5, steps - 1, steps})
    for start, stop in zip(cuts, cuts[1:]):
        if stop - start == 1:
            got = sim.step({n: a[start] for n, a in case.inputs.items()})
            pieces = {(pop, var): v[None] for pop, vs in got.items() for var, v in vs.items()}
        else:
            part = sim.stream({n: a[start:stop] for n, a in case.inputs.items()})
            pieces = {(pop, "spikes"): np.asarray(s) for pop, s in part.spikes.items()}
            pieces.update(
                ((pop, var), np.asarray(trace))
                for pop, variables in part.states.items()
                for var, trace in variables.items()
            )
        for (pop, var), got_trace in pieces.items():
            want = whole.spikes[pop] if var == "spikes" else whole.states[pop][var]
            np.testing.assert_array_equal(got_trace, np.asarray(want)[start:stop], (pop, var))
        empty = sim.stream({n: a[stop:stop] for n, a in case.inputs.items()})  # moves nothing
        assert all(np.asarray(s).shape[0] == 0 for s in empty.spikes.values())


def test_float16_state_is_recorded_at_half_precision(fake_gpu):
    import spikesim

    case = CASES[1]
    result = spikesim.compile(
        case.graph, "cupy", dtype="float16", record=full_record(case.graph)
    ).run(case.inputs)
    pop = next(name for name, _ in case.graph.populations())
    assert np.asarray(result.states[pop]["v"]).dtype == np.float16
