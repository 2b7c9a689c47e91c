"""Runs lowered jobs in lava-nc 0.10.0; executed inside ``.venv-lava`` (Python 3.10) as

    python -m spikesim.backends.lava.runner JOBS.h5 RESULTS.h5

For each job it builds RingBuffer sources, Dense/DelayDense connections, LIF neurons and one
Monitor per probe, then runs the samples one after another on ``Loihi2SimCfg`` with the job's
tag. Between samples the runtime is paused and every LIF's ``u``/``v`` and every connection's
``a_buff`` are set back to their initial values, so no state or in-flight spike crosses
samples. Any failure exits non-zero with the traceback on stderr.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc.dense.process import DelayDense, Dense
from lava.proc.io.source import RingBuffer
from lava.proc.lif.process import LIF
from lava.proc.monitor.process import Monitor
from lava.utils.weightutils import SignMode

from spikesim.backends.lava.exchange import Job, JobResult, read_jobs, write_results


def _scalar_or_array(value: np.ndarray):
    return value.item() if value.ndim == 0 else value


def _build(job: Job):
    """Create and connect the processes; returns (ports by node, LIFs, connections, monitors)."""
    ports, lifs, conns = {}, {}, []
    for name, data in job.sources.items():
        ports[name] = RingBuffer(data=data)
    for name, p in job.neurons.items():
        size = p["bias_mant"].shape[0]
        lifs[name] = LIF(
            shape=(size,), u=0, v=p["v"], du=_scalar_or_array(p["du"]), dv=_scalar_or_array(p["dv"]),
            vth=_scalar_or_array(p["vth"]), bias_mant=p["bias_mant"], bias_exp=p["bias_exp"],
        )
        ports[name] = lifs[name]
    for c in job.connections:
        kwargs = dict(weights=c.weights, weight_exp=c.weight_exp, num_weight_bits=c.num_weight_bits,
                      num_message_bits=c.num_message_bits)
        if c.sign_mode:
            kwargs["sign_mode"] = SignMode(c.sign_mode)
        proc = Dense(**kwargs) if c.delays is None else DelayDense(delays=c.delays, **kwargs)
        ports[c.src].s_out.connect(proc.s_in)
        proc.a_out.connect(lifs[c.dst].a_in)
        conns.append(proc)
    conns += _tie_components(job, lifs)
    total = job.steps * job.batch
    monitors = {}
    for node, var in job.probes:
        monitor = Monitor()
        target = lifs[node].s_out if var == "s_out" else getattr(lifs[node], var)
        monitor.probe(target, total)
        monitors[node, var] = (monitor, lifs[node].name, var)
    return lifs, conns, monitors


def _tie_components(job: Job, lifs: dict) -> list:
    """Zero-weight Dense links from the first LIF to every other connected component.

    ``run`` executes only the processes connected to the one it is called on; adding 0 to
    ``a_in`` is exact in float and in fixed point.
    """
    parent = {name: name for name in list(job.sources) + list(lifs)}

    def root(name: str) -> str:
        while parent[name] != name:
            name = parent[name]
        return name

    for c in job.connections:
        parent[root(c.src)] = root(c.dst)
    names = list(lifs)
    ties, seen = [], {root(names[0])} if names else set()
    for name in names[1:]:
        if root(name) not in seen:
            seen.add(root(name))
            tie = Dense(weights=np.zeros((lifs[name].a_in.shape[0], lifs[names[0]].s_out.shape[0])))
            lifs[names[0]].s_out.connect(tie.s_in)
            tie.a_out.connect(lifs[name].a_in)
            ties.append(tie)
    return ties


def _reset(job: Job, lifs, conns) -> None:
    """Initial state again: u = 0, v = v_init, nothing in flight."""
    dtype = np.int32 if job.tag == "fixed_pt" else np.float64
    for name, lif in lifs.items():
        lif.u.set(np.zeros(lif.u.shape, dtype))
        lif.v.set(np.asarray(job.neurons[name]["v"], dtype))
    for proc in conns:
        proc.a_buff.set(np.zeros(proc.a_buff.shape, dtype))


def run_job(job: Job) -> JobResult:
    """Build, run every sample, read the monitors, stop."""
    start = time.perf_counter()
    lifs, conns, monitors = _build(job)
    build_s = time.perf_counter() - start
    if not lifs:
        raise ValueError("job has no LIF population to run")
    anchor = next(iter(lifs.values()))
    config = Loihi2SimCfg(select_tag=job.tag)
    sample_s = []
    try:
        for sample in range(job.batch):
            t0 = time.perf_counter()
            if sample:
                _reset(job, lifs, conns)
            anchor.run(condition=RunSteps(num_steps=job.steps), run_cfg=config)
            sample_s.append(time.perf_counter() - t0)
        traces = {
            key: np.asarray(monitor.get_data()[proc_name][var])
            for key, (monitor, proc_name, var) in monitors.items()
        }
    finally:
        anchor.stop()
    return JobResult(traces, np.asarray(sample_s), build_s)


def main(argv: list[str]) -> int:
    """Entry point: ``runner JOBS.h5 RESULTS.h5``."""
    if len(argv) != 2:
        print("usage: python -m spikesim.backends.lava.runner JOBS.h5 RESULTS.h5", file=sys.stderr)
        return 2
    jobs = read_jobs(argv[0])
    write_results(argv[1], [run_job(job) for job in jobs])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
