#!/usr/bin/env python3
"""Scaling of the numba backend: time per step against synaptic events, and memory.

A sparse random network: ``--neurons`` LIF neurons, each with ``--fanout`` outgoing recurrent
synapses (latencies 1..``--max-latency``), driven by an Input of ``--inputs`` Poisson channels
(each with ``--input-fanout`` synapses, latency 1). The input rate is swept, so the number of
synaptic events per step varies; a least-squares line through (events per step, seconds per
step) gives the marginal cost in ns per synaptic event. That slope is compared with two memory
floors, bytes per event over the measured copy bandwidth: its weight and ring offset streamed
(ring in cache), and that plus one ring cache line read and written back (ring in DRAM).

    .venv/bin/python benchmarks/numba_scaling.py --neurons 1000000 --fanout 100   # the 1M/100M case
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np

import spikesim
from spikesim.backends.numba.simulator import _State
from spikesim.ir import LIF, Graph, Input, Sparse

CACHE_LINE = 64


def random_sparse(
    rng, n_post: int, n_pre: int, fanout: int, lat_lo: int, lat_hi: int, scale: float, src, dst
):
    """``fanout`` synapses per presynaptic neuron to random targets (duplicates dropped)."""
    pre = np.repeat(np.arange(n_pre, dtype=np.int64), fanout)
    post = rng.integers(0, n_post, pre.size)
    key = np.unique(post * n_pre + pre)
    post, pre = key // n_pre, key % n_pre
    weight = rng.normal(scale, scale, key.size).astype(np.float32).astype(np.float64)
    delay = rng.integers(lat_lo, lat_hi + 1, key.size)
    return Sparse(src, dst, (n_post, n_pre), post, pre, weight, delay)


def build(args) -> Graph:
    rng = np.random.default_rng(args.seed)
    graph = Graph()
    graph.add("in", Input(args.inputs))
    graph.add("lif", LIF(args.neurons, alpha=0.8, beta=0.9, v_th=1.0))
    graph.add_edge(
        random_sparse(rng, args.neurons, args.inputs, args.input_fanout, 1, 1, 0.3, "in", "lif")
    )
    graph.add_edge(
        random_sparse(
            rng,
            args.neurons,
            args.neurons,
            args.fanout,
            1,
            args.max_latency,
            0.5 / args.fanout,
            "lif",
            "lif",
        )
    )
    return graph.validate()


def copy_bandwidth(n_bytes: int = 512 * 2**20) -> float:
    """Bytes per second of a large numpy copy (read + write counted)."""
    a = np.ones(n_bytes // 8)
    b = np.empty_like(a)
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        np.copyto(b, a)
        best = min(best, time.perf_counter() - start)
    return 2 * a.nbytes / best


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--neurons", type=int, default=1_000_000)
    ap.add_argument("--fanout", type=int, default=100)
    ap.add_argument("--inputs", type=int, default=1000)
    ap.add_argument("--input-fanout", type=int, default=1000)
    ap.add_argument("--max-latency", type=int, default=20)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rates", type=float, nargs="+", default=[0.0, 0.02, 0.05, 0.1, 0.2])
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per rate (median)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    start = time.perf_counter()
    graph = build(args)
    build_s = time.perf_counter() - start
    n_syn = sum(e.nnz for e in graph.edges)
    ir_bytes = sum(
        e.post.nbytes + e.pre.nbytes + e.weight.nbytes + e.delay.nbytes for e in graph.edges
    )
    start = time.perf_counter()
    sim = spikesim.compile(graph, "numba", dtype=args.dtype, record={}, strategy="event")
    compile_s = time.perf_counter() - start
    layout = sim.layout.nbytes()
    itemsize = np.dtype(args.dtype).itemsize
    # Per-sample state the kernel keeps: v, i, out, refractory counters, the input windows.
    state_bytes = _State(sim.layout, 1, sim.dtype).nbytes()
    # The minimal description: a weight and a delay (int8 suffices up to 127) per synapse, the
    # target index (int32) to know where it goes, and v, i per neuron.
    minimal = n_syn * (itemsize + 1 + 4) + args.neurons * 2 * itemsize

    rng = np.random.default_rng(args.seed + 1)
    points = []
    for rate in args.rates:
        x = rng.random((args.steps, 1, args.inputs)) < rate
        sim.run(x)  # untimed: JIT or cache load, and the first touch of fresh state pages
        seconds = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            sim.run(x)
            seconds.append(time.perf_counter() - start)
        seconds = float(np.median(seconds))
        spikes = sim.density * args.steps * sim.layout.size  # nonzero outputs per node over the run
        events = spikes[0] * args.input_fanout + spikes[1] * args.fanout
        points.append(
            {
                "rate": rate,
                "s_per_step": seconds / args.steps,
                "events_per_step": events / args.steps,
            }
        )
        print(json.dumps(points[-1]), flush=True)
    ev = np.array([p["events_per_step"] for p in points])
    sec = np.array([p["s_per_step"] for p in points])
    slope, intercept = np.polyfit(ev, sec, 1)
    bandwidth = copy_bandwidth()
    streamed = itemsize + sim.layout.syn_offset.itemsize
    report = {
        "neurons": args.neurons,
        "synapses": int(n_syn),
        "dtype": args.dtype,
        "build_s": round(build_s, 1),
        "compile_s": round(compile_s, 1),
        "ir_bytes": int(ir_bytes),
        "layout_bytes": layout,
        "state_bytes": int(state_bytes),
        "minimal_bytes": int(minimal),
        "compiled_over_minimal": round((sum(layout.values()) + state_bytes) / minimal, 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "slope_ns_per_event": round(slope * 1e9, 3),
        "intercept_ms_per_step": round(intercept * 1e3, 3),
        "copy_bandwidth_gb_s": round(bandwidth / 1e9, 2),
        "ring_bytes": sim.layout.n_buffer * itemsize,
        "floor_ns_streamed": round(streamed / bandwidth * 1e9, 3),
        "floor_ns_ring_miss": round((streamed + 2 * CACHE_LINE) / bandwidth * 1e9, 3),
        "points": points,
    }
    print(json.dumps(report, indent=1))
    if args.json:
        from spikesim.io.atomic import atomic_path

        with atomic_path(args.json) as tmp:
            tmp.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
