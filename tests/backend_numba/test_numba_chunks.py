"""Node-by-node chunks: when the kernel may run a node over several steps before the next node,
and that doing so changes no bit."""

from __future__ import annotations

import numpy as np
import pytest

from spikesim.backends.numba.layout import UNLIMITED_SPAN, chunk_limit

numba = pytest.importorskip(
    "numba", reason="numba backend needs numba (pip install 'spikesim[cpu]')"
)

import spikesim  # noqa: E402
from spikesim.backends import numba as numba_backend  # noqa: E402
from spikesim.conformance import generate_cases  # noqa: E402
from spikesim.conformance.check import full_record  # noqa: E402
from spikesim.ir import LI, LIF, Graph, Input, Sparse  # noqa: E402

CASES, _ = generate_cases(numba_backend.capabilities(), 12, seed=1300, max_batch=3, max_size=24)


def _lat(*values: int) -> np.ndarray:
    return np.array(values, np.int64)


@pytest.mark.parametrize(
    ("edges", "want"),
    [
        # A chain, one source per target: nothing limits the chunk.
        ([(0, 1, _lat(1, 3)), (1, 2, _lat(2))], UNLIMITED_SPAN),
        # A target before its source in the update order needs its input 4 steps later.
        ([(1, 2, _lat(1)), (2, 1, _lat(4, 6))], 4),
        # Sources 0 and 1 of node 2: 1's latency 4 lands terms 3 steps before 0's latency 1.
        ([(0, 2, _lat(1)), (1, 2, _lat(4))], 3),
        ([(0, 2, _lat(1, 5)), (1, 2, _lat(4))], 3),
        ([(0, 2, _lat(1, 3)), (1, 2, _lat(4))], 1),
        # The later source is never slower: its terms never come from earlier steps.
        ([(0, 2, _lat(5)), (1, 2, _lat(4, 5))], UNLIMITED_SPAN),
        # A self-loop is a later source of its node.
        ([(0, 1, _lat(1)), (1, 1, _lat(3))], 2),
        ([(0, 1, _lat(1)), (1, 1, _lat(1))], UNLIMITED_SPAN),
    ],
)
def test_chunk_limit_known_answers(edges, want):
    assert chunk_limit(edges) == want


def _with_span(sim, span: int):
    """``sim`` with its kernel arguments rebuilt to run chunks of at most ``span`` steps."""
    nodes, coeffs, synapses = sim._kernel_args
    sim._kernel_args = (nodes[:-1] + (span,), coeffs, synapses)
    return sim


def _traces(result) -> dict[str, np.ndarray]:
    out = {f"{n}.spikes": np.asarray(s) for n, s in result.spikes.items()}
    for name, variables in result.states.items():
        out.update({f"{name}.{var}": np.asarray(t) for var, t in variables.items()})
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"seed{c.seed}")
def test_numba_chunks_equal_step_by_step_bit_for_bit(case):
    record = full_record(case.graph)
    chunked = spikesim.compile(case.graph, "numba", record=record)
    stepwise = _with_span(spikesim.compile(case.graph, "numba", record=record), 1)
    want = _traces(stepwise.run(case.inputs))
    got = _traces(chunked.run(case.inputs))
    for key, trace in want.items():
        np.testing.assert_array_equal(got[key], trace, err_msg=key)


def _random_edge(rng, graph, src, dst, lat_lo, lat_hi, fill=0.3, scale=0.8):
    n_out, n_in = graph.size(dst), graph.size(src)
    w = rng.normal(0.2, scale, (n_out, n_in)) * (rng.random((n_out, n_in)) < fill)
    delay = rng.integers(lat_lo, lat_hi + 1, (n_out, n_in))
    graph.add_edge(Sparse.from_dense(src, dst, w, delay=delay))


