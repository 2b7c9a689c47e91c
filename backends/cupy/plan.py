"""How a graph is cut into launches: chunk length, ring-buffer depths and delivery per edge.

A population's fused kernel runs a whole chunk of C steps in one launch, so every input it
receives during the chunk must already be known when the chunk starts:

* an edge from a node earlier in ``graph.update_order()`` is fine at any latency: that node
  has already been run over the same chunk;
* an edge from the node itself or a later node (a recurrent edge, latency L >= 1) is fine when
  C <= L: everything it delivers in the chunk was produced in earlier chunks.

So C = min(chunk_steps, smallest latency of any recurrent edge): feed-forward graphs run in
chunks of ``chunk_steps``, a recurrent graph with latency-1 loops step by step. Each node keeps
its outputs in a device ring of C + (its largest outgoing latency) slots, enough that no slot
still to be read is overwritten. This module is pure Python so it is tested without a GPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikesim.ir import Dense, Graph, latency_range


@dataclass(frozen=True)
class EdgePlan:
    """Delivery of ``graph.edges[index]``: ``gemm`` (dense, one latency), ``split`` (dense, a
    few distinct latencies: one GEMM against the weight split by latency, then shifted adds),
    ``csr`` (any latencies, the ring-buffer kernel) or ``bias`` (no nonzero synapse)."""

    index: int
    method: str
    latency: int


@dataclass(frozen=True)
class Plan:
    """Launch plan of a graph: update order, steps per launch, ring depth per node, edges."""

    order: tuple[str, ...]
    chunk: int
    ring: dict[str, int]
    edges: tuple[EdgePlan, ...]


#: ``split`` is used while the latency-split weight stays this small (in float64 bytes): it
#: trades K times the dense GEMM's arithmetic for cuBLAS speed and no gathers.
SPLIT_MAX_LATENCIES = 32
SPLIT_MAX_BYTES = 256 * 2**20


def _method(edge, lo: int, hi: int) -> str:
    if not isinstance(edge, Dense):
        return "csr"
    if lo == hi:
        return "gemm"
    _, _, weight, delay = edge.coo()
    k = np.unique(delay[weight != 0]).size
    fits = k <= SPLIT_MAX_LATENCIES and k * edge.weight.size * 8 <= SPLIT_MAX_BYTES
    return "split" if fits else "csr"


def make_plan(graph: Graph, chunk_steps: int) -> Plan:
    """Plan ``graph`` with at most ``chunk_steps`` steps per launch (see the module docstring)."""
    if chunk_steps < 1:
        raise ValueError(f"chunk_steps: expected >= 1 step, got {chunk_steps}")
    order = tuple(graph.update_order())
    position = {name: k for k, name in enumerate(order)}
    chunk = chunk_steps
    out_latency = dict.fromkeys(order, 0)
    edges = []
    for index, edge in enumerate(graph.edges):
        if not np.any(edge.coo()[2] != 0):
            edges.append(EdgePlan(index, "bias", 0))
            continue
        lo, hi = latency_range(edge)
        if position[edge.src] >= position[edge.dst]:
            chunk = min(chunk, lo)  # validate() guarantees lo >= 1 on every cycle
        out_latency[edge.src] = max(out_latency[edge.src], hi)
        edges.append(EdgePlan(index, _method(edge, lo, hi), lo))
    ring = {name: chunk + out_latency[name] for name in order}
    return Plan(order, chunk, ring, tuple(edges))


def ring_runs(first: int, count: int, ring_len: int) -> list[tuple[int, int, int]]:
    """Contiguous pieces of steps ``first .. first+count-1`` in a ring of ``ring_len`` slots.

    Returns (slot, length, offset) triples: steps ``first+offset ..`` live in slots ``slot ..``.
    """
    runs, offset = [], 0
    while offset < count:
        slot = (first + offset) % ring_len
        length = min(count - offset, ring_len - slot)
        runs.append((slot, length, offset))
        offset += length
    return runs
