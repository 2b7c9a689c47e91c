"""Chunking and ring sizes of the CuPy backend's launch plan (pure Python, no GPU)."""

from __future__ import annotations

import numpy as np
import pytest

from spikesim.backends.cupy.plan import make_plan, ring_runs
from spikesim.ir import LIF, Graph, Input, Sparse


def _chain(recurrent_latency=None, skip_latency=3):
    g = Graph()
    g.add("in", Input(4))
    g.add("a", LIF(5))
    g.add("b", LIF(3))
    g.connect("in", "a", np.ones((5, 4)), delay=np.arange(20).reshape(5, 4) % 4)  # latencies 0..3
    g.connect("a", "b", np.ones((3, 5)), delay=skip_latency)
    if recurrent_latency is not None:
        g.add_edge(Sparse.from_dense("b", "a", np.eye(5, 3), delay=recurrent_latency))
    return g.validate()


def test_feed_forward_graph_runs_in_full_chunks():
    plan = make_plan(_chain(), chunk_steps=256)
    assert plan.chunk == 256 and plan.order == ("in", "a", "b")
    assert plan.ring == {"in": 256 + 3, "a": 256 + 3, "b": 256}
    assert [(e.method, e.latency) for e in plan.edges] == [("split", 0), ("gemm", 3)]


def test_dense_edge_with_many_latencies_uses_the_ring_kernel():
    g = Graph()
    g.add("in", Input(8))
    g.add("a", LIF(8))
    g.connect("in", "a", np.ones((8, 8)), delay=np.arange(64).reshape(8, 8))  # 64 latencies
    assert make_plan(g.validate(), chunk_steps=4).edges[0].method == "csr"


@pytest.mark.parametrize("latency", [1, 2, 7])
def test_recurrent_latency_bounds_the_chunk(latency):
    plan = make_plan(_chain(recurrent_latency=latency), chunk_steps=64)
    assert plan.chunk == latency
    assert plan.ring["b"] == latency + latency
    assert plan.edges[2].method == "csr"


def test_edge_without_synapses_only_delivers_its_bias():
    g = _chain()
    g.connect("b", "a", np.zeros((5, 3)), bias=np.ones(5))  # zero-weight back edge: no constraint
    plan = make_plan(g.validate(), chunk_steps=16)
    assert plan.chunk == 16 and plan.edges[2].method == "bias"


def test_ring_runs_split_at_the_wrap():
    assert ring_runs(5, 4, 8) == [(5, 3, 0), (0, 1, 3)]
    assert ring_runs(8, 8, 8) == [(0, 8, 0)]
    assert ring_runs(3, 0, 8) == []
    covered = [s for slot, n, _ in ring_runs(13, 20, 7) for s in range(slot, slot + n)]
    assert covered == [(13 + k) % 7 for k in range(20)]


def test_chunk_steps_must_be_positive():
    with pytest.raises(ValueError, match="chunk_steps"):
        make_plan(_chain(), chunk_steps=0)
