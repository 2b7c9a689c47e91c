#!/usr/bin/env python3
"""Cold and warm JIT cost of the numba backend, each in a fresh process.

Cold: an empty ``NUMBA_CACHE_DIR``, so the kernel is compiled (float64 with
float64 weights, with float32-valued weights stored as float32, then float32). Warm:
a second process with the same cache directory, so the kernel is loaded from disk. Each time
is the first ``run()`` of a tiny graph in one configuration (dtype, float input or bool
raster, one sample or a batch), which is when its kernel is compiled or loaded. Float and
raster inputs share one kernel, so the raster runs, which come second, find it compiled.

    .venv/bin/python benchmarks/numba_compile_time.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

PROBE = """
import json, time
import numpy as np
import spikesim
g = spikesim.Graph()
g.add("in", spikesim.Input(3))
g.add("lif", spikesim.LIF(2))
g.connect("in", "lif", np.full((2, 3), 0.1), delay=[[0, 1, 2], [3, 4, 5]])
exact = g.copy()
exact.edges[0].weight = np.ones_like(exact.edges[0].weight)
times = {}
# float64 twice: weights that float32 holds exactly are stored as float32 (a specialisation).
for dtype, graph, weights in (
    ("float64", g, ""), ("float64", exact, " float32 weights"), ("float32", g, "")
):
    sim = spikesim.compile(graph, "numba", dtype=dtype)
    # One sample (the serial kernel), then a batch (the parallel one), with a float input and
    # with a bool spike raster (uint8 in the kernel): every specialisation a dtype uses.
    for label, x in (("float", np.ones((4, 3))), ("raster", np.ones((4, 3), bool))):
        for batch in (1, 2):
            start = time.perf_counter()
            sim.run(np.repeat(x[:, None], batch, axis=1))
            times[f"{dtype}{weights} {label} batch {batch}"] = time.perf_counter() - start
print(json.dumps(times))
"""


def main() -> int:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        result = {}
        for label in ("cold", "warm"):
            out = subprocess.run(
                [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
            )
            result[label] = {k: round(v, 2) for k, v in json.loads(out.stdout).items()}
    result["load_average_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
