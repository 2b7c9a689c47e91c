"""``spikesim bench``: the standard workloads (W2, W3 shapes) on every usable backend, one table.

Workloads are drawn in-process from ``--seed`` (``spikesim.workloads``), so no peer harness is
needed. Each backend compiles the same graph, runs ``--warmup`` untimed and ``--repeats``
timed ``Simulator.run`` calls (wall clock, ``time.perf_counter``; a backend slower than
``--budget`` is timed by its first run only); the table shows the median,
samples/s, synaptic events/s, the speed ratio against the first backend listed, and whether
the output spike count equals that backend's.
"""

from __future__ import annotations

import json
import statistics
import time

WORKLOADS = ("w2", "w3")


def register(subparsers) -> None:
    """Add the ``bench`` subcommand."""
    p = subparsers.add_parser("bench", help="time the standard workloads on the available backends")
    p.add_argument(
        "--workloads",
        nargs="+",
        choices=WORKLOADS,
        default=list(WORKLOADS),
        help="W2 shd-delay-inference and/or W3 lsm-reservoir, drawn from --seed (default: both)",
    )
    p.add_argument(
        "--backends",
        nargs="+",
        default=None,
        help="backends to run, first = ratio baseline (default: reference + every usable one)",
    )
    p.add_argument(
        "--batch", type=int, default=None, help="samples per run (default: W2 64, W3 1000)"
    )
    p.add_argument("--repeats", type=int, default=3, help="timed runs; the median is shown")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs first (JIT, caches)")
    p.add_argument(
        "--dtype", default="float64", choices=["float32", "float64"], help="simulation dtype"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the drawn workloads")
    p.add_argument(
        "--budget",
        type=float,
        default=10.0,
        help="seconds: a backend whose first run takes longer is timed by that run alone",
    )
    p.add_argument("--json", default=None, help="also write the rows to this JSON file")
    p.set_defaults(func=_run)


def _backends(requested: list[str] | None) -> list[str]:
    from spikesim import backends

    if requested:
        return requested
    status = backends.status()
    names = ["reference"] + [n for n, s in status.items() if s["usable"] and n != "reference"]
    for name, entry in status.items():
        if not entry["usable"]:
            print(f"# skipping backend {name}: {entry['reason']}")
    return names


def _workload(name: str, seed: int, batch: int | None) -> dict:
    from spikesim import workloads

    if name == "w2":
        return workloads.synthetic_w2(seed, batch or 64)
    return workloads.synthetic_w3(seed, batch or 1000)


def bench_one(graph, x, backend: str, dtype: str, repeats: int, warmup: int, budget: float) -> dict:
    """Compile and time one backend on (graph, x [T, B, n]); returns a row of the table.

    The first run is timed too; when it exceeds ``budget`` seconds it is the only timing.
    """
    import numpy as np

    import spikesim
    from spikesim.workloads import synaptic_events

    start = time.perf_counter()
    sim = spikesim.compile(graph, backend=backend, dtype=dtype)
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    result = sim.run(x)
    first_s = time.perf_counter() - start
    if first_s > budget:
        times = [first_s]
    else:
        for _ in range(warmup - 1):
            sim.run(x)
        times = []
        for _ in range(max(1, repeats)):
            start = time.perf_counter()
            result = sim.run(x)
            times.append(time.perf_counter() - start)
    spikes = {name: np.asarray(s) for name, s in result.spikes.items()}
    out = [name for name, _ in graph.populations()][-1]
    median = statistics.median(times)
    events = synaptic_events(graph, x, spikes)
    return {
        "backend": backend,
        "median_s": median,
        "compile_s": compile_s,
        "samples": x.shape[1],
        "samples_per_s": x.shape[1] / median,
        "syn_events_per_s": events / median,
        "out_spikes": int(spikes[out].sum()),
        "times_s": times,
        "first_run_s": first_s,
    }


def _table(rows: list[dict]) -> str:
    lines = [
        "| workload | backend | median [s] | runs | samples/s | syn. events/s | vs first | out spikes | same spikes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    base: dict[str, dict] = {}
    for row in rows:
        if "error" in row:
            lines.append(
                f"| {row['workload']} | {row['backend']} | failed: {row['error']} | | | | | | |"
            )
            continue
        first = base.setdefault(row["workload"], row)
        ratio = row["samples_per_s"] / first["samples_per_s"]
        same = "yes" if row["out_spikes"] == first["out_spikes"] else "NO"
        lines.append(
            f"| {row['workload']} | {row['backend']} | {row['median_s']:.4g} | {len(row['times_s'])} "
            f"| {row['samples_per_s']:,.0f} "
            f"| {row['syn_events_per_s']:.3g} | {ratio:.3g}x | {row['out_spikes']} | {same} |"
        )
    return "\n".join(lines)


def _run(args) -> int:
    from spikesim.errors import SpikesimError
    from spikesim.io.atomic import atomic_path
    from spikesim.workloads import graph_for

    names = _backends(args.backends)
    rows = []
    for workload in args.workloads:
        graph, x = graph_for(_workload(workload, args.seed, args.batch))
        for backend in names:
            try:
                row = bench_one(
                    graph, x, backend, args.dtype, args.repeats, args.warmup, args.budget
                )
            except SpikesimError as err:
                row = {"backend": backend, "error": str(err)}
            row["workload"] = workload
            rows.append(row)
    print(_table(rows))
    if args.json:
        with atomic_path(args.json) as tmp:
            tmp.write_text(json.dumps(rows, indent=2))
    return 0 if all("error" not in r for r in rows) else 1
