#!/usr/bin/env python3
"""What streaming costs per step on the numba backend: ``run()``, ``stream()`` in chunks of
several sizes, and ``step()``, alternated round by round in one process.

On a harness workload (``../shared/peers``, made by its ``make_workload.py``), each round runs
one sample (or ``--batch`` samples) through every way once, in an order rotated round by
round, each streaming way from ``reset()``; it prints the minimum and median per round, and per step. Every way must give the
spikes of ``run()``, which is checked first. On a shared host only same-run rows compare.

    .venv/bin/python benchmarks/numba_streaming.py --workload /tmp/peers-workloads/lsm-reservoir.npz
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from streaming_ways import ways

import spikesim
from spikesim.workloads import graph_for, load_workload


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--workload", type=Path, required=True, help="a W2 or W3 .npz of the harness")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--batch", type=int, default=1, help="first N samples")
    ap.add_argument("--chunks", type=int, nargs="+", default=[0, 25, 10, 1],
                    help="steps per stream() call; 0: the whole input in one call")  # fmt: skip
    ap.add_argument("--rounds", type=int, default=300)
    args = ap.parse_args()
    graph, x = graph_for(load_workload(args.workload))
    x = np.ascontiguousarray(x[:, : args.batch])
    steps = x.shape[0]
    record = {name: ["spikes"] for name, _ in graph.populations()}
    sim = spikesim.compile(graph, "numba", dtype=args.dtype, record=record)
    labelled = ways(sim, x, [c or steps for c in args.chunks])
    want = labelled["run()"]()
    for label, way in labelled.items():  # also compiles or loads every kernel
        got = way()
        for name, spikes in want.items():
            if not np.array_equal(got[name], spikes):
                raise SystemExit(f"{label}: spikes of {name} differ from run()'s")
    times: dict[str, list[float]] = {label: [] for label in labelled}
    order = list(labelled.items())
    for r in range(args.rounds):
        # Each round starts one way later: a way's place in the round showed (up to 12 % on
        # run() against one stream() of the same steps).
        for label, way in order[r % len(order) :] + order[: r % len(order)]:
            start = time.perf_counter()
            way()
            times[label].append(time.perf_counter() - start)
    print(f"{args.workload.name}, {args.dtype}, batch {x.shape[1]}, {steps} steps, "
          f"{args.rounds} rounds")  # fmt: skip
    print("| way | min µs | median µs | median µs per step |")
    print("|---|---|---|---|")
    for label, t in times.items():
        median = float(np.median(t)) * 1e6
        print(f"| {label} | {min(t) * 1e6:.1f} | {median:.1f} | {median / steps:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
