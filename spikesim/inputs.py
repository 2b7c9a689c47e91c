"""Turning user inputs (dense arrays or tonic-style event arrays) into [T, B, N] arrays."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from spikesim.errors import GraphError
from spikesim.ir import Graph, Input
from spikesim.ir.finite import require_finite


def events_to_dense(
    events: np.ndarray, dt: float, size: int, n_steps: int | None = None, shape=None
) -> np.ndarray:
    """Bin one tonic-style structured event array (``t`` in µs) into a [T, size] count array.

    Channel index: ``x`` for 1-D sensors, or ``ravel_multi_index((p, y, x), shape)`` when
    ``shape`` = (P, H, W) is given. An event at t µs lands in step ``floor(t / (dt * 1e6))``;
    events at or after ``n_steps`` are dropped. ``n_steps`` defaults to the last event's step + 1.
    """
    names = events.dtype.names or ()
    if "t" not in names or "x" not in names:
        raise GraphError(
            f"events: expected a structured array with fields 't' and 'x', got {names}"
        )
    steps = np.floor(events["t"].astype(np.float64) / (dt * 1e6)).astype(np.int64)
    if shape is not None and len(shape) == 3:
        p = events["p"].astype(np.int64) if "p" in names else np.zeros(len(events), np.int64)
        y = events["y"].astype(np.int64) if "y" in names else np.zeros(len(events), np.int64)
        channels = np.ravel_multi_index((p, y, events["x"].astype(np.int64)), shape, mode="raise")
    else:
        channels = events["x"].astype(np.int64)
    if channels.size and (channels.min() < 0 or channels.max() >= size):
        raise GraphError(f"events: channel indices must lie in [0, {size}), found {channels.max()}")
    if n_steps is None:
        n_steps = int(steps.max()) + 1 if steps.size else 1
    keep = (steps >= 0) & (steps < n_steps)
    dense = np.zeros((n_steps, size), dtype=np.float64)
    np.add.at(dense, (steps[keep], channels[keep]), 1.0)
    return dense


def _is_events(value) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype.names is not None
    return (
        isinstance(value, Sequence)
        and len(value) > 0
        and isinstance(value[0], np.ndarray)
        and value[0].dtype.names is not None
    )


#: Array dtypes a backend may take as they are (``keep_dtypes``): spikes as bool or uint8, and
#: either float precision. Anything else becomes float64.
KEPT_DTYPES = (np.dtype(np.bool_), np.dtype(np.uint8), np.dtype(np.float32), np.dtype(np.float64))


def normalise_inputs(
    graph: Graph, inputs, n_steps: int | None = None, keep_dtypes: bool = False
) -> tuple[dict[str, np.ndarray], int, int]:
    """Return ({input name: [T, B, N] array}, T, B) from arrays, dicts or event arrays.

    Accepted per input: a [T, B, N] or [T, N] array, one structured event array, or a list of
    event arrays (one per batch sample). A bare value is allowed when the graph has one Input.
    Arrays come back as float64, or, with ``keep_dtypes``, unconverted when their dtype is one
    of ``KEPT_DTYPES`` (a bool spike raster is then never copied; integers cannot be NaN).
    """
    names = graph.inputs()
    if not isinstance(inputs, Mapping):
        if len(names) != 1:
            raise GraphError(f"inputs: the graph has inputs {names}; pass a dict keyed by name")
        inputs = {names[0]: inputs}
    unknown = set(inputs) - set(names)
    if unknown:
        raise GraphError(f"inputs: unknown input node(s) {sorted(unknown)} (graph inputs: {names})")
    missing = set(names) - set(inputs)
    if missing:
        raise GraphError(f"inputs: no data for input node(s) {sorted(missing)}")
    arrays: dict[str, np.ndarray] = {}
    for name in names:
        node: Input = graph.nodes[name]
        value = inputs[name]
        if _is_events(value):
            samples = [value] if isinstance(value, np.ndarray) else list(value)
            horizon = n_steps
            if horizon is None:
                ends = [np.floor(s["t"].max() / (graph.dt * 1e6)) + 1 for s in samples if len(s)]
                horizon = int(max(ends, default=1))
            dense = np.stack(
                [events_to_dense(s, graph.dt, node.size, horizon, node.shape) for s in samples], 1
            )
        else:
            dense = _in_backend_dtype(np.asarray(value), keep_dtypes)
            if dense.ndim == 2:
                dense = dense[:, None, :]
            if dense.ndim != 3 or dense.shape[2] != node.size:
                raise GraphError(
                    f"inputs[{name!r}]: expected shape [T, B, {node.size}] or [T, {node.size}], "
                    f"got {list(np.shape(value))}"
                )
            if dense.dtype.kind == "f":
                require_finite(dense, f"inputs[{name!r}]")
        arrays[name] = dense
    shapes = {name: a.shape[:2] for name, a in arrays.items()}
    if len(set(shapes.values())) != 1:
        raise GraphError(f"inputs: every input needs the same [T, B], got {shapes}")
    steps, batch = next(iter(shapes.values()))
    return arrays, steps, batch


def ready_input(
    name: str, size: int, x, ndim: int, keep_dtypes: bool
) -> dict[str, np.ndarray] | None:
    """What ``normalise_inputs`` returns for ``x`` when the graph's only Input is ``name`` with
    ``size`` channels and ``x`` needs none of its general work: a finite ``numpy.ndarray`` (not
    a subclass) with ``ndim`` axes ([T, B, N], or [B, N] for one step, which gets T = 1) whose
    dtype the backend keeps, or float64. ``None`` for anything else, which ``normalise_inputs``
    then takes, checking it and wording the errors. Much cheaper for a streaming step or a
    short run."""
    if type(x) is not np.ndarray or x.ndim != ndim or x.shape[-1] != size:
        return None
    if not (keep_dtypes and x.dtype in KEPT_DTYPES) and x.dtype != np.float64:
        return None
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        return None
    x = _in_backend_dtype(x, keep_dtypes)
    return {name: x if ndim == 3 else x[None]}


def _in_backend_dtype(dense: np.ndarray, keep_dtypes: bool) -> np.ndarray:
    """``dense`` itself when ``keep_dtypes`` and its dtype is kept, else a float64 copy (a
    copy even of float64: the Lava and fixed-point backends keep every step's input, and a
    caller may refill the same array for the next step)."""
    if keep_dtypes and dense.dtype in KEPT_DTYPES:
        return dense
    return dense.astype(np.float64)
