#!/usr/bin/env python3
"""The numba kernel alone against the whole ``run()``, interleaved in one process.

On a harness workload (``../shared/peers``, made by its ``make_workload.py``), times the kernel
call on fresh state (what the kernel itself costs) and ``Simulator.run`` (plus input checks,
state and probe allocation, strategy choice and the Result), alternately, and prints the
minimum and median of each. On a shared host only same-run pairs are comparable.

    .venv/bin/python benchmarks/numba_kernel_time.py --workload /tmp/peers-workloads/shd-delay-inference.npz
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import spikesim
from spikesim.workloads import graph_for, load_workload


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--workload", type=Path, required=True, help="a W2 or W3 .npz of the harness")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--batch", type=int, default=None, help="first N samples (default: all)")
    ap.add_argument("--threads", type=int, default=None, help="numba threads (default: all)")
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    import numba

    if args.threads:
        numba.set_num_threads(args.threads)
    graph, x = graph_for(load_workload(args.workload))
    x = np.ascontiguousarray(x[:, : args.batch])
    record = {name: ["spikes"] for name, _ in graph.populations()}
    sim = spikesim.compile(graph, "numba", dtype=args.dtype, record=record)
    sim.run(x)  # compile or load, and measure the densities ``auto`` uses
    lay, batch = sim.layout, x.shape[1]
    kernel_x = sim._input_array({lay.input_names[0]: x})
    strategies = sim.edge_strategies(kernel_x)
    cols, widths, _ = sim._probe_columns(lambda name, var: var == "spikes")

    def kernel() -> float:
        _, args = sim._fresh_arguments(batch, strategies, cols, scratch=batch > 1)
        start = time.perf_counter()
        sim._call(0, kernel_x, args, widths)  # the kernel, and its (unfilled) probe arrays
        return time.perf_counter() - start

    def run() -> float:
        start = time.perf_counter()
        sim.run(x)
        return time.perf_counter() - start

    times = {"kernel": [], "run": []}
    for _ in range(args.repeats):
        times["kernel"].append(kernel())
        times["run"].append(run())
    report = {
        "workload": args.workload.name,
        "dtype": args.dtype,
        "batch": batch,
        "threads": numba.get_num_threads(),
        **{f"{k}_ms_min": round(1e3 * min(v), 2) for k, v in times.items()},
        **{f"{k}_ms_median": round(1e3 * float(np.median(v)), 2) for k, v in times.items()},
    }
    report["samples_per_s_kernel_median"] = round(batch / (report["kernel_ms_median"] / 1e3), 1)
    report["samples_per_s_run_median"] = round(batch / (report["run_ms_median"] / 1e3), 1)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
