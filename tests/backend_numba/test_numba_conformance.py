"""The numba backend against the reference: the conformance harness plus hand-computed delays."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba", reason="numba backend needs numba (pip install 'spikesim[cpu]')")

import spikesim  # noqa: E402
from spikesim.backends import numba as numba_backend  # noqa: E402
from spikesim.conformance import assert_conforms, generate_cases  # noqa: E402
from spikesim.ir import IF, Graph, Input, Sparse  # noqa: E402

CASES, _ = generate_cases(numba_backend.capabilities(), 24, seed=500)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("strategy", ["event", "dense"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"seed{c.seed}")
def test_numba_conforms_to_reference(case, strategy, dtype):
    assert_conforms("numba", case.graph, case.inputs, dtype=dtype, strategy=strategy)


def _delay_line(latencies: list[int], sparse: bool) -> Graph:
    """Input channel k -> IF neuron k with latency latencies[k]; weight 1, v_th 0.5, reset 0.

    A neuron therefore spikes exactly at the steps its channel spiked plus its latency.
    """
    n = len(latencies)
    graph = Graph()
    graph.add("in", Input(n))
    graph.add("if", IF(n, v_th=0.5))
    weight = np.eye(n)
    delay = np.diag(latencies)
    if sparse:
        graph.add_edge(Sparse.from_dense("in", "if", weight, delay=delay))
    else:
        graph.connect("in", "if", weight, delay=delay)
    return graph.validate()


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("strategy", ["event", "dense"])
def test_numba_delays_at_window_moves_and_maximum(sparse, strategy):
    # Max latency 7 -> depth 8, horizon 7: the input window moves at steps 7, 14, 21, 28 and 35;
    # input spikes land just before, at and after those steps.
    latencies = [0, 1, 6, 7, 7, 3]
    steps = 40
    x = np.zeros((steps, 2, len(latencies)))
    send = {
        0: [0, 7, 8, 31],
        1: [6, 7, 15],
        2: [1, 2, 9, 33],
        3: [0, 8, 16, 24, 32],
        4: [7, 30, 32, 39],
        5: [36, 37],
    }
    for k, times in send.items():
        x[times, 0, k] = 1.0
        x[[t for t in times if t % 2 == 0], 1, k] = 1.0
    result = spikesim.compile(_delay_line(latencies, sparse), "numba", strategy=strategy).run(x)
    spikes = np.asarray(result.spikes["if"])
    for b in range(2):
        for k, lat in enumerate(latencies):
            want = [t + lat for t in np.flatnonzero(x[:, b, k]) if t + lat < steps]
            assert np.flatnonzero(spikes[:, b, k]).tolist() == want, (b, k, lat)


def test_numba_edge_with_only_latency_above_first_move():
    # All synapses of the edge share latency 12 (rows layout, depth 13, horizon 12, 24 slots).
    graph = _delay_line([12, 12, 12], sparse=False)
    x = np.zeros((30, 1, 3))
    x[[0, 12, 13], 0, 0] = 1.0
    x[17, 0, 2] = 1.0
    spikes = np.asarray(spikesim.compile(graph, "numba").run(x).spikes["if"])[:, 0]
    assert np.argwhere(spikes).tolist() == [[12, 0], [24, 0], [25, 0], [29, 2]]


def test_numba_empty_inputs():
    case = CASES[0]
    zero = {name: np.zeros_like(a) for name, a in case.inputs.items()}
    got = assert_conforms("numba", case.graph, zero)
    assert got.spikes, "the case has no spiking population to check"
    # Zero-length runs give empty traces of the right shape.
    empty = {name: a[:0] for name, a in case.inputs.items()}
    result = spikesim.compile(case.graph, "numba").run(empty)
    for name, trace in result.spikes.items():
        assert np.asarray(trace).shape == (
            0,
            next(iter(case.inputs.values())).shape[1],
            case.graph.size(name),
        )


def test_numba_silent_input_gives_hand_computed_decay():
    # LIF with v_init 0.8, beta 0.5, no input: v_t = 0.8 * 0.5**(t+1), never spikes.
    graph = Graph()
    graph.add("in", Input(1))
    graph.add("lif", spikesim.LIF(1, beta=0.5, v_init=0.8))
    graph.connect("in", "lif", [[1.0]], delay=3)
    result = spikesim.compile(graph, "numba", record={"lif": ["spikes", "v"]}).run(np.zeros((6, 1)))
    np.testing.assert_array_equal(
        np.asarray(result.states["lif"]["v"])[:, 0, 0], 0.8 * 0.5 ** np.arange(1, 7)
    )
    assert not np.asarray(result.spikes["lif"]).any()
