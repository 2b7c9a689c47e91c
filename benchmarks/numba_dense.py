#!/usr/bin/env python3
"""A dense layer at full input density: spikesim's numba backend against norse, one process.

Graded input (every value nonzero, as with direct encoding or a readout feeding on) through
one Dense ``in -> out`` LIF layer (latency 0, euler, norse's parameters; the mapping is that
of ``tests/core/test_core_norse.py``). At this density ``strategy="auto"`` pushes densely,
and a batch runs in tiles of samples that share each pass over the weights. The runs,
interleaved and repeated:

* ``spikesim``: ``Simulator.run`` as it ships;
* ``spikesim, tiles of 1``: the same with ``DENSE_TILE = 1`` (each sample pushes alone, as
  before tiles existed), to show what the tiles bring;
* ``norse``: ``torch.nn.functional.linear`` over all steps at once (one GEMM of the whole
  input: the layer is feed-forward) and ``norse.torch.LIF`` over the steps, in ``no_grad``.

It prints medians, the ratios and the output spikes of each (norse rounds in another order,
so a few spikes may differ in float32)::

    .venv/bin/python benchmarks/numba_dense.py --inputs 1000 --neurons 1000 --batch 64
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import spikesim
from spikesim.backends.numba import simulator as numba_simulator

DT = 1e-3
LIF_PARAMETERS = dict(tau_syn_inv=200.0, tau_mem_inv=100.0, v_leak=0.0, v_th=1.0, v_reset=0.0)


def graph_and_input(n_in: int, n: int, steps: int, batch: int, seed: int = 0):
    """The layer and its graded input [T, B, n_in] (float64)."""
    rng = np.random.default_rng(seed)
    weight = rng.normal(0.02, 1.0, (n, n_in)) * 3.0 / np.sqrt(n_in)
    graph = spikesim.Graph(dt=DT, discretisation="euler")
    graph.add("in", spikesim.Input(n_in))
    p = LIF_PARAMETERS
    graph.add(
        "out",
        spikesim.LIF.from_tau(
            n, tau_mem=1 / p["tau_mem_inv"], tau_syn=1 / p["tau_syn_inv"], dt=DT,
            method="euler", v_leak=p["v_leak"], v_th=p["v_th"], v_reset=p["v_reset"],
        ),
    )  # fmt: skip
    graph.connect("in", "out", weight)
    return graph.validate(), weight, rng.random((steps, batch, n_in))


def norse_runner(weight: np.ndarray, x: np.ndarray, dtype: str, threads: int):
    """A callable that runs the layer in norse and returns its spikes [T, B, N] (bool)."""
    import torch
    from norse.torch import LIF
    from norse.torch.functional.lif import LIFFeedForwardState, LIFParameters

    torch.set_num_threads(threads)
    tdtype = getattr(torch, dtype)
    w, inputs = torch.from_numpy(weight).to(tdtype), torch.from_numpy(x).to(tdtype)
    params = LIFParameters(**{k: torch.tensor(v, dtype=tdtype) for k, v in LIF_PARAMETERS.items()})
    layer = LIF(params, dt=DT)
    shape = (x.shape[1], weight.shape[0])

    def run() -> np.ndarray:
        with torch.no_grad():
            state = LIFFeedForwardState(
                v=torch.full(shape, LIF_PARAMETERS["v_leak"], dtype=tdtype),
                i=torch.zeros(shape, dtype=tdtype),
            )
            spikes, _ = layer(torch.nn.functional.linear(inputs, w), state)
        return spikes.numpy() != 0

    return run


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--inputs", type=int, default=1000)
    ap.add_argument("--neurons", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--threads", type=int, default=2, help="numba and torch threads")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args()
    import numba

    numba.set_num_threads(args.threads)
    graph, weight, x = graph_and_input(args.inputs, args.neurons, args.steps, args.batch)
    x = x.astype(args.dtype)
    sim = spikesim.compile(graph, "numba", dtype=args.dtype, record={"out": ["spikes"]})
    shipped_tile = numba_simulator.DENSE_TILE

    def spikesim_run(tile: int):
        def run() -> np.ndarray:
            numba_simulator.DENSE_TILE = tile
            try:
                return np.asarray(sim.run(x).spikes["out"])
            finally:
                numba_simulator.DENSE_TILE = shipped_tile

        return run

    runners = {
        "spikesim": spikesim_run(shipped_tile),
        "spikesim, tiles of 1": spikesim_run(1),
        "norse": norse_runner(weight, x, args.dtype, args.threads),
    }
    spikes = {name: run() for name, run in runners.items()}  # warm-up (JIT, caches)
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(args.repeats):
        for name, run in runners.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    strategy = sim.edge_strategies(sim._input_array({"in": x}))
    macs = args.steps * args.batch * args.inputs * args.neurons
    report = {
        "layer": f"{args.inputs} -> {args.neurons} LIF, batch {args.batch}, {args.steps} steps",
        "dtype": args.dtype,
        "threads": args.threads,
        "dense": bool(strategy.all()),
        "dense_tile": shipped_tile,
        "results": {
            name: {
                "median_ms": round(1e3 * float(np.median(t)), 2),
                "min_ms": round(1e3 * min(t), 2),
                "gmac_per_s_median": round(macs / float(np.median(t)) / 1e9, 2),
                "output_spikes": int(spikes[name].sum()),
            }
            for name, t in times.items()
        },
    }
    base = report["results"]["spikesim"]["median_ms"]
    for row in report["results"].values():
        row["time_over_spikesim"] = round(row["median_ms"] / base, 2)
    report["spikes_differing_from_norse"] = int((spikes["spikesim"] != spikes["norse"]).sum())
    print(json.dumps(report, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
