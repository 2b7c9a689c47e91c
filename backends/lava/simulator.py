"""``LavaSimulator``: runs a graph on lava-nc's CPU simulation through the out-of-process runner."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from spikesim.backends.lava.environment import python_path
from spikesim.backends.lava.exchange import JobResult
from spikesim.backends.lava.launcher import run_jobs
from spikesim.backends.lava.lowering import PROBE_VARS, lower, unpack
from spikesim.backends.reference.fixed_simulator import check_fixed_graph
from spikesim.inputs import normalise_inputs
from spikesim.ir import Graph
from spikesim.result import Recorder, Result, resolve_record
from spikesim.simulator import ReplayedStream, Simulator

DEFAULT_TIMEOUT_S = 600.0


class LavaSimulator(ReplayedStream, Simulator):
    """Lava ``Loihi2SimCfg`` simulation (``floating_pt`` for float64, ``fixed_pt`` for fixed).

    Every ``run`` is one runner process (about 1.3 s of start-up); :func:`run_many` puts many
    runs into one. ``step`` replays the whole stream so far in a new runner call each time:
    correct, but slow, since Lava cannot be paused across processes.
    """

    backend = "lava"

    def __init__(self, graph: Graph, batch_size=None, dtype="float64", record=None,
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        super().__init__(graph, batch_size, dtype, record)
        self.fixed = dtype == "fixed"
        if self.fixed:
            check_fixed_graph(graph, self.backend)
            self.dtype = np.int64
        self.timeout_s = float(timeout_s)
        #: Seconds the last run took inside the runner: ``build_s`` and ``sample_run_s`` (the
        #: first sample includes Lava's compilation).
        self.last_timing: dict[str, object] = {}

    # -- one run = one job ---------------------------------------------------------------------

    def prepare(self, inputs: dict[str, np.ndarray], steps: int, batch: int, recorder: Recorder):
        """The lowered job for a run, and a function that stores its result into ``recorder``."""
        job = lower(self.graph, inputs, recorder.record, self.fixed)

        def finish(result: JobResult) -> None:
            self.last_timing = {"build_s": result.build_s, "sample_run_s": result.sample_run_s.tolist()}
            for name, variables in recorder.record.items():
                for var in variables:
                    recorder.write(0, name, var, self._convert(name, var, unpack(
                        result.traces[name, PROBE_VARS[var]], steps, batch)))

        return job, finish

    def _convert(self, name: str, var: str, trace: np.ndarray) -> np.ndarray:
        if var == "spikes":
            return trace != 0
        if self.fixed:
            return np.rint(trace).astype(np.int64)
        if var == "i":  # Lava's u is current_gain * i (lowering.py)
            return trace / self.graph.nodes[name].current_gain
        return trace

    def _run(self, inputs, steps, batch, recorder: Recorder) -> None:
        job, finish = self.prepare(inputs, steps, batch, recorder)
        finish(run_jobs([job], python_path(), self.timeout_s)[0])

    # -- streaming: replay -------------------------------------------------------------------

    def _replay(self, chunk: dict[str, np.ndarray]) -> dict[tuple[str, str], np.ndarray]:
        # One runner call for the whole stream.
        result = self.run(self._stream_so_far(chunk))
        self._streaming = True  # run() ends streaming; this replay is part of it
        return {
            (name, var): np.asarray(
                result.spikes[name] if var == "spikes" else result.states[name][var]
            )
            for name, variables in self.record.items()
            for var in variables
        }


def run_many(
    runs: Sequence[tuple[LavaSimulator, object]],
    record: Mapping[str, list[str]] | None = None,
    timeout_s: float | None = None,
) -> list[Result]:
    """Run several (simulator, inputs) pairs in **one** runner process; returns their Results.

    Saves the ~1.3 s start-up per run; ``record`` (if given) applies to every run.
    """
    if not runs:
        return []
    jobs, finishers, recorders = [], [], []
    for sim, inputs in runs:
        arrays, steps, batch = normalise_inputs(sim.graph, inputs)
        sim._check_batch(batch)
        probes = sim.record if record is None else resolve_record(sim.graph, record)
        recorder = Recorder(sim.graph, probes, steps, batch, sim.dtype or np.float64)
        job, finish = sim.prepare(arrays, steps, batch, recorder)
        jobs.append(job)
        finishers.append(finish)
        recorders.append(recorder)
    results = run_jobs(jobs, python_path(), timeout_s or max(sim.timeout_s for sim, _ in runs))
    for finish, result in zip(finishers, results):
        finish(result)
    return [recorder.result() for recorder in recorders]
