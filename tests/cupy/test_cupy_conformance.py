"""The CuPy simulation backend on a GPU: the conformance harness against the reference,
hand-computed delays across ring wraps, streaming, and the float16 statistical policy."""

from __future__ import annotations

import numpy as np
import pytest

import spikesim
from spikesim.backends import cupy as backend
from spikesim.conformance import assert_conforms, generate_cases
from spikesim.ir import IF, LIF, Graph, Input, Sparse

_USABLE, _REASON = backend.availability()
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not _USABLE, reason=f"cupy backend unusable: {_REASON}"),
]

CASES, _ = generate_cases(backend.capabilities(), 24, seed=700)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("chunk_steps", [512, 1])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"seed{c.seed}")
def test_cupy_conforms_to_reference(case, dtype, chunk_steps, delivery):
    assert_conforms("cupy", case.graph, case.inputs, dtype=dtype, chunk_steps=chunk_steps)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("chunk_steps", [512, 5])
def test_cupy_delays_at_ring_wrap(sparse, chunk_steps):
    latencies = [0, 1, 6, 7, 7, 3]
    n, steps = len(latencies), 40
    graph = Graph()
    graph.add("in", Input(n))
    graph.add("if", IF(n, v_th=0.5))
    if sparse:
        graph.add_edge(Sparse.from_dense("in", "if", np.eye(n), delay=np.diag(latencies)))
    else:
        graph.connect("in", "if", np.eye(n), delay=np.diag(latencies))
    x = np.zeros((steps, 2, n))
    for k, times in {
        0: [0, 7, 8, 31],
        1: [6, 7, 15],
        2: [1, 2, 9, 33],
        3: [0, 8, 16, 24, 32],
        4: [7, 30, 32, 39],
        5: [36, 37],
    }.items():
        x[times, 0, k] = 1.0
        x[[t for t in times if t % 2 == 0], 1, k] = 1.0
    spikes = np.asarray(
        spikesim.compile(graph.validate(), "cupy", chunk_steps=chunk_steps).run(x).spikes["if"]
    )
    for b in range(2):
        for k, lat in enumerate(latencies):
            want = [t + lat for t in np.flatnonzero(x[:, b, k]) if t + lat < steps]
            assert np.flatnonzero(spikes[:, b, k]).tolist() == want, (b, k, lat)


def test_cupy_streaming_equals_run():
    case = CASES[0]
    sim = spikesim.compile(case.graph, "cupy", dtype="float32")
    whole = sim.run(case.inputs)
    steps = next(iter(case.inputs.values())).shape[0]
    for t in range(steps):
        got = sim.step({n: a[t] for n, a in case.inputs.items()})
        for pop, values in got.items():
            for var, value in values.items():
                if var == "spikes":
                    np.testing.assert_array_equal(value, whole.spikes[pop][t])
                else:  # one step per launch: cuBLAS may sum a GEMM in another order
                    np.testing.assert_allclose(
                        value, whole.states[pop][var][t], rtol=1e-5, atol=1e-6
                    )


def test_cupy_stream_in_chunks_equals_run():
    # stream() runs each piece in launch sets of up to chunk_steps steps, continuing the
    # rings and state; its GEMMs cover other step ranges than run()'s, hence the tolerance.
    case = CASES[0]
    sim = spikesim.compile(case.graph, "cupy", dtype="float32")
    whole = sim.run(case.inputs)
    steps = next(iter(case.inputs.values())).shape[0]
    cut = steps // 3
    parts = [
        sim.stream({n: a[start:stop] for n, a in case.inputs.items()})
        for start, stop in ((0, cut), (cut, steps))
    ]
    for pop, spikes in whole.spikes.items():
        joined = np.concatenate([np.asarray(p.spikes[pop]) for p in parts])
        np.testing.assert_array_equal(joined, np.asarray(spikes))
    for pop, variables in whole.states.items():
        for var, trace in variables.items():
            joined = np.concatenate([np.asarray(p.states[pop][var]) for p in parts])
            np.testing.assert_allclose(joined, np.asarray(trace), rtol=1e-5, atol=1e-6)


def _layered_delay_net(seed: int, sizes=(140, 256, 256, 20), max_delay=24) -> Graph:
    """W2's shape: CUBA LIF layers, every synapse its own latency 1 + U{0..24}."""
    rng = np.random.default_rng(seed)
    graph = Graph()
    graph.add("in", Input(sizes[0]))
    names = ["in"]
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        names.append(graph.add(f"l{k}", LIF(n_out, alpha=0.8, beta=0.9)))
        w = rng.normal(0.002, 0.03 if k != 1 else 0.02, (n_out, n_in)).astype(np.float32)
        graph.connect(
            names[-2], names[-1], w, delay=1 + rng.integers(0, max_delay + 1, (n_out, n_in))
        )
    return graph.validate()


@pytest.mark.parametrize("chunk_steps", [512, 1])
def test_cupy_rows_longer_than_a_warp_conform(delivery, chunk_steps):
    # Fan-in 96 and 64: each lane of a warp sums several synapses of its row, and the split's
    # GEMM spans 8 latencies. The harness graphs have shorter rows.
    graph = _layered_delay_net(8, sizes=(96, 64, 10), max_delay=7)
    rng = np.random.default_rng(9)
    x = (rng.random((40, 3, 96)) < 0.15).astype(np.float64)
    got = assert_conforms("cupy", graph, x, dtype="float64", chunk_steps=chunk_steps)
    assert got.counts("l1").sum() > 0


def test_cupy_float16_state_statistical_policy():
    graph = _layered_delay_net(5)
    rng = np.random.default_rng(6)
    x = (rng.random((100, 16, 140)) < rng.uniform(0, 0.1, (1, 16, 140))).astype(np.float64)
    half = spikesim.compile(graph, "cupy", dtype="float16").run(x)
    exact = spikesim.compile(graph, "reference").run(x)
    for name in ("l0", "l1", "l2"):
        same = np.mean(half.counts(name) == exact.counts(name))
        assert same >= 0.99, f"{name}: {same:.4f} of per-neuron spike counts identical"
    assert exact.counts("l2").sum() > 0
