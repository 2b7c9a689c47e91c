"""The HDF5 files exchanged with the Lava runner: many jobs in one file, results in another.

Both sides read this module: the main environment (Python >= 3.11, numpy 2) writes jobs and
reads results; the runner in ``.venv-lava`` (Python 3.10, numpy < 2) does the reverse. A job is
already *lowered* to Lava's terms (``lowering.py``), so the runner holds no spikesim semantics.

Jobs file::

    /                 attrs: format="spikesim-lava-jobs", version
    /<k>/             attrs: tag ("floating_pt" | "fixed_pt"), steps (per sample), batch
    /<k>/sources/<n>  dataset [channels, batch*steps]: RingBuffer data, samples back to back
    /<k>/neurons/<n>  datasets du, dv, vth (0-d or (size,)), bias_mant, bias_exp, v (size,)
    /<k>/connections/<c>  attrs src, dst, weight_exp, num_weight_bits, sign_mode (0: none),
                      num_message_bits; datasets weights (out, in)[, delays (out, in)]
    /<k>/probes       dataset of "node/var" strings (var: s_out, v, u)

Results file: ``/<k>/<node>/<var>`` [batch*steps, size] and ``/<k>/sample_run_s`` (seconds
per sample, the first including Lava's compilation), ``/<k>@build_s``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import h5py
import numpy as np

JOBS_FORMAT = "spikesim-lava-jobs"
RESULTS_FORMAT = "spikesim-lava-results"
VERSION = 1


@dataclass
class Connection:
    """One Lava Dense (``delays is None``) or DelayDense; ``delays`` are Lava delays (L - 1)."""

    src: str
    dst: str
    weights: np.ndarray
    delays: np.ndarray | None = None
    weight_exp: int = 0
    num_weight_bits: int = 8
    sign_mode: int = 0
    num_message_bits: int = 0


@dataclass
class Job:
    """One network and its inputs for ``batch`` samples of ``steps`` steps each."""

    tag: str
    steps: int
    batch: int
    sources: dict[str, np.ndarray] = field(default_factory=dict)
    neurons: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    connections: list[Connection] = field(default_factory=list)
    probes: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class JobResult:
    """Monitor traces {(node, var): [batch*steps, size]} and per-sample run times (s)."""

    traces: dict[tuple[str, str], np.ndarray]
    sample_run_s: np.ndarray
    build_s: float


def write_jobs(path: str | os.PathLike, jobs: list[Job]) -> None:
    """Write ``jobs`` to a new HDF5 file at ``path``."""
    with h5py.File(path, "w") as f:
        f.attrs.update(format=JOBS_FORMAT, version=VERSION)
        for k, job in enumerate(jobs):
            g = f.create_group(str(k))
            g.attrs.update(tag=job.tag, steps=job.steps, batch=job.batch)
            sources = g.create_group("sources")
            for name, data in job.sources.items():
                sources.create_dataset(name, data=data)
            neurons = g.create_group("neurons")
            for name, params in job.neurons.items():
                n = neurons.create_group(name)
                for key, value in params.items():
                    n.create_dataset(key, data=value)
            conns = g.create_group("connections")
            for c, conn in enumerate(job.connections):
                cg = conns.create_group(f"{c:06d}")
                cg.attrs.update(
                    src=conn.src, dst=conn.dst, weight_exp=conn.weight_exp,
                    num_weight_bits=conn.num_weight_bits, sign_mode=conn.sign_mode,
                    num_message_bits=conn.num_message_bits,
                )
                cg.create_dataset("weights", data=conn.weights)
                if conn.delays is not None:
                    cg.create_dataset("delays", data=conn.delays)
            g.create_dataset("probes", data=[f"{n}/{v}".encode() for n, v in job.probes], dtype="S256")


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def read_jobs(path: str | os.PathLike) -> list[Job]:
    """Read a jobs file written by :func:`write_jobs`."""
    jobs = []
    with h5py.File(path, "r") as f:
        if _text(f.attrs.get("format", "")) != JOBS_FORMAT:
            raise ValueError(f"{path}: not a {JOBS_FORMAT} file")
        for k in sorted(f, key=int):
            g = f[k]
            job = Job(_text(g.attrs["tag"]), int(g.attrs["steps"]), int(g.attrs["batch"]))
            job.sources = {name: ds[()] for name, ds in g["sources"].items()}
            job.neurons = {name: {key: ds[()] for key, ds in n.items()} for name, n in g["neurons"].items()}
            for _, cg in sorted(g["connections"].items()):
                a = cg.attrs
                job.connections.append(Connection(
                    _text(a["src"]), _text(a["dst"]), cg["weights"][()],
                    cg["delays"][()] if "delays" in cg else None, int(a["weight_exp"]),
                    int(a["num_weight_bits"]), int(a["sign_mode"]), int(a["num_message_bits"]),
                ))
            job.probes = [tuple(_text(p).split("/")) for p in g["probes"][()]]
            jobs.append(job)
    return jobs


def write_results(path: str | os.PathLike, results: list[JobResult]) -> None:
    """Write the runner's results (one group per job, in job order)."""
    with h5py.File(path, "w") as f:
        f.attrs.update(format=RESULTS_FORMAT, version=VERSION)
        for k, result in enumerate(results):
            g = f.create_group(str(k))
            g.attrs["build_s"] = result.build_s
            g.create_dataset("sample_run_s", data=result.sample_run_s)
            for (node, var), trace in result.traces.items():
                g.create_dataset(f"{node}/{var}", data=trace)


def read_results(path: str | os.PathLike, n_jobs: int) -> list[JobResult]:
    """Read ``n_jobs`` job results; raises ValueError if the file is not a complete result."""
    results = []
    with h5py.File(path, "r") as f:
        if _text(f.attrs.get("format", "")) != RESULTS_FORMAT or len(f) != n_jobs:
            raise ValueError(f"{path}: expected {n_jobs} job results, found {len(f)}")
        for k in range(n_jobs):
            g = f[str(k)]
            traces = {}
            for node, group in g.items():
                if isinstance(group, h5py.Group):
                    traces.update({(node, var): ds[()] for var, ds in group.items()})
            results.append(JobResult(traces, g["sample_run_s"][()], float(g.attrs["build_s"])))
    return results
