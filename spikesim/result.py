"""The result object every backend returns, and selective recording (RAM or streamed to HDF5)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spikesim.errors import GraphError
from spikesim.io.atomic import atomic_path
from spikesim.ir import Graph, Population

#: Variables a probe may record: spikes (bool), membrane v after reset, synaptic current i.
STATE_VARS = ("spikes", "v", "i")


def resolve_record(
    graph: Graph, record: Mapping[str, list[str]] | None
) -> dict[str, tuple[str, ...]]:
    """Normalise a probe spec to {population: vars}. Output names resolve to their source.

    Default: spikes of every spiking population and v of every non-spiking one (readouts).
    """
    if record is None:
        return {name: ("spikes",) if pop.spiking else ("v",) for name, pop in graph.populations()}
    resolved: dict[str, tuple[str, ...]] = {}
    outputs = graph.outputs()
    for name, variables in record.items():
        target = outputs.get(name, name)
        node = graph.nodes.get(target)
        if not isinstance(node, Population):
            raise GraphError(f"record: {name!r} is not a population or Output of the graph")
        variables = (variables,) if isinstance(variables, str) else tuple(variables)
        for var in variables:
            if var not in STATE_VARS:
                raise GraphError(
                    f"record[{name!r}]: unknown variable {var!r}; choose from {STATE_VARS}"
                )
            if var == "spikes" and not node.spiking:
                raise GraphError(
                    f"record[{name!r}]: {node.kind} does not spike; record 'v' instead"
                )
        resolved[target] = tuple(dict.fromkeys(resolved.get(target, ()) + variables))
    return resolved


@dataclass
class Result:
    """Recorded traces of one run: ``spikes[node]`` and ``states[node][var]`` are [T, B, N].

    Output node names are accepted wherever a population name is. When the run streamed to
    HDF5, the traces are read-only h5py datasets of that file (slice them like arrays).
    """

    spikes: dict[str, np.ndarray]
    states: dict[str, dict[str, np.ndarray]]
    dt: float
    aliases: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    def __post_init__(self) -> None:
        for alias, source in self.aliases.items():
            if source in self.spikes:
                self.spikes.setdefault(alias, self.spikes[source])
            if source in self.states:
                self.states.setdefault(alias, self.states[source])

    def counts(self, node: str) -> np.ndarray:
        """Spike count per (sample, neuron), [B, N]."""
        return np.asarray(self.spikes[node]).sum(axis=0, dtype=np.int64)

    def summary(self) -> str:
        """Human-readable totals per recorded population."""
        lines = []
        for name, s in self.spikes.items():
            if name in self.aliases:
                continue
            s = np.asarray(s)
            t, b, n = s.shape
            rate = s.mean() / self.dt if s.size else 0.0
            lines.append(
                f"{name}: {int(s.sum())} spikes over {t} steps x {b} samples x {n} neurons ({rate:.1f} Hz mean)"
            )
        return "\n".join(lines)


class Recorder:
    """Buffers recorded variables for a run of T steps and batch B, in RAM or in an HDF5 file.

    A streamed record is written to a temp file beside ``path`` and renamed over it only by
    :meth:`result`, so a crashed or aborted run never leaves a half-written record.
    """

    def __init__(
        self,
        graph: Graph,
        record: dict[str, tuple[str, ...]],
        n_steps: int,
        batch: int,
        dtype,
        path: str | Path | None = None,
    ) -> None:
        self.graph, self.record, self.path = graph, record, None if path is None else Path(path)
        self._file = None
        self._atomic = contextlib.ExitStack()
        self._arrays: dict[tuple[str, str], np.ndarray] = {}
        # (shape, dtype) of every probe; a RAM array is allocated at its first write (a backend
        # that adopts its own arrays never needs one: zeroing W2's batch-64 record cost 2 %).
        self._layout: dict[tuple[str, str], tuple[tuple[int, ...], np.dtype]] = {}
        if self.path is not None:
            import h5py

            self._file = h5py.File(self._atomic.enter_context(atomic_path(self.path)), "w")
            self._file.attrs["format"] = "spikesim-record"
            self._file.attrs["dt"] = graph.dt
        for node, variables in record.items():
            size = graph.size(node)
            for var in variables:
                var_dtype = np.bool_ if var == "spikes" else dtype
                shape = (n_steps, batch, size)
                self._layout[node, var] = (shape, np.dtype(var_dtype))
                if self._file is not None:
                    chunk = (max(1, min(n_steps, 64)), batch, size)
                    self._arrays[node, var] = self._file.create_dataset(
                        f"{node}/{var}", shape=shape, dtype=var_dtype, chunks=chunk
                    )

    def wants(self, node: str, var: str) -> bool:
        """Whether ``var`` of ``node`` is recorded."""
        return (node, var) in self._layout

    def _target(self, node: str, var: str) -> np.ndarray | None:
        """The array that holds probe (node, var), allocated (zeros) on first use."""
        target = self._arrays.get((node, var))
        if target is None and (node, var) in self._layout:
            shape, dtype = self._layout[node, var]
            target = self._arrays[node, var] = np.zeros(shape, dtype)
        return target

    def write(self, t0: int, node: str, var: str, block: np.ndarray) -> None:
        """Store ``block`` ([k, B, N] or [B, N] for one step) starting at step ``t0``."""
        target = self._target(node, var)
        if target is None:
            return
        if block.ndim == 2:
            block = block[None]
        target[t0 : t0 + block.shape[0]] = block

    def adopt(self, node: str, var: str, block: np.ndarray) -> None:
        """Store ``block`` [T, B, N], the whole run, by keeping it instead of copying it when the
        record is in RAM. The caller hands ``block`` over and must not write to it again."""
        if (node, var) not in self._layout:
            return
        shape, dtype = self._layout[node, var]
        if self._file is None and block.shape == shape and block.dtype == dtype:
            self._arrays[node, var] = block
        else:
            self.write(0, node, var, block)

    def result(self) -> Result:
        """Finish recording and return the Result (closing and reopening the HDF5 file)."""
        if self._file is not None:
            import h5py

            self._file.close()
            self._atomic.close()  # fsync the temp file and rename it over the target
            self._file = h5py.File(self.path, "r")
            self._arrays = {key: self._file[f"{key[0]}/{key[1]}"] for key in self._arrays}
        arrays = {key: self._target(*key) for key in self._layout}  # in record order
        spikes = {n: a for (n, v), a in arrays.items() if v == "spikes"}
        states: dict[str, dict[str, np.ndarray]] = {}
        for (n, v), a in arrays.items():
            if v != "spikes":
                states.setdefault(n, {})[v] = a
        return Result(spikes, states, self.graph.dt, dict(self.graph.outputs()), self.path)

    def abort(self, error: BaseException) -> None:
        """Discard a streamed record after ``error`` stopped the run (deletes the temp file)."""
        if self._file is not None:
            self._file.close()
            self._file = None
            self._atomic.__exit__(type(error), error, error.__traceback__)
