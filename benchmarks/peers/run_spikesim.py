#!/usr/bin/env python3
"""spikesim runner for the peer benchmark harness (../shared/peers): same CLI and JSON line.

Reads a W2 (``shd-delay``) or W3 (``lsm``) workload .npz with the harness's ``common.py``, builds
the graph with latency L = stored delay + latency_offset (``spikesim.workloads.graph_for``),
times ``--warmup`` untimed and ``--repeats`` timed units with ``time.perf_counter`` and prints
``common.result_record`` with spike counts checked against the file's ``ref_counts``.

``--batch N`` runs the first N samples (the unit is then N samples). ``--mode step`` drives the
streaming ``Simulator.step`` API one step at a time instead of one ``run`` call, and
``--mode stream --chunk K`` the streaming ``Simulator.stream`` API K steps at a time.
The harness folder comes from ``--peers-dir``, else env ``PEERS_DIR``, else
``<repo>/../shared/peers``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def _import_common(argv: list[str]):
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument(
        "--peers-dir", default=os.environ.get("PEERS_DIR", str(REPO.parent / "shared" / "peers"))
    )
    known, _ = pre.parse_known_args(argv)
    if not (Path(known.peers_dir) / "common.py").is_file():
        raise SystemExit(f"run_spikesim: no common.py in --peers-dir {known.peers_dir}")
    sys.path.insert(0, known.peers_dir)
    import common

    return common


def _parser(common) -> argparse.ArgumentParser:
    ap = common.base_argparser(__doc__)
    ap.add_argument("--peers-dir", help="the peer harness folder (holds common.py)")
    ap.add_argument("--backend", default="numba", help="spikesim backend: numba | reference | ...")
    ap.add_argument("--batch", type=int, default=None, help="run only the first N samples")
    ap.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    ap.add_argument("--strategy", default=None, help="numba: auto | event | dense")
    ap.add_argument(
        "--mode",
        default="run",
        choices=["run", "step", "stream"],
        help="one run(), one step() per step, or one stream() per --chunk steps",
    )
    ap.add_argument("--chunk", type=int, default=10, help="--mode stream: steps per stream() call")
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    common = _import_common(argv)
    parser = _parser(common)
    args = parser.parse_args(argv)
    if args.chunk < 1:
        parser.error(f"--chunk: expected at least 1 step per stream() call, got {args.chunk}")
    import spikesim
    from spikesim.workloads import graph_for

    sys.path.insert(0, str(REPO / "benchmarks"))
    from streaming_ways import ways

    wl = common.load_workload(args.workload)
    if wl["kind"] not in ("shd-delay", "lsm"):
        common.emit(
            {
                "library": "spikesim",
                "skipped": True,
                "workload": wl["name"],
                "notes": f"workload kind {wl['kind']} (W1 needs gradients) is not run by spikesim",
            },
            args.out,
        )
        return 0
    graph, x = graph_for(wl)
    batch = x.shape[1] if args.batch is None else min(args.batch, x.shape[1])
    x = np.ascontiguousarray(x[:, :batch])
    if args.threads and args.backend == "numba":
        import numba

        numba.set_num_threads(args.threads)
    options = {"strategy": args.strategy} if args.strategy else {}
    record = {name: ["spikes"] for name, _ in graph.populations()}
    t0 = time.perf_counter()
    sim = spikesim.compile(graph, backend=args.backend, dtype=args.dtype, record=record, **options)
    first = sim.run(x[:, :1])  # first call: JIT compile or load from the on-disk cache
    compile_s = time.perf_counter() - t0
    del first

    label = {"run": "run()", "step": "step()", "stream": f"stream() of {args.chunk}"}[args.mode]
    once = ways(sim, x, [args.chunk])[label]

    times, spikes = common.time_repeats(once, args.warmup, args.repeats or 5)
    pops = [name for name, _ in graph.populations()]
    out_name = pops[-1]
    out_counts = spikes[out_name].sum(axis=0, dtype=np.int64)
    ref = np.asarray(wl["ref_counts"])[:batch]
    if wl["kind"] == "shd-delay":
        layer_counts = [x.sum(axis=(0, 1))] + [spikes[n].sum(axis=(0, 1)) for n in pops]
        events = common.events_feedforward(
            layer_counts[:3], [common.fanout(wl[f"w{k}"]) for k in (1, 2, 3)]
        )
        layer_spikes = [int(c.sum()) for c in layer_counts]
        unit = f"one batch of {batch} samples"
    else:
        events = common.events_feedforward(
            [x.sum(axis=(0, 1)), out_counts.sum(axis=0)],
            [common.fanout(wl["w_in"]), common.fanout(wl["w_rec"])],
        )
        layer_spikes = None
        unit = f"all {batch} samples"
    threads = None
    if args.backend == "numba":
        import numba

        threads = numba.get_num_threads()
    variant = f"{args.backend} {args.dtype}, {args.mode}()"
    if args.mode == "stream":
        variant += f" of {args.chunk} steps"
    if args.backend == "numba":
        variant += f", strategy={args.strategy or 'auto'}, {threads} threads"
    extra = {
        "unit": unit,
        "count_match_frac": round(float((ref == out_counts).mean()), 4),
        "ref_out_spikes": int(ref.sum()),
        "compile_and_first_run_s": round(compile_s, 3),
        "batch": batch,
    }
    rec = common.result_record(
        "spikesim",
        spikesim.__version__,
        wl,
        times,
        variant=variant,
        samples=batch,
        syn_events=events,
        out_spikes=int(out_counts.sum()),
        layer_spikes=layer_spikes,
        extra=extra,
        warmup=args.warmup,
    )
    common.dump_counts(args.dump_counts, out_counts)
    common.emit(rec, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
