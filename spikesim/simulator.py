"""The ``Simulator`` interface shared by every backend: ``run``, streaming ``step`` and ``reset``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from spikesim.capabilities import precision_name
from spikesim.errors import GraphError
from spikesim.inputs import normalise_inputs, ready_input
from spikesim.ir import Graph
from spikesim.result import Recorder, Result, resolve_record

PRECISIONS = {"float32": np.float32, "float64": np.float64}


class Simulator(ABC):
    """A graph compiled for one backend.

    ``run(inputs)`` starts from the initial state and simulates every step of the inputs.
    ``step(x_t)`` advances the streaming state by one step and returns the recorded values at
    that step; ``stream(inputs)`` advances it by every step of ``inputs`` at once, as that many
    ``step`` calls would; ``reset()`` returns the streaming state to the initial state.
    """

    backend: str = "abstract"
    #: True when ``_run``/``_step`` take bool, uint8 and float32 inputs as they are (else float64).
    native_inputs: bool = False

    def __init__(
        self,
        graph: Graph,
        batch_size: int | None = None,
        dtype: str = "float64",
        record: Mapping[str, list[str]] | None = None,
    ) -> None:
        self.graph = graph
        self.precision = precision_name(dtype)
        self.dtype = PRECISIONS.get(self.precision)  # None for "fixed"
        self.record = resolve_record(graph, record)
        self.batch_size = batch_size
        self.order = graph.update_order()
        self._streaming = False
        names = graph.inputs()
        # The one Input's (name, size) when there is exactly one: a ready array for it skips
        # the general input checks (they cost a visible share of a step or of a short run).
        self._sole_input = (names[0], graph.nodes[names[0]].size) if len(names) == 1 else None

    # -- public API ----------------------------------------------------------------------------

    def run(
        self,
        inputs,
        n_steps: int | None = None,
        record: Mapping[str, list[str]] | None = None,
        record_to: str | Path | None = None,
    ) -> Result:
        """Simulate from the initial state over every step of ``inputs``.

        ``inputs``: [T, B, N] / [T, N] arrays or tonic event arrays, keyed by Input name (a
        bare value for a single-input graph). ``record`` overrides the compile-time probes;
        ``record_to`` streams the record to an HDF5 file instead of RAM.
        """
        arrays, steps, batch = self._sequence_input(inputs, n_steps)
        self._check_batch(batch)
        probes = self.record if record is None else resolve_record(self.graph, record)
        recorder = Recorder(self.graph, probes, steps, batch, self.dtype or np.float64, record_to)
        try:
            self._run(arrays, steps, batch, recorder)
        except BaseException as err:
            recorder.abort(err)
            raise
        self._streaming = False
        return recorder.result()

    def step(self, x_t) -> dict[str, dict[str, np.ndarray]]:
        """Advance one step with input ``x_t`` ([B, N] or [N], or a dict by Input name).

        Returns {population: {var: [B, N]}} for the compile-time probes.
        """
        arrays = self._ready_input(x_t, 2)
        if arrays is None:
            arrays = self._checked_step_input(x_t)
        self._continue_stream(next(iter(arrays.values())).shape[1])
        return self._step({name: a[0] for name, a in arrays.items()})

    def stream(self, inputs, n_steps: int | None = None) -> Result:
        """Advance the streaming state by every step of ``inputs``, as one ``step`` call per
        step would, and return the compile-time probes over those steps ([T, B, N]).

        ``inputs`` take the forms ``run`` accepts. The state carries over from and to ``step``
        and earlier ``stream`` calls, so a long input can arrive in chunks; a new batch size,
        or ``reset()``, starts again from the initial state, and so does the next call after
        one that raised.
        """
        arrays, steps, batch = self._sequence_input(inputs, n_steps)
        self._continue_stream(batch)
        recorder = Recorder(self.graph, self.record, steps, batch, self.dtype or np.float64)
        try:
            self._stream_steps(arrays, steps, recorder)
        except BaseException:
            # Stopped part-way, the state is at a step the caller cannot know: start again.
            self._streaming = False
            raise
        return recorder.result()

    def _sequence_input(
        self, inputs, n_steps: int | None
    ) -> tuple[dict[str, np.ndarray], int, int]:
        """({input: [T, B, N]}, T, B) from any input ``run`` accepts."""
        arrays = self._ready_input(inputs, 3)
        if arrays is None:
            return normalise_inputs(self.graph, inputs, n_steps, keep_dtypes=self.native_inputs)
        steps, batch = inputs.shape[:2]
        return arrays, steps, batch

    def _ready_input(self, x, ndim: int) -> dict[str, np.ndarray] | None:
        """``inputs.ready_input`` for the graph's only Input, or ``None`` without one."""
        if self._sole_input is None:
            return None
        return ready_input(*self._sole_input, x, ndim, self.native_inputs)

    def _checked_step_input(self, x_t) -> dict[str, np.ndarray]:
        """{input: [1, B, N]} from any input ``step`` accepts, through ``normalise_inputs``."""
        try:
            arrays, _, _ = normalise_inputs(
                self.graph, self._one_step(x_t), 1, keep_dtypes=self.native_inputs
            )
        except GraphError as err:
            # The check sees the step with a time axis of 1 in front: say so.
            raise GraphError(
                f"step(): {err} (a step's input is [B, N] or [N] per Input; shapes here carry "
                "a leading time axis of 1)"
            ) from err
        return arrays

    def reset(self) -> None:
        """Forget the streaming state; the next ``step`` or ``stream`` starts from the initial
        state."""
        self._streaming = False

    def _continue_stream(self, batch: int) -> None:
        """Start a stream of ``batch`` samples unless one of that batch size is running."""
        if not self._streaming or batch != self._stream_batch:
            self._check_batch(batch)
            self._reset_stream(batch)
            self._streaming, self._stream_batch = True, batch

    # -- backend hooks -------------------------------------------------------------------------

    @abstractmethod
    def _run(
        self, inputs: dict[str, np.ndarray], steps: int, batch: int, recorder: Recorder
    ) -> None:
        """Simulate ``steps`` steps from the initial state, writing probes into ``recorder``."""

    @abstractmethod
    def _reset_stream(self, batch: int) -> None:
        """Allocate the initial streaming state for ``batch`` samples."""

    @abstractmethod
    def _step(self, inputs: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        """One streaming step with {input: [B, N]}; returns the probed values."""

    def _stream_steps(self, inputs: dict[str, np.ndarray], steps: int, recorder: Recorder) -> None:
        """``steps`` streaming steps with {input: [T, B, N]}, their probes into ``recorder``.
        One ``_step`` per step here; a backend that can run them in one call overrides it."""
        for t in range(steps):
            for name, values in self._step({n: a[t] for n, a in inputs.items()}).items():
                for var, value in values.items():
                    recorder.write(t, name, var, value)

    # -- helpers -------------------------------------------------------------------------------

    def _one_step(self, x_t):
        # Native-input backends take the array as it is (a bool step needs no conversion).
        dtype = None if self.native_inputs else np.float64
        if isinstance(x_t, Mapping):
            return {k: np.asarray(v, dtype)[None] for k, v in x_t.items()}
        return np.asarray(x_t, dtype)[None]

    def _check_batch(self, batch: int) -> None:
        if self.batch_size is not None and batch != self.batch_size:
            raise GraphError(
                f"inputs: batch size {batch} differs from the compiled batch_size {self.batch_size}"
            )


class ReplayedStream:
    """Streaming for a backend that keeps no state between its runs: every ``step`` or
    ``stream`` call simulates the whole stream so far again. (Inputs reach such backends as
    float64 copies, never the caller's buffer, which may be refilled for the next call.)
    The backend provides ``_replay``."""

    def _reset_stream(self, batch: int) -> None:
        self._chunks: list[dict[str, np.ndarray]] = []

    def _stream_so_far(self, chunk: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Append ``chunk`` ({input: [k, B, N]}) to the stream; return the whole stream."""
        self._chunks.append(chunk)
        return {name: np.concatenate([c[name] for c in self._chunks]) for name in chunk}

    def _replay(self, chunk: dict[str, np.ndarray]) -> dict[tuple[str, str], np.ndarray]:
        """Simulate the whole stream with ``chunk`` appended (``_stream_so_far``); return
        every compile-time probe over the whole stream, {(node, var): [T, B, n]}."""
        raise NotImplementedError

    def _step(self, inputs):
        values: dict[str, dict[str, np.ndarray]] = {}
        for (name, var), trace in self._replay({n: a[None] for n, a in inputs.items()}).items():
            values.setdefault(name, {})[var] = trace[-1]
        return values

    def _stream_steps(self, inputs, steps, recorder: Recorder) -> None:
        # One replay for the whole chunk, not one per step.
        for (name, var), trace in self._replay(inputs).items():
            recorder.write(0, name, var, trace[trace.shape[0] - steps :])
