"""How the numba backend lowers a graph: edge shapes, ring depths, offsets and byte counts."""

from __future__ import annotations

import numpy as np
import pytest

from spikesim.backends.numba import layout
from spikesim.backends.numba.layout import build_layout, compact_weights
from spikesim.errors import GraphError
from spikesim.ir import LIF, Graph, Input, Sparse


def _graph() -> Graph:
    graph = Graph()
    graph.add("in", Input(4))
    graph.add("a", LIF(3))
    graph.add("b", LIF(5))
    graph.connect("in", "a", np.arange(12.0).reshape(3, 4) + 1, delay=2)  # rows, latency 2
    w = np.zeros((5, 3))
    w[0, 1], w[4, 2] = 0.5, -0.25
    delay = np.zeros((5, 3), int)
    delay[0, 1], delay[4, 2] = 3, 1
    graph.add_edge(Sparse.from_dense("a", "b", w, delay=delay, bias=np.full(5, 0.1)))
    return graph.validate()


def test_numba_layout_edge_shapes_and_windows():
    graph = _graph()
    lay = build_layout(graph, graph.update_order(), np.float64)
    assert lay.names == ["in", "a", "b"]
    assert lay.edge_names == ["in->a", "a->b"]
    assert lay.edge_rows.tolist() == [1, 0] and lay.edge_latency.tolist() == [2, 0]
    # Windows (horizon at least 8; slots padded to 16 values, a cache line of float32): a receives
    # latency 2 -> depth 3, 10 slots; b receives up to 3 -> depth 4, 11 slots.
    assert lay.depth.tolist() == [1, 3, 4] and lay.horizon.tolist() == [1, 8, 8]
    assert lay.stride.tolist() == [16, 16, 16] and lay.offset.tolist() == [0, 16, 32]
    assert lay.n_buffer == 10 * 16 + 11 * 16
    # Rows edge: row j of the weights is input j's fan-out, i.e. the transposed matrix.
    start = lay.indptr[lay.edge_indptr[0] + 1]
    np.testing.assert_array_equal(lay.syn_weight[start : start + 3], [2.0, 6.0, 10.0])
    # Synapses edge: offsets L*out + post, grouped by presynaptic neuron 1 then 2.
    ip = lay.edge_indptr[1]
    rows = lay.indptr[ip : ip + 4]
    np.testing.assert_array_equal(np.diff(rows), [0, 1, 1])
    np.testing.assert_array_equal(lay.syn_offset[rows[0] : rows[-1]], [3 * 16 + 0, 1 * 16 + 4])
    np.testing.assert_array_equal(lay.syn_weight[rows[0] : rows[-1]], [0.5, -0.25])
    assert lay.syn_offset.dtype == np.int32
    np.testing.assert_array_equal(lay.x_bias[lay.offset[2] : lay.offset[2] + 5], np.full(5, 0.1))


def test_numba_layout_ignores_latency_of_zero_weights_and_counts_bytes():
    graph = _graph()
    edge = graph.edges[1]
    edge.weight = np.append(edge.weight, 0.0)
    edge.post, edge.pre = np.append(edge.post, 2), np.append(edge.pre, 0)
    edge.delay = np.append(edge.delay, 50)
    graph.validate()
    lay = build_layout(graph, graph.update_order(), np.float32)
    assert lay.depth.tolist() == [1, 3, 4]  # the zero-weight synapse's latency 50 is dropped
    sizes = lay.nbytes()
    assert sizes["syn_weight"] == (12 + 2) * 4 and sizes["syn_offset"] == (12 + 2) * 4


def test_numba_layout_marks_populations_whose_neurons_share_every_coefficient():
    graph = Graph()
    graph.add("in", Input(3))
    graph.add("same", LIF(4, alpha=0.5, beta=0.9, v_init=np.arange(4.0)))  # v_init may differ
    graph.add("taus", LIF(4, alpha=[0.5, 0.5, 0.6, 0.5], beta=0.9))
    graph.add("biased", LIF(4, alpha=0.5, beta=0.9))
    graph.connect("in", "same", np.ones((4, 3)))
    graph.connect("in", "taus", np.ones((4, 3)))
    graph.add_edge(Sparse.from_dense("in", "biased", np.ones((4, 3)), bias=[0.0, 0.1, 0.0, 0.0]))
    graph.validate()
    lay = build_layout(graph, graph.update_order(), np.float64)
    assert dict(zip(lay.names, lay.uniform.tolist())) == {
        "in": 0,
        "same": 1,
        "taus": 0,
        "biased": 0,
    }


def test_numba_layout_refuses_refractory_periods_past_its_int32_counters():
    graph = Graph()
    graph.add("in", Input(2))
    graph.add("slow", LIF(3, refractory=2**31))
    graph.connect("in", "slow", np.ones((3, 2)))
    graph.validate()
    with pytest.raises(
        GraphError,
        match=r"node 'slow': refractory: .* expected <= 2147483647 steps, got 2147483648",
    ):
        build_layout(graph, graph.update_order(), np.float32)
    graph.nodes["slow"].refractory = 2**31 - 1  # the longest period that fits
    assert build_layout(graph, graph.update_order(), np.float32).refractory[1] == 2**31 - 1


def test_numba_layout_stores_float64_weights_as_float32_only_when_exact(monkeypatch):
    exact = np.array([0.5, -0.25, 3.0, np.float32(0.1)], np.float64)
    assert compact_weights(exact).dtype == np.float32
    np.testing.assert_array_equal(compact_weights(exact), exact)
    for inexact in (0.1, 1e-40, 1e39):  # rounds; a float32 subnormal loses bits; overflows
        assert compact_weights(np.append(exact, inexact)).dtype == np.float64
    # The check goes block by block: an inexact weight in a later block still counts.
    monkeypatch.setattr(layout, "COMPACT_BLOCK", 3)
    assert compact_weights(np.append(exact, 0.1)).dtype == np.float64
    assert compact_weights(exact.astype(np.float32)).dtype == np.float32  # float32: as given
    graph = _graph()
    assert build_layout(graph, graph.update_order(), np.float64).syn_weight.dtype == np.float32
    graph.edges[0].weight = graph.edges[0].weight + 0.1
    assert build_layout(graph, graph.update_order(), np.float64).syn_weight.dtype == np.float64
