#!/usr/bin/env python3
"""What a second thread adds on this host: a scatter microkernel and whole ``run()`` calls.

Two measurements, each alternating one and two threads in one process (a shared VM's speed
drifts by up to 2x within minutes, so only such pairs compare):

* the scatter alone: every thread adds a weight row of 4,096 sorted float32 synapses into its
  own array (4 KB to 256 KB), as the event-driven push does into a window;
* ``Simulator.run`` on harness workloads (``../shared/peers``, made by its ``make_workload.py``),
  numba backend, with ``numba.set_num_threads`` switched between the calls.

The speedup is (time on one thread) / (time on two) for the same total work.

    .venv/bin/python benchmarks/numba_two_threads.py --workloads /tmp/peers-workloads/shd-delay-inference.npz
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numba
import numpy as np
from numba import njit, prange

import spikesim
from spikesim.workloads import graph_for, load_workload

SYNAPSES = 4096


@njit(parallel=True)
def _scatter(offsets, weights, windows, repeats, threads):
    for thread in prange(threads):
        window = windows[thread]
        for _ in range(repeats):
            for q in range(offsets.size):
                # Unsigned, as in the kernel: no wraparound check.
                window[np.uint64(offsets[np.uint64(q)])] += weights[np.uint64(q)]


def scatter_speedup(kib: int, repeats: int, pairs: int, rng) -> tuple[float, float, float]:
    """(ns per synapse on one thread, on each of two, speedup), minima over ``pairs``."""
    cells = kib * 256  # float32
    offsets = np.sort(rng.choice(cells, min(SYNAPSES, cells), replace=False)).astype(np.int32)
    weights = rng.random(offsets.size).astype(np.float32)
    windows = np.zeros((2, cells + 16), np.float32)
    times: dict[int, list[float]] = {1: [], 2: []}
    for threads in (1, 2):
        _scatter(offsets, weights, windows, 1, threads)  # compile
    for _ in range(pairs):
        for threads in (1, 2):
            start = time.perf_counter()
            _scatter(offsets, weights, windows, repeats, threads)
            times[threads].append(time.perf_counter() - start)
    one, two = (min(times[t]) / (repeats * offsets.size) * 1e9 for t in (1, 2))
    return one, two, 2 * one / two


def run_speedup(path: Path, dtype: str, pairs: int) -> dict[int, list[float]]:
    """Seconds of each ``run()`` on one and on two threads, alternating."""
    graph, x = graph_for(load_workload(path))
    record = {name: ["spikes"] for name, _ in graph.populations()}
    sim = spikesim.compile(graph, "numba", dtype=dtype, record=record)
    sim.run(x)
    times: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(pairs):
        for threads in (1, 2):
            numba.set_num_threads(threads)
            start = time.perf_counter()
            sim.run(x)
            times[threads].append(time.perf_counter() - start)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--workloads", type=Path, nargs="*", default=[], help="W2/W3 .npz files")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--pairs", type=int, default=15, help="alternating pairs per measurement")
    args = ap.parse_args()
    if numba.config.NUMBA_NUM_THREADS < 2:
        raise SystemExit("numba_two_threads: needs at least two numba threads")
    rng = np.random.default_rng(0)
    print("| window | one thread, ns/synapse | two threads, ns/synapse each | speedup |")
    print("|---|---|---|---|")
    for kib in (4, 8, 16, 26, 40, 64, 256):
        one, two, speedup = scatter_speedup(kib, 2000, max(3, args.pairs // 2), rng)
        print(f"| {kib} KB | {one:.3f} | {two:.3f} | {speedup:.2f}x |")
    if args.workloads:
        print("\n| workload | one thread, min / median | two threads | speedup (min; median) |")
        print("|---|---|---|---|")
    for path in args.workloads:
        times = run_speedup(path, args.dtype, args.pairs)
        one, two = (1e3 * np.array(times[t]) for t in (1, 2))
        print(
            f"| {path.stem} {args.dtype} | {one.min():.2f} / {np.median(one):.2f} ms "
            f"| {two.min():.2f} / {np.median(two):.2f} ms "
            f"| {one.min() / two.min():.2f}x; {np.median(one) / np.median(two):.2f}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