def _shaped_graph(shape: str, seed: int) -> tuple[Graph, int]:
    """A random graph of one of the shapes that limit chunks, and the limit it must get."""
    rng = np.random.default_rng(seed)
    graph = Graph()
    graph.add("in", Input(12))
    graph.add("a", LIF(20, alpha=0.8, beta=0.9, refractory=1))
    graph.add("b", LIF(17, alpha=0.7, beta=0.95, reset="subtract"))
    if shape == "backward":
        # b -> a goes back in the update order: chunks of at most its smallest latency, 3.
        # (Its latencies are no longer than in -> a's, or the two sources of a would limit
        # the chunk to their gap instead.)
        _random_edge(rng, graph, "in", "a", 4, 6)
        _random_edge(rng, graph, "a", "b", 0, 4)
        _random_edge(rng, graph, "b", "a", 3, 4)
        return graph.validate(), 3
    if shape == "two_sources":
        # in (latencies 1-2) and a (latency 4-5) both feed b: the smallest gap is 4 - 2 = 2.
        _random_edge(rng, graph, "in", "a", 1, 3)
        _random_edge(rng, graph, "in", "b", 1, 2)
        _random_edge(rng, graph, "a", "b", 4, 5)
        return graph.validate(), 2
    # "recurrent": a W3-like reservoir, its own input never slower than its input's.
    _random_edge(rng, graph, "in", "a", 2, 3)
    _random_edge(rng, graph, "a", "a", 1, 2)
    _random_edge(rng, graph, "a", "b", 0, 9)
    return graph.validate(), UNLIMITED_SPAN


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", ["backward", "two_sources", "recurrent"])
@pytest.mark.parametrize("seed", [0, 1])
def test_numba_limited_chunks_equal_step_by_step_bit_for_bit(shape, seed, dtype):
    graph, limit = _shaped_graph(shape, seed)
    x = (np.random.default_rng(seed + 50).random((70, 3, 12)) < 0.3).astype(np.float64)
    record = full_record(graph)
    chunked = spikesim.compile(graph, "numba", dtype=dtype, record=record)
    assert chunked.layout.max_span == limit
    stepwise = _with_span(spikesim.compile(graph, "numba", dtype=dtype, record=record), 1)
    want = _traces(stepwise.run(x))
    got = _traces(chunked.run(x))
    assert want["a.spikes"].any() and want["b.spikes"].any()  # activity reaches every node
    for key, trace in want.items():
        np.testing.assert_array_equal(got[key], trace, err_msg=key)
    if limit != UNLIMITED_SPAN:
        # The limit is needed: chunks of 8 steps give other traces on these graphs.
        too_long = _with_span(spikesim.compile(graph, "numba", dtype=dtype, record=record), 8)
        wrong = _traces(too_long.run(x))
        assert any((wrong[key] != trace).any() for key, trace in want.items())


def _two_sources() -> Graph:
    """Node o sums a (two neurons, latency 1) and b (one neuron, latency 3): a cell gets b's term
    from two steps before a's, so the order of the sum depends on the loop order."""
    graph = Graph()
    graph.add("a", Input(2))
    graph.add("b", Input(1))
    graph.add("o", LI(1, alpha=0.0, beta=0.0))  # i = x, exactly
    graph.connect("a", "o", np.array([[1e16, -1e16]]), delay=1)
    graph.connect("b", "o", np.array([[1.0]]), delay=3)
    return graph.validate()


def test_numba_chunk_limit_keeps_the_order_of_a_sum():
    graph = _two_sources()
    x = {"a": np.ones((12, 1, 2)), "b": np.ones((12, 1, 1))}
    sim = spikesim.compile(graph, "numba", record={"o": ["i"]})
    assert sim.layout.max_span == 2
    # Step by step, each cell from step 3 on is ((0 + 1) + 1e16) - 1e16 = 0 in float64.
    want = np.zeros(12)
    np.testing.assert_array_equal(np.asarray(sim.run(x).states["o"]["i"])[:, 0, 0], want)
    # Chunks longer than the limit would add a's terms first, ((0 + 1e16) - 1e16) + 1 = 1:
    # the limit is what keeps the sum exact.
    too_long = _with_span(spikesim.compile(graph, "numba", record={"o": ["i"]}), 8)
    assert np.asarray(too_long.run(x).states["o"]["i"])[3:, 0, 0].max() == 1.0
