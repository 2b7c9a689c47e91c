"""Throughput of the rram backend against numba and the reference on W2 (peer workload).

    .venv/bin/python benchmarks/bench_rram.py [--repeats 5] [--peers ../shared/peers]

W2 is built with the peer harness's own recipe (``make_workload.make_w2``): 140-256-256-20
CUBA LIF (alpha 0.8, beta 0.9, theta 1, reset to 0), per-synapse delays 0-24 plus a latency
offset of 1, T = 100, batch 64, about 5 % input density. Prints a markdown table of medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import spikesim
from spikesim.hardware.rram import MacroConfig


def w2_graph(wl) -> spikesim.Graph:
    """The W2 network as a spikesim graph (weights stored [pre, post] in the workload)."""
    sizes = [int(s) for s in wl["sizes"]]
    g = spikesim.Graph(dt=1e-3)
    g.add("in", spikesim.Input(sizes[0]))
    names = ["in", "l1", "l2", "l3"]
    for k in (1, 2, 3):
        g.add(
            names[k],
            spikesim.LIF(
                sizes[k],
                alpha=float(wl["alpha"]),
                beta=float(wl["beta"]),
                v_th=float(wl["theta"]),
                reset="zero",
            ),
        )
        latency = wl[f"d{k}"].astype(np.int64).T + int(wl["latency_offset"])
        g.connect(names[k - 1], names[k], wl[f"w{k}"].T, delay=latency)
    return g.validate()


def timed(sim, x, repeats: int, warmup: bool = True) -> tuple[float, spikesim.Result]:
    """Median wall time of ``repeats`` runs after one warm-up run (s), and the last result."""
    result = sim.run(x) if warmup else None
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = sim.run(x)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument(
        "--peers",
        default=str(Path(__file__).resolve().parents[1].parent / "shared" / "peers"),
        help="folder holding make_workload.py (default: ../shared/peers beside the repo)",
    )
    args = ap.parse_args()
    sys.path.insert(0, args.peers)
    import make_workload

    wl = make_workload.make_w2(make_workload.SEED)
    graph = w2_graph(wl)
    x = wl["input"].astype(np.float64)
    record = {"l1": ["spikes"], "l2": ["spikes"], "l3": ["spikes"]}
    runs = [
        ("reference", "reference", {}),
        ("numba", "numba", {}),
        ("rram ideal", "rram", {"config": "ideal"}),
        ("rram default (column read noise)", "rram", {}),
        ("rram default, no read noise", "rram", {"config": MacroConfig(read_noise_rel=0.0)}),
    ]
    rows, base, report = [], None, None
    for label, backend, options in runs:
        try:
            t0 = time.perf_counter()
            sim = spikesim.compile(graph, backend, record=record, **options)
            build = time.perf_counter() - t0
        except spikesim.BackendUnavailableError as err:
            print(f"skipping {label}: {err}", file=sys.stderr)
            continue
        # the numpy reference takes minutes on a loaded 2-core machine: one untimed-warm-up-free run
        slow = backend == "reference"
        seconds, result = timed(sim, x, 1 if slow else args.repeats, warmup=not slow)
        spikes = [int(np.asarray(result.spikes[n]).sum()) for n in ("l1", "l2", "l3")]
        if backend == "numba":
            base = seconds
        extra = ""
        if backend == "rram":
            extra = f"{result.hardware.energy_per_sample_pj / 1e6:.3g} µJ/sample"
            if report is None and label.startswith("rram default"):
                report = (label, sim, result.hardware)
        rows.append((label, build, seconds, spikes, extra))
    want = [int(s) for s in wl["ref_layer_spikes"][1:]]
    print(f"W2: T={int(wl['T'])}, batch={int(wl['batch'])}, peer reference spikes per layer {want}")
    print("| backend | compile s | run s (median) | vs numba | spikes l1/l2/l3 | energy |")
    print("|---|---|---|---|---|---|")
    for label, build, seconds, spikes, extra in rows:
        ratio = f"{seconds / base:.1f}x" if base else "n/a"
        print(
            f"| {label} | {build:.2f} | {seconds:.3f} | {ratio} | {'/'.join(map(str, spikes))} | {extra} |"
        )
    if report:
        label, sim, hardware = report
        print(f"\nEnergy and latency report of '{label}' (whole batch):\n{hardware.summary()}")
        for name, stats in sim.programming().items():
            print(f"{name}: {stats.cells} cells, {stats.mean_pulses:.2f} pulses/cell, residual "
                  f"{stats.residual_sigma_us:.3f} µS, {stats.failed} not verified")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
