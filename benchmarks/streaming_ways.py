"""The ways to push one input through a simulator that the streaming benchmarks time:
``run()``, ``stream()`` in chunks, and ``step()`` (``numba_streaming.py``, ``cupy_gpu.py`` and
the harness adapter ``peers/run_spikesim.py``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def ways(sim, x: np.ndarray, chunks: list[int]) -> dict[str, Callable[[], dict]]:
    """{label: a call that runs ``x`` that way and returns {population: spikes [T, B, n]}}."""

    def run() -> dict:
        return {n: np.asarray(s) for n, s in sim.run(x).spikes.items()}

    def stream(chunk: int) -> Callable[[], dict]:
        def go() -> dict:
            sim.reset()
            parts = [sim.stream(x[t : t + chunk]).spikes for t in range(0, x.shape[0], chunk)]
            return {n: np.concatenate([np.asarray(p[n]) for p in parts]) for n in parts[0]}

        return go

    def step() -> dict:
        sim.reset()
        parts = [sim.step(x[t]) for t in range(x.shape[0])]
        return {n: np.stack([p[n]["spikes"] for p in parts]) for n in parts[0]}

    labelled = {"run()": run}
    labelled.update({f"stream() of {c}": stream(c) for c in chunks})
    labelled["step()"] = step
    return labelled
