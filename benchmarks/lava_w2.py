#!/usr/bin/env python3
"""Lava (CPU, ``floating_pt``) against numba and the reference on W2 (``shd-delay-inference``).

Lava has no batch dimension: the runner runs the samples one after another in one network,
so its unit is one sample (median over samples 2..N; sample 1 includes Lava's compilation).
numba and the reference run the same N samples as one batch; their unit is the batch, divided
by N for the per-sample figure. Every backend's output spike counts are checked against the
workload's ``ref_counts``.

    .venv/bin/python benchmarks/lava_w2.py --workload /tmp/peers-workloads/shd-delay-inference.npz \
        --samples 8 --repeats 3 --fixed --out benchmarks/results_lava.md
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

import spikesim
from spikesim.hardware.loihi_quantise import quantise
from spikesim.io.atomic import atomic_open
from spikesim.workloads import graph_for, load_workload, synthetic_w2


def workload_or_synthetic(path: Path | None) -> dict:
    if path is None or not path.exists():
        return synthetic_w2(seed=0)
    return load_workload(path)


def timed(fn, repeats: int) -> tuple[float, object]:
    fn()  # warm-up (numba compiles here)
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", type=Path, default=Path("/tmp/peers-workloads/shd-delay-inference.npz"))
    ap.add_argument("--samples", type=int, default=16, help="samples run (Lava is slow)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="markdown file to write")
    ap.add_argument("--fixed", action="store_true", help="also quantise and run dtype='fixed'")
    args = ap.parse_args()

    wl = workload_or_synthetic(args.workload)
    graph, inputs = graph_for(wl)
    x = inputs[:, : args.samples]
    ref_counts = np.asarray(wl["ref_counts"])[: args.samples] if "ref_counts" in wl else None
    record = {"out": ["spikes"]}
    load_before = os.getloadavg()[0]
    rows = []

    variants = [("float64", graph, "floating_pt")]
    if args.fixed:
        quantised = quantise(graph)
        variants.append(("fixed", quantised.graph, "fixed_pt"))
    lava_unit = {}
    for dtype, g, tag in variants:
        lava = spikesim.compile(g, backend="lava", dtype=dtype, record=record)
        start = time.perf_counter()
        result = lava.run(x)
        lava_wall = time.perf_counter() - start
        per_sample = lava.last_timing["sample_run_s"]
        lava_unit[dtype] = statistics.median(per_sample[1:]) if len(per_sample) > 1 else per_sample[0]
        rows.append((f"lava {tag} (out of process)", dtype, lava_unit[dtype], result,
                     f"first sample (compile) {per_sample[0]:.2f} s; whole call {lava_wall:.1f} s"))
        for backend in ("numba", "reference"):
            try:
                sim = spikesim.compile(g, backend=backend, dtype=dtype, record=record)
            except spikesim.BackendUnavailableError as err:
                rows.append((backend, dtype, float("nan"), None, f"unavailable: {err}"))
                continue
            batch_s, res = timed(lambda sim=sim: sim.run(x), args.repeats)
            rows.append((f"{backend} {dtype}", dtype, batch_s / args.samples, res,
                         f"batch of {args.samples}: {batch_s:.3f} s"))
    if args.fixed:  # the fixed rows are checked against the fixed reference, bit for bit
        fixed_ref = spikesim.compile(quantised.graph, dtype="fixed", record=record).run(x).counts("out")

    lines = [
        "# Lava vs numba on W2 (shd-delay-inference)",
        "",
        f"Command: `.venv/bin/python benchmarks/lava_w2.py --workload {args.workload} "
        f"--samples {args.samples} --repeats {args.repeats}{' --fixed' if args.fixed else ''}`",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"1-min load average before: {load_before:.1f} (shared machine: other jobs ran alongside).",
        f"Workload: {'harness file' if 'ref_counts' in wl else 'synthetic_w2(seed=0)'}, "
        f"140->256->256->20 CUBA LIF, per-synapse delays 0..24, T = {x.shape[0]}, first {args.samples} samples.",
        "",
        "| backend | s per sample (median) | samples/s | lava time / this (same dtype) | output counts match | notes |",
        "|---|---|---|---|---|---|",
    ]
    for name, dtype, unit, res, note in rows:
        want = fixed_ref if dtype == "fixed" else ref_counts
        match = "n/a"
        if res is not None and want is not None:
            match = f"{float((res.counts('out') == want).mean()):.3f}"
        ratio = lava_unit[dtype] / unit if unit == unit else float("nan")
        lines.append(f"| {name} | {unit:.4f} | {1 / unit:.1f} | {ratio:.1f}x | {match} | {note} |")
    if args.fixed:
        agreement = float((fixed_ref == ref_counts).mean()) if ref_counts is not None else float("nan")
        lines += ["", "Fixed rows: the graph quantised by `spikesim.hardware.loihi_quantise.quantise` "
                  "(defaults); their counts are compared with the fixed reference. Quantisation kept "
                  f"{agreement:.3f} of the per-(sample, neuron) output counts of the float64 run."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with atomic_open(args.out) as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
