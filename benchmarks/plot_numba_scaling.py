#!/usr/bin/env python3
"""Plot time per step against synaptic events per step from ``numba_scaling.py`` JSON files.

Each file becomes one series: its measured points and the fitted line, labelled with the slope
(ns per synaptic event) and the memory floor for a window line missed in DRAM.

    .venv/bin/python benchmarks/plot_numba_scaling.py benchmarks/results_numba/scaling_*.json \\
        --out benchmarks/results_numba/scaling.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("reports", nargs="+", type=Path, help="numba_scaling.py --json files")
    ap.add_argument("--out", type=Path, required=True, help="image to write (.png or .svg)")
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spikesim.io.atomic import atomic_path

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for path in args.reports:
        report = json.loads(path.read_text())
        events = np.array([p["events_per_step"] for p in report["points"]]) / 1e6
        ms = np.array([p["s_per_step"] for p in report["points"]]) * 1e3
        label = (
            f"{report['neurons'] / 1e6:g} M neurons, {report['synapses'] / 1e6:.0f} M synapses: "
            f"{report['slope_ns_per_event']:.1f} ns/event (DRAM floor "
            f"{report['floor_ns_ring_miss']:.1f})"
        )
        (line,) = ax.plot(events, ms, "o", label=label)
        grid = np.linspace(0, events.max(), 50)
        fit = report["slope_ns_per_event"] * grid + report["intercept_ms_per_step"]
        ax.plot(grid, fit, "-", color=line.get_color(), alpha=0.6)
    ax.set_xlabel("synaptic events per step [millions]")
    ax.set_ylabel("time per step [ms]")
    ax.set_title("numba backend, float32, batch 1 (one thread)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(args.out) as tmp:
        fig.savefig(tmp, format=args.out.suffix.lstrip(".") or "png", dpi=120)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
